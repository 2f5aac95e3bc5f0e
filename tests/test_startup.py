"""Compiling costs start-up only: no torch, nothing heavy at import time, templates cached safely.

Timing ratios are measured by benchmarks/bench.py (they are too noisy on a shared machine to
assert here); these tests pin down the structure those figures depend on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from resnetc.files import cachedir
from resnetc.files.output import spec_label
from resnetc.pipeline import compile_spec
from resnetc.targets.templating import environment
from resnetc.targets.torch import emit
from tests.conftest import ROOT, SPEC_DIR

R152 = SPEC_DIR / "resnet152.yaml"


_DUMP = """
import atexit, json, runpy, sys
out, code, args = sys.argv[1], sys.argv[2], sys.argv[3:]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
if code:
    exec(code)
else:
    sys.argv = ["resnetc", *args]
    runpy.run_module("resnetc", run_name="__main__", alter_sys=True)
"""


def _imported(tmp_path: Path, args: list[str], code: str = "") -> set[str]:
    """Every module in sys.modules at the end of `resnetc ARGS` (or of running `code`)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RESNETC_CACHE_DIR": str(tmp_path / "cache")}
    dump = tmp_path / "modules.json"
    argv = [sys.executable, "-c", _DUMP, str(dump), code, *args]
    run = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    return set(json.loads(dump.read_text()))


@pytest.mark.parametrize("command", ["compile", "check"])
def test_compiling_never_imports_torch(command: str, tmp_path: Path) -> None:
    args = [command, str(R152)]
    if command == "compile":
        args += ["-o", str(tmp_path / "out")]
    names = _imported(tmp_path, args)
    assert "resnetc.core.shapes" in names
    assert ("resnetc.targets.torch.emit" in names) == (command == "compile")
    heavy = sorted(n for n in names if n.split(".")[0] in {"torch", "numpy", "sympy"})
    assert not heavy, heavy
    if command == "compile":
        label = spec_label(R152, tmp_path / "out")
        expected = compile_spec(R152.read_bytes(), str(R152), label)
        assert (tmp_path / "out" / "resnet152.py").read_text() == expected


FRAMEWORKS = {"torch", "numpy", "sympy", "keras", "jax", "jaxlib", "flax", "tensorflow"}


@pytest.mark.parametrize("targets", [["keras"], ["flax"], ["torch", "keras", "flax"]])
def test_compiling_for_keras_and_flax_imports_no_framework(targets, tmp_path: Path) -> None:
    args = ["compile", str(R152), "-o", str(tmp_path / "out")]
    for name in targets:
        args += ["--target", name]
    names = _imported(tmp_path, args)
    for name in targets:
        if name != "torch":
            assert f"resnetc.targets.{name}.emit" in names
            assert (tmp_path / "out" / f"resnet152_{name}.py").exists()
    heavy = sorted(n for n in names if n.split(".")[0] in FRAMEWORKS)
    assert not heavy, heavy
    again = _imported(tmp_path, args)  # from the compile cache: not even the emitters
    assert not any(n.startswith("resnetc.targets.") and n.endswith(".emit") for n in again)


def test_explain_for_keras_imports_no_framework(tmp_path: Path) -> None:
    names = _imported(tmp_path, ["explain", str(R152), "--target", "keras"])
    assert "resnetc.targets.keras.emit" in names
    assert not sorted(n for n in names if n.split(".")[0] in FRAMEWORKS)


def test_help_and_the_api_import_no_dependency(tmp_path: Path) -> None:
    code = "import resnetc, resnetc.cli; resnetc.cli.build_parser()"
    names = _imported(tmp_path, [], code)
    assert "resnetc.cli.compile" in names
    assert not {"pydantic", "yaml", "jinja2", "torch"} & names


def test_check_does_not_load_templates(tmp_path: Path) -> None:
    names = _imported(tmp_path, ["check", str(R152)])
    assert "resnetc.core.shapes" in names
    assert "jinja2" not in names


# ---------------------------------------------------------------- no template cache


def _render(monkeypatch: pytest.MonkeyPatch, cache: str | None) -> str:
    if cache is None:
        monkeypatch.delenv("RESNETC_CACHE_DIR", raising=False)
    else:
        monkeypatch.setenv("RESNETC_CACHE_DIR", cache)
    environment.cache_clear()
    try:
        return compile_spec(R152.read_bytes(), "spec/resnet152.yaml")
    finally:
        environment.cache_clear()


def test_templates_are_compiled_in_memory_and_no_file_is_loaded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No compiled template is kept on disk: a planted `*.cache` file (jinja2's bytecode cache
    unmarshalled these) is never read, and rendering writes nothing to the cache directory."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    planted = cache / "planted.cache"
    planted.write_bytes(b"j2\x00 whatever marshal would run")
    plain = _render(monkeypatch, "")
    assert _render(monkeypatch, str(cache)) == plain
    assert sorted(p.name for p in cache.iterdir()) == ["planted.cache"]
    assert emit._environment().bytecode_cache is None
    from resnetc.teach.templating import _environment as teaching

    assert teaching().bytecode_cache is None


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RESNETC_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/x/cache")
    assert cachedir.cache_dir() == Path("/x/cache/resnetc")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", "/home/u")
    assert cachedir.cache_dir() == Path("/home/u/.cache/resnetc")
    monkeypatch.setenv("RESNETC_CACHE_DIR", "")
    assert cachedir.cache_dir() is None
