"""The compile cache: an unchanged spec compiled by an unchanged resnetc is not compiled again,
and nothing the cache does can change what `resnetc compile` writes or prints."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from resnetc.cli import main
from resnetc.files import cache as compilecache
from tests.conftest import ROOT, SPEC_DIR
from tests.test_startup import _imported

WARN = ROOT / "tests" / "cases" / "warn_design_rules" / "spec.yaml"


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("RESNETC_CACHE_DIR", str(where))
    return where / "compiled"


def compile_(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["compile", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_warm_compile_writes_and_prints_what_a_cold_one_does(cache, capsys, tmp_path) -> None:
    specs = [str(SPEC_DIR / "resnet50.yaml"), str(WARN)]
    cold = compile_(capsys, *specs, "-o", str(tmp_path / "a"))
    assert len(list(cache.glob("*.json"))) == 2
    warm = compile_(capsys, *specs, "-o", str(tmp_path / "b"))
    assert cold[0] == warm[0] == 0
    assert cold[2] == warm[2] and "warning:" in warm[2]  # the warnings are replayed
    for name in ("resnet50.py", "narrow.py"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_a_warm_compile_imports_no_dependency(tmp_path: Path) -> None:
    args = ["compile", str(SPEC_DIR / "resnet152.yaml"), "-o", str(tmp_path / "out")]
    cold = _imported(tmp_path, args)
    warm = _imported(tmp_path, args)
    assert {"pydantic", "yaml", "jinja2"} <= cold
    assert (
        not {"pydantic", "yaml", "jinja2", "resnetc.targets.torch.emit", "resnetc.core.ir"} & warm
    )


def test_the_key_covers_spec_path_label_and_resnetc(cache) -> None:
    base = compilecache.key(b"name: x", "a.yaml", "spec/a.yaml")
    assert base == compilecache.key(b"name: x", "a.yaml", "spec/a.yaml")
    assert base != compilecache.key(b"name: y", "a.yaml", "spec/a.yaml")
    assert base != compilecache.key(b"name: x", "./a.yaml", "spec/a.yaml")
    assert base != compilecache.key(b"name: x", "a.yaml", "other/a.yaml")


def test_the_fingerprint_covers_every_module_and_template(tmp_path: Path) -> None:
    package = tmp_path / "compiler"
    shutil.copytree(ROOT / "compiler", package, ignore=shutil.ignore_patterns("__pycache__"))
    before = compilecache.digest(package)
    assert before == compilecache.digest(package)
    for changed in (
        package / "targets" / "torch" / "templates" / "block.py.j2",
        package / "core" / "shapes.py",
    ):
        original = changed.read_bytes()
        changed.write_bytes(original + b"\n")
        assert compilecache.digest(package) != before, changed.name
        changed.write_bytes(original)
    assert compilecache.digest(package) == before


def test_corrupt_entries_are_misses(cache, capsys, tmp_path) -> None:
    spec = str(SPEC_DIR / "resnet18.yaml")
    compile_(capsys, spec, "-o", str(tmp_path / "a"))
    (entry,) = cache.glob("*.json")
    for junk in ('{"name": 1, "text": 2, "warnings": 3}', "{}", "not json", ""):
        entry.write_text(junk)
        code, _, err = compile_(capsys, spec, "-o", str(tmp_path / "b"), "--force")
        assert code == 0 and err == ""
        assert (tmp_path / "b" / "resnet18.py").read_bytes() == (
            tmp_path / "a" / "resnet18.py"
        ).read_bytes()


def test_refused_specs_are_never_stored(cache, capsys, tmp_path) -> None:
    bad = ROOT / "tests" / "cases" / "bad_shape_errors" / "spec.yaml"
    for _ in range(2):
        code, _, err = compile_(capsys, str(bad), "-o", str(tmp_path))
        assert code == 1 and "error:" in err
    assert not cache.exists() or not list(cache.glob("*.json"))


def test_caching_off_writes_no_entry(monkeypatch, capsys, tmp_path) -> None:
    monkeypatch.setenv("RESNETC_CACHE_DIR", "")
    assert compilecache.key(b"x", "a", "b") is None
    code, _, _ = compile_(capsys, str(SPEC_DIR / "resnet18.yaml"), "-o", str(tmp_path / "out"))
    assert code == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_unwritable_cache_is_ignored(monkeypatch, capsys, tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("RESNETC_CACHE_DIR", str(blocker / "cache"))
    code, out, _ = compile_(capsys, str(SPEC_DIR / "resnet18.yaml"), "-o", str(tmp_path / "out"))
    assert code == 0 and "wrote" in out


def test_old_entries_are_pruned(cache, monkeypatch) -> None:
    monkeypatch.setattr(compilecache, "MAX_ENTRIES", 3)
    for i in range(5):
        compilecache.store(str(i), compilecache.Result("n", "t", ""))
    assert sorted(p.stem for p in cache.glob("*.json")) == ["2", "3", "4"]
    assert compilecache.load("4") == compilecache.Result("n", "t", "")


def test_what_a_killed_store_left_is_removed_by_a_later_one(cache) -> None:
    """A run killed while it wrote an entry leaves its `.XXXXXXXX.tmp`: the next store removes
    it once it is old enough not to be a running store's, never a fresh one."""
    import os
    import time

    compilecache.store("first", compilecache.Result("n", "t", ""))
    old, fresh = cache / ".killed1.tmp", cache / ".running.tmp"
    old.write_text("{")
    fresh.write_text("{")
    stale = time.time() - compilecache.STALE_SECONDS - 60
    os.utime(old, (stale, stale))
    compilecache.store("second", compilecache.Result("n", "t", ""))
    assert sorted(p.name for p in cache.iterdir()) == [".running.tmp", "first.json", "second.json"]


def test_check_mode_uses_the_cache_and_still_finds_stale_files(cache, tmp_path) -> None:
    spec = str(SPEC_DIR / "resnet18.yaml")
    out = tmp_path / "out"
    run = [sys.executable, "-m", "resnetc", "compile", spec, "-o", str(out)]
    env = {"RESNETC_CACHE_DIR": str(cache.parent), "PATH": "/usr/bin:/bin"}
    assert subprocess.run(run, cwd=ROOT, env=env, capture_output=True).returncode == 0
    (out / "resnet18.py").write_text((out / "resnet18.py").read_text() + "# edited\n")
    check = subprocess.run([*run, "--check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert check.returncode == 1 and "-# edited" in check.stdout
