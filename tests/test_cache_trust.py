"""The cache cannot be used against its owner (issue 14): a directory someone else may write to is
not used, an entry is never followed through a link, never blocks, is never executed, and what it
holds passes the module check before it reaches a file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from resnetc.cli import main
from resnetc.files import cache as compilecache
from resnetc.files import cachedir
from resnetc.files.output import spec_label
from tests.conftest import ROOT, SPEC_DIR

SPEC = SPEC_DIR / "resnet18.yaml"


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv("RESNETC_CACHE_DIR", str(where))
    monkeypatch.setattr(cachedir, "_warned", set())
    return where


def _compile(capsys, out: Path) -> tuple[int, str, str]:
    code = main(["compile", str(SPEC), "-o", str(out), "--force"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _entry(cache: Path, out: Path) -> Path:
    key = compilecache.key(SPEC.read_bytes(), str(SPEC), spec_label(SPEC, out))
    return cache / "compiled" / f"{key}.json"


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777])
def test_a_directory_others_may_write_to_is_not_used(cache, capsys, tmp_path, mode) -> None:
    cache.mkdir()
    cache.chmod(mode)
    for i in range(2):
        code, out, err = _compile(capsys, tmp_path / "out")
        assert code == 0 and ("wrote" in out or "unchanged" in out)
        said = "resnetc: warning: not using the cache directory"
        assert err.count(said) == (1 if i == 0 else 0)  # said once a process
    assert f"its group or others may write to it (mode {mode:04o})" in cachedir.untrusted(cache)
    assert list(cache.iterdir()) == []


def test_a_directory_of_another_user_is_not_used(cache, capsys, tmp_path, monkeypatch) -> None:
    cache.mkdir(mode=0o700)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(cache).st_uid + 1)
    code, _, err = _compile(capsys, tmp_path / "out")
    assert code == 0 and "it is owned by another user" in err
    assert list(cache.iterdir()) == []


def test_a_linked_directory_is_not_used(monkeypatch, capsys, tmp_path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(real)
    monkeypatch.setenv("RESNETC_CACHE_DIR", str(tmp_path / "link"))
    monkeypatch.setattr(cachedir, "_warned", set())
    code, _, err = _compile(capsys, tmp_path / "out")
    assert code == 0 and "it is a symbolic link" in err
    assert list(real.iterdir()) == []


def test_a_created_directory_is_the_users_alone(cache, capsys, tmp_path) -> None:
    assert _compile(capsys, tmp_path / "out")[0] == 0
    assert cache.stat().st_mode & 0o777 == 0o700
    assert (cache / "compiled").stat().st_mode & 0o777 == 0o700
    assert _entry(cache, tmp_path / "out").is_file()


def test_an_edited_entry_cannot_put_code_into_the_output(cache, capsys, tmp_path) -> None:
    out = tmp_path / "out"
    _compile(capsys, out)
    fresh = (out / "resnet18.py").read_text()
    entry = _entry(cache, out)
    planted = fresh.replace("import torch\n", "import torch\nimport os\nos.system('touch pwned')\n")
    entry.write_text(json.dumps({"name": "resnet18", "text": planted, "warnings": ""}))
    code, _, err = _compile(capsys, out)
    assert code == 0 and err == ""
    assert (out / "resnet18.py").read_text() == fresh and "os.system" not in fresh


@pytest.mark.parametrize("name", ["torch", "__init__", "print", "nul"])
def test_an_entry_naming_what_no_spec_may_name_is_compiled_afresh(cache, capsys, tmp_path, name):
    """The cached name names the file written: `torch` would write `torch.py` (which shadows
    torch for every script beside it), `__init__` an `__init__.py`; as for a spec's name, no."""
    out = tmp_path / "out"
    _compile(capsys, out)
    entry = _entry(cache, out)
    stored = json.loads(entry.read_text())
    entry.write_text(json.dumps({**stored, "name": name}))
    shutil.rmtree(out)
    code, _, err = _compile(capsys, out)
    assert code == 0 and err == ""
    assert sorted(p.name for p in out.iterdir()) == ["resnet18.py"]


@pytest.mark.parametrize(
    "entry",
    [
        {"name": "resnet18", "text": "", "warnings": "\x1b]0;owned\x07"},  # retitles a terminal
        {"name": "resnet18", "text": "", "warnings": "\u202egnirts"},
        {"name": "../../etc/x", "text": "", "warnings": ""},
        {"name": "resnet18", "text": 1, "warnings": ""},
    ],
    ids=["osc", "bidi", "path", "not-text"],
)
def test_an_entry_resnetc_would_not_write_is_a_miss(cache, entry) -> None:
    compilecache.store("k", compilecache.Result("resnet18", "text", ""))
    path = cache / "compiled" / "k.json"
    entry = {**entry, "text": entry["text"] or "text"}
    path.write_text(json.dumps(entry))
    assert compilecache.load("k") is None


def test_an_entry_is_a_regular_file_of_bounded_size(cache, tmp_path, monkeypatch) -> None:
    compilecache.store("k", compilecache.Result("resnet18", "text", ""))
    path = cache / "compiled" / "k.json"
    assert compilecache.load("k") == compilecache.Result("resnet18", "text", "")
    monkeypatch.setattr(compilecache, "MAX_ENTRY_BYTES", 10)
    assert compilecache.load("k") is None  # over the size limit
    monkeypatch.undo()
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes(path.read_bytes())
    path.unlink()
    path.symlink_to(elsewhere)
    assert compilecache.load("k") is None  # never followed through a link


def test_a_fifo_in_place_of_an_entry_does_not_block(cache, tmp_path) -> None:
    out = tmp_path / "out"
    entry = _entry(cache, out)
    assert entry.parent.is_dir()  # made by key(), the user's own
    os.mkfifo(entry)
    run = [sys.executable, "-m", "resnetc", "compile", str(SPEC), "-o", str(out)]
    env = {**os.environ, "RESNETC_CACHE_DIR": str(cache)}
    done = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (out / "resnet18.py").read_text().startswith("# Generated by resnetc from")
