"""The lints (core/lints.py): each finds its mistake at the text that carries it, says what it
found and how it counted, and can be silenced for one spec; the shipped specs have none.
Their full diagnostics are golden cases: tests/cases/warn_*."""

from __future__ import annotations

import pytest

from resnetc.front.lintnames import LINTS
from resnetc.pipeline import analyze
from resnetc.teach.markdown import markdown
from tests.conftest import ROOT, SPEC_DIR

CASES = ROOT / "tests" / "cases"


def codes(text: str) -> list[str | None]:
    return [d.code for d in analyze(text, "spec.yaml").warnings]


def test_every_lint_is_shown_by_a_golden_case() -> None:
    found = set()
    for case in CASES.glob("warn_*/spec.yaml"):
        found |= set(codes(case.read_text()))
    assert sorted(found) == sorted(LINTS)


@pytest.mark.parametrize("spec", sorted(SPEC_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_shipped_specs_draw_no_lint(spec) -> None:
    assert analyze(spec.read_bytes(), str(spec)).warnings == ()


def test_a_lint_is_silenced_for_one_spec_by_its_name() -> None:
    text = (CASES / "warn_name_depth" / "spec.yaml").read_text()
    assert codes(text) == ["name-depth"]
    assert codes(text + "options:\n  allow: [name-depth]\n") == []


def test_names_whose_depth_the_table_has_are_quiet() -> None:
    resnet56 = (SPEC_DIR / "resnet56.yaml").read_text()
    assert codes(resnet56) == []
    wrn = (CASES / "warn_name_depth_wrn" / "spec.yaml").read_text()
    assert codes(wrn.replace("x 3", "x 4")) == []  # WRN-28-10: 4 blocks a stage


def test_a_stride_lint_reads_the_computed_sizes_and_the_design_rules_too() -> None:
    """Six strided stages on a 32x32 input: one warning at the input, not one per stage, and
    no "filters double where the map halves" for stages whose map does not halve."""
    text = (CASES / "warn_input_too_small" / "spec.yaml").read_text()
    assert codes(text) == ["input-too-small"]


def test_explain_shows_the_lints_in_its_design_rules_section() -> None:
    text = (CASES / "warn_input_too_small" / "spec.yaml").read_text()
    walk = markdown(analyze(text, "spec.yaml"))
    section = walk.split("## Design-rule warnings", 1)[1]
    assert "the 32x32 input is too small for this table" in section
    assert "None: the table follows" not in section


def test_a_network_beyond_any_published_one_names_its_stage() -> None:
    (d,) = analyze((CASES / "warn_network_size" / "spec.yaml").read_text(), "s.yaml").warnings
    assert d.code == "network-size" and "conv4_x, 100,000 blocks" in d.message
    assert (d.span.line, d.span.col) == (10, 46)  # the repeat count `x 100000`


def test_the_design_rules_are_lints_with_names() -> None:
    text = (CASES / "warn_design_rules" / "spec.yaml").read_text()
    found = set(codes(text))
    assert found and found <= {"stage-stride", "filters-double", "filters-keep"}
