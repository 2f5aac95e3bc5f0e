"""The repository keeps its own promises: README commands, CI script, layout."""

from __future__ import annotations

import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
CI = (ROOT / ".ci" / "run").read_text()


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)\n```", text, flags=re.S)


def test_readme_has_exactly_two_commands() -> None:
    blocks = shell_blocks(README)
    assert len(blocks) == 2
    install_and_run, install_and_test = blocks
    assert "resnetc compile spec/" in install_and_run
    assert install_and_test.rstrip().endswith("pytest")


def test_ci_runs_the_readme_test_command() -> None:
    command = shell_blocks(README)[1]
    after_venv = command.split(". .venv/bin/activate && ", 1)[1]
    assert after_venv in CI
    # torch is pinned before anything else can pull a different build
    assert CI.index("pip install --quiet torch==2.13.0") < CI.index(after_venv)


def test_ci_checks_generated_and_ruff() -> None:
    assert "resnetc compile spec/*.yaml -o generated/ --check" in CI
    assert "ruff check ." in CI and "ruff format --check ." in CI


def test_layout() -> None:
    for name in ("pyproject.toml", "spec", "compiler", "generated", "tests", "docs"):
        assert (ROOT / name).exists(), name


def test_generated_docs_are_fresh() -> None:
    """Every section and file that docs/build.py generates is what it would write now."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("docs_build", ROOT / "docs" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    out = build.outputs()
    stale = [
        str(path.relative_to(ROOT))
        for path, text in out.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    assert not stale, f"stale: {stale}; run python docs/build.py"
    # The PNGs rendered from generated LaTeX were rendered from the .tex as it is now.
    assert not build.stale_figures(out)
    assert "python docs/build.py --check" in CI


def test_ci_runs_every_marked_battery_and_the_architecture_contracts() -> None:
    lines = CI.splitlines()
    assert "pytest -m slow" in lines
    assert "lint-imports" in lines
    assert "mypy" in lines  # the project's code; generated/ gets mypy --strict
    assert any("mypy --strict" in line and "generated" in line for line in lines)
    assert any("mypy --strict" in line and "generated/frameworks" in line for line in lines)


def test_every_package_of_compiler_is_installed() -> None:
    """pyproject.toml lists every folder of compiler/ with an __init__.py (an installed resnetc,
    not an editable one, would otherwise lack it), and package data for every template folder."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join(("resnetc", *p.parent.relative_to(ROOT / "compiler").parts))
        for p in (ROOT / "compiler").rglob("__init__.py")
    }
    assert set(config["packages"]) == found
    templated = {
        ".".join(("resnetc", *p.parent.relative_to(ROOT / "compiler").parts))
        for p in (ROOT / "compiler").rglob("templates")
        if p.is_dir()
    }
    assert templated == set(config["package-data"])
