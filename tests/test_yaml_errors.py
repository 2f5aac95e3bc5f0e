"""YAML syntax errors are said in resnetc's words: PyYAML's phrasing never reaches the user.

Each usual mistake has a golden case (tests/cases/bad_yaml_*); here every one-character deletion
and a set of insertions in a shipped spec is checked for PyYAML's wording in the diagnostics.
"""

from __future__ import annotations

import pytest

from resnetc.front.diagnostics import CompileError
from resnetc.pipeline import analyze
from tests.conftest import SPEC_DIR

RAW = (
    "expected <block end>",
    "could not find expected",
    "mapping values are not allowed",
    "while parsing",
    "while scanning",
    "<scalar>",
    "but found",
    "but got",
    "did not find expected",
)
"""Phrases of PyYAML's own messages."""

SPEC = (SPEC_DIR / "resnet18.yaml").read_text()


def _variants() -> list[str]:
    out = [SPEC[:i] + SPEC[i + 1 :] for i in range(len(SPEC)) if SPEC[i] in ':"-[] \n,']
    lines = SPEC.splitlines(keepends=True)
    for i in range(len(lines)):
        for insert in ("- ", " ", '"', "{", ": x", "\t"):
            out.append("".join(lines[:i]) + insert + "".join(lines[i:]))
    return out


VARIANTS = _variants()


def test_there_are_enough_variants() -> None:
    assert len(VARIANTS) > 200


@pytest.mark.parametrize("chunk", range(4))
def test_no_pyyaml_wording_reaches_the_user(chunk: int) -> None:
    for text in VARIANTS[chunk::4]:
        try:
            analyze(text, "spec.yaml")
        except CompileError as exc:
            rendered = exc.render()
            assert not [p for p in RAW if p in rendered], rendered
