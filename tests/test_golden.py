"""Golden cases: tests/cases/<name>/spec.yaml compiles to expected.py, or is refused with exactly
the diagnostics in expected.txt (caret and all). Cases named bad_* must be refused; warnings of a
spec that compiles are in its expected.txt too. Regenerate with `pytest --regen-golden`.

A case with a `command` file runs that command instead of `resnetc check SPEC`: one line of
arguments after `resnetc`, shell-quoted, where INPUT is the case's input (its spec.yaml,
table.tex or checkpoint.pt, if it has one) and OUT a fresh directory. Its expected.txt is what the
command prints on stderr; bad_* cases exit 1, usage_* cases 2.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from resnetc.cli import main
from resnetc.front.diagnostics import CompileError
from resnetc.pipeline import compile_spec
from tests.conftest import ROOT

CASES = ROOT / "tests" / "cases"
NAMES = sorted(
    p.name for p in CASES.iterdir() if (p / "spec.yaml").exists() or (p / "command").exists()
)
COMMANDS = [n for n in NAMES if (CASES / n / "command").exists()]
INPUTS = ("spec.yaml", "table.tex", "checkpoint.pt")


def test_there_are_cases() -> None:
    assert any(n.startswith("bad_") for n in NAMES) and any(n.startswith("t1_") for n in NAMES)


def _exit_code(name: str) -> int:
    return 1 if name.startswith("bad_") else 2 if name.startswith("usage_") else 0


@pytest.mark.parametrize("name", [n for n in NAMES if n not in COMMANDS])
def test_case(name: str, golden, capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    spec = f"tests/cases/{name}/spec.yaml"
    code = main(["check", spec])
    out, err = capsys.readouterr()
    assert code == _exit_code(name)
    assert "Traceback" not in err
    case = CASES / name
    if err or (case / "expected.txt").exists():
        golden(case / "expected.txt", err)
    if code == 0:
        assert out.startswith(f"{spec}: ")
        golden(case / "expected.py", compile_spec((ROOT / spec).read_bytes(), spec))
    else:
        assert out == ""
        assert not (case / "expected.py").exists()


def command_of(name: str) -> list[str]:
    """The case's command line after `resnetc`, INPUT in place of its input file."""
    return shlex.split((CASES / name / "command").read_text(encoding="utf-8").strip())


def _argv(name: str, out: Path) -> list[str]:
    case = CASES / name
    given = next((f"tests/cases/{name}/{f}" for f in INPUTS if (case / f).exists()), "")
    replace = {"INPUT": given, "OUT": str(out)}
    return [replace.get(arg, arg) for arg in command_of(name)]


@pytest.mark.parametrize("name", COMMANDS)
def test_command_case(name: str, golden, capsys, monkeypatch, tmp_path) -> None:
    if (CASES / name / "checkpoint.pt").exists():
        pytest.importorskip("torch")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "100")  # argparse's usage lines are wrapped to it
    try:
        code = main(_argv(name, tmp_path / "out"))
    except SystemExit as exc:  # a usage error, from argparse
        code = exc.code
    _, err = capsys.readouterr()
    assert code == _exit_code(name)
    assert "Traceback" not in err and "internal error" not in err
    golden(CASES / name / "expected.txt", err.replace(str(tmp_path), "OUT"))
    if code:
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("bad_") and n not in COMMANDS])
def test_refusal_is_a_compile_error_in_the_api(name: str) -> None:
    spec = f"tests/cases/{name}/spec.yaml"
    with pytest.raises(CompileError) as info:
        compile_spec((ROOT / spec).read_bytes(), spec)
    assert info.value.diagnostics and all(
        d.span is None or d.span.line >= 1 for d in info.value.diagnostics
    )


def test_refusal_exit_code_and_format_from_the_command_line(tmp_path: Path) -> None:
    """The installed entry point: diagnostics on stderr, exit 1, nothing on stdout."""
    spec = "tests/cases/bad_unquoted_cell/spec.yaml"
    run = subprocess.run(
        [sys.executable, "-m", "resnetc", "compile", spec, "-o", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert run.stdout == ""
    first = run.stderr.splitlines()[0]
    assert first.startswith(f"{spec}:8:12: error: ")
    assert list(tmp_path.iterdir()) == []
