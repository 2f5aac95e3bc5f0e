"""The explain page's what-if variants: what the page embeds is what the compiler says.

Every variant's data is read back from the page itself and checked against the compiler run
on the spec text the page shows for it (the user's own route: write that spec, run resnetc),
and ResNet-50's v1 against v1.5 against a spec written by hand. The browser side (toggling,
marking, switching back) is tests/test_browser.py's.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from resnetc.core.costs import totals
from resnetc.core.spec_writer import network_spec
from resnetc.front.diagnostics import CompileError
from resnetc.pipeline import analyze
from resnetc.teach.diagram import svg
from resnetc.teach.explanation import explain
from resnetc.teach.page import html, what_if_data
from resnetc.teach.variants import STATED, input_presets, what_if
from tests.conftest import ROOT

DATA = re.compile(r'<script type="application/json" id="whatif-data">(.*?)</script>', re.S)


def analysis(spec: str):
    return analyze((ROOT / spec).read_bytes(), spec)


def embedded(page: str) -> tuple[str, dict]:
    """The JSON text of the page's what-if data, and what it holds."""
    (text,) = DATA.findall(page)
    return text, json.loads(text)


def fragment(data: dict, index: int) -> str:
    return "\n".join(data["lines"][i] for i in data["fragments"][index])


def spec_text(variant: dict) -> str:
    return "".join(line + "\n" for line, _ in variant["spec"])


def rebuilt(own: list[str], code: list) -> list[str]:
    """The variant's module from the own's lines and the page's changes, as the page does it."""
    out, at = [], 0
    for start, end, lines in code:
        out += own[at:start] + lines
        at = end
    return out + own[at:]


def test_resnet50_v1_against_v1_5() -> None:
    """The paper's placement (the stride on the first 1x1) against torchvision's, for a spec
    with `options: {downsample_at: 1x1}` written by hand: the same parameters, fewer MACs."""
    text = (ROOT / "spec/resnet50.yaml").read_text(encoding="utf-8")
    v1 = analyze(text + "options:\n  downsample_at: 1x1\n", "v1.yaml").network
    own = analysis("spec/resnet50.yaml")
    _, data = embedded(html(own))
    page = data["variants"]["1x1|B|224x224"]
    params, macs = totals(v1)
    assert (page["totals"]["params"], page["totals"]["macs"]) == (f"{params:,}", f"{macs:,}")
    assert page["totals"]["changed"] == ["macs"]
    assert (macs, totals(own.network)[1]) == (3_857_973_248, 4_089_184_256)
    assert params == totals(own.network)[0] == 25_557_032
    changed = {k for k, row in page["rows"].items() if row["changed"]}
    assert changed == {"layer2", "layer3", "layer4"}  # conv2_x has no stride
    said = unescape(page["status"])
    assert "3,857,973,248 multiply-adds (\u2212231,211,008 against the spec's own" in said
    assert [line for line, new in page["spec"] if new] == ["  downsample_at: 1x1"]
    added = [line.strip() for _, _, lines in page["code"] for line in lines]
    assert "self.conv1 = conv1x1(in_channels, planes, stride)" in added
    assert "A stride other than 1 goes on the first 1x1 (the paper's ResNet v1)." in added


@pytest.mark.parametrize(
    "spec",
    [
        "spec/resnet50.yaml",
        "spec/resnet20.yaml",
        "tests/specs/whatif.yaml",
        "tests/specs/pruned_eca.yaml",
    ],
)
def test_every_variant_is_what_the_compiler_makes_of_its_spec(spec: str) -> None:
    own = analysis(spec)
    own_exp = explain(own)
    own_spec = network_spec(own.network, stated=STATED).splitlines()
    _, data = embedded(html(own))
    refused = 0
    for key, variant in data["variants"].items():
        text = spec_text(variant)
        shown = variant["spec"]
        new = {n for n, (_, changed) in enumerate(shown, start=1) if changed}
        assert new and len(new) < len(shown), key  # only the toggled lines are marked
        assert all(line in own_spec for line, changed in shown if not changed), key
        try:
            a = analyze(text, variant["file"])
        except CompileError as exc:
            assert variant["refused"] == exc.render(), key
            refused += 1
            continue
        assert "refused" not in variant, key
        net = a.network
        downsample_at, shortcut, size = key.split("|")
        assert (net.options.downsample_at, net.options.shortcut) == (downsample_at, shortcut)
        assert f"{net.input.h}x{net.input.w}" == size
        exp = explain(a)
        for part in exp.parts:
            row = variant["rows"][part.key]
            assert (row["output"], row["params"], row["macs"]) == (
                str(part.output),
                f"{part.params:,}",
                f"{part.macs:,}",
            ), (key, part.key)
            first = part.code[0]
            focus = f"{first.start}" if first.start == first.end else f"{first.start}-{first.end}"
            assert row["focus"] == focus
            assert fragment(data, variant["details"][part.key]).count(str(part.output)) >= 1
        params, macs = totals(net)
        assert (variant["totals"]["params"], variant["totals"]["macs"]) == (
            f"{params:,}",
            f"{macs:,}",
        )
        assert rebuilt(own_exp.module_lines, variant["code"]) == exp.module_lines, key
        assert variant["changed"] == sum(len(lines) for _, _, lines in variant["code"])
        assert fragment(data, variant["svg"]) == svg(net)
        overview = fragment(data, variant["overview"])
        assert all(d.message.split(" (")[0] in overview for d in a.warnings), key
    assert len(data["variants"]) == len(what_if(own).variants) - 1
    if spec == "tests/specs/whatif.yaml":
        assert refused == 14  # option A everywhere, and 224x224 and 32x32 are not /64
    elif spec == "tests/specs/pruned_eca.yaml":
        # option A cannot take conv2_x's first block from 64 channels down to 19, at any input
        assert refused == 6
        assert all(
            "cannot reduce 64 channels to 19" in v["refused"]
            for k, v in data["variants"].items()
            if k.split("|")[1] == "A"
        )
    else:
        assert refused == 0


