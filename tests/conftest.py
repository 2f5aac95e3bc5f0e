"""Shared test fixtures: the golden-file check and the paths every test uses.

Golden files (expected compiler output committed under tests/) are compared byte for byte.
After an intended change, regenerate them with `pytest --regen-golden` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC_DIR = ROOT / "spec"
GENERATED_DIR = ROOT / "generated"
REFERENCE = ROOT / "tests" / "data" / "torchvision-resnets.json"
"""torchvision's parameter counts, multiply-adds and state_dict layouts (tests/data/README.md)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        help="rewrite golden files with the current output instead of comparing",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest):
    """`golden(path, actual)`: compare `actual` with the committed file (or rewrite it)."""
    regen = request.config.getoption("--regen-golden")

    def check(path: Path, actual: str) -> None:
        if regen:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="\n")
            return
        assert path.exists(), f"{path} is missing; create it with `pytest --regen-golden`"
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"{path} differs; if intended, run `pytest --regen-golden`"

    return check


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory):
    """Compiled templates and compile results go to a directory of this test session's own,
    not to the user's cache (tests that study the caches set their own)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("RESNETC_CACHE_DIR", str(tmp_path_factory.mktemp("resnetc-cache")))
    yield
    mp.undo()
