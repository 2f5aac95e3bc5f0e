"""Golden cases: tests/cases/<name>/spec.yaml compiles to expected.py, or is refused with exactly
the diagnostics in expected.txt (caret and all). Cases named bad_* must be refused; warnings of a
spec that compiles are in its expected.txt too. Regenerate with `pytest --regen-golden`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from resnetc.cli import main
from resnetc.front.diagnostics import CompileError
from resnetc.pipeline import compile_spec
from tests.conftest import ROOT

CASES = ROOT / "tests" / "cases"
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "spec.yaml").exists())


def test_there_are_cases() -> None:
    assert any(n.startswith("bad_") for n in NAMES) and any(n.startswith("t1_") for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_case(name: str, golden, capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    spec = f"tests/cases/{name}/spec.yaml"
    code = main(["check", spec])
    out, err = capsys.readouterr()
    assert code == (1 if name.startswith("bad_") else 0)
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


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("bad_")])
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