def test_the_toggles_and_their_presets() -> None:
    """An ImageNet table (7x7 stem) offers 224x224 and 32x32, a CIFAR one 32x32 and 64x64; the
    spec's own choices are checked, and marked."""
    assert input_presets(analysis("spec/resnet50.yaml").network) == ((224, 224), (32, 32))
    assert input_presets(analysis("spec/resnet20.yaml").network) == ((32, 32), (64, 64))
    assert input_presets(analysis("tests/specs/whatif.yaml").network) == (
        (256, 256),
        (224, 224),
        (32, 32),
    )
    page = html(analysis("spec/resnet20.yaml"))
    radios = re.findall(
        r'<input type="radio" id="([^"]+)" name="(\w+)" value="([^"]+)"([^>]*)>', page
    )
    assert [(name, value) for _, name, value, _ in radios] == [
        ("downsample_at", "1x1"),
        ("downsample_at", "3x3"),
        ("shortcut", "A"),
        ("shortcut", "B"),
        ("shortcut", "C"),
        ("input", "32x32"),
        ("input", "64x64"),
    ]
    checked = [(name, value) for _, name, value, rest in radios if "checked" in rest]
    assert checked == [("downsample_at", "3x3"), ("shortcut", "A"), ("input", "32x32")]
    for id_, *_ in radios:
        assert f'<label for="{id_}">' in page


def test_a_spec_of_shortcut_d_can_toggle_back_to_its_own() -> None:
    """resnet50d's own shortcut is D: the toggle offers it beside A, B and C, checked, and every
    combination of the toggles is a variant, so the page can always come back to the spec's own."""
    a = analysis("spec/resnet50d.yaml")
    page = html(a)
    radios = re.findall(
        r'<input type="radio" id="[^"]+" name="shortcut" value="(\w)"([^>]*)>', page
    )
    assert [value for value, _ in radios] == ["A", "B", "C", "D"]
    assert [value for value, rest in radios if "checked" in rest] == ["D"]
    found = what_if(a)
    values = [[o.value for o in t.options] for t in found.toggles]
    every = {f"{d}|{s}|{i}" for d in values[0] for s in values[1] for i in values[2]}
    assert {v.key.text for v in found.variants} == every and len(every) == 2 * 4 * 3


def test_a_placement_that_changes_nothing_says_so() -> None:
    """ResNet-18's blocks begin with a 3x3: v1 builds the spec's own network."""
    _, data = embedded(html(analysis("spec/resnet18.yaml")))
    v1 = data["variants"]["1x1|B|224x224"]
    said = unescape(v1["status"])
    assert "The compiler builds the same network as for the spec's own variant" in said
    assert "no block of this table begins with a 1x1" in said
    assert v1["totals"]["changed"] == [] and not any(r["changed"] for r in v1["rows"].values())
    assert [len(lines) for _, _, lines in v1["code"]] == [1, 1]  # the lines that name the spec


def test_the_embedded_data_is_escaped_and_deterministic() -> None:
    a = analysis("tests/specs/whatif.yaml")
    page = html(a)
    text, data = embedded(page)
    assert not set(text) & set("<>&")
    assert data == json.loads(json.dumps(what_if_data(a)))
    assert page == html(analysis("tests/specs/whatif.yaml"))
    assert page.count("</script>") == 2


@pytest.mark.parametrize("name", ["resnet50", "resnet152"])
def test_the_page_stays_small(name: str) -> None:
    """Every variant makes the page about 3.5 times its size without them (75 KB)."""
    assert len(html(analysis(f"spec/{name}.yaml")).encode()) < 300_000


@pytest.mark.parametrize("spec", sorted(p.name for p in (ROOT / "spec").glob("*.yaml")))
def test_a_spec_written_with_its_options_stated_builds_the_same_module(spec: str) -> None:
    """What every variant's spec is written as: the spec's own, options stated, reads back as
    the same network."""
    from resnetc.pipeline import render

    own = analysis(f"spec/{spec}")
    text = network_spec(own.network, stated=STATED)
    assert "  downsample_at: " in text and "  shortcut: " in text
    again = analyze(text, "again.yaml")
    assert render(again, "x").text == render(own, "x").text
