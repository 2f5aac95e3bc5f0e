"""Generated code is formatted and lint-clean as the templates produce it (no formatter is run).

Every spec in spec/ and every golden case that compiles is rendered to a scratch directory and
checked with ruff under the same settings as generated/ (generated/ruff.toml).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from resnetc.pipeline import compile_spec
from tests.conftest import GENERATED_DIR, ROOT

SPECS = sorted(ROOT.glob("spec/*.yaml")) + sorted(
    p for p in ROOT.glob("tests/cases/*/spec.yaml") if (p.parent / "expected.py").exists()
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("rendered")
    (out / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    for i, spec in enumerate(SPECS):
        label = str(spec.relative_to(ROOT))
        (out / f"m{i:03d}_{spec.stem}.py").write_text(compile_spec(spec.read_bytes(), label))
    # generated/ruff.toml extends ../pyproject.toml: give it one to extend.
    (out / "ruff.toml").write_text(
        (GENERATED_DIR / "ruff.toml").read_text().replace("../pyproject.toml", "pyproject.toml")
    )
    return out


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_there_is_something_to_check() -> None:
    assert len(SPECS) >= 5


def test_generated_code_is_ruff_formatted(rendered: Path) -> None:
    run = ruff("format", "--check", "--diff", cwd=rendered)
    assert run.returncode == 0, run.stdout + run.stderr


def test_generated_code_is_ruff_clean(rendered: Path) -> None:
    run = ruff("check", "--select", "E,F,W,I,B,UP,SIM,RUF,C4,PIE,ANN", cwd=rendered)
    assert run.returncode == 0, run.stdout + run.stderr
