"""`resnetc diagram`: a standalone SVG of the feature maps, and the HTML page that embeds it."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from resnetc.pipeline import analyze
from resnetc.teach.diagram import (
    HEAD_COLOUR,
    INPUT_COLOUR,
    LINE_COLOUR,
    STAGE_COLOURS,
    STEM_COLOUR,
    svg,
)
from resnetc.teach.page import html
from tests.conftest import ROOT, unmarked

SVG = "{http://www.w3.org/2000/svg}"
SPECS = [
    "spec/resnet18.yaml",
    "spec/resnet50.yaml",
    "spec/resnet152.yaml",
    "tests/explain/cifar_resnet20_a.yaml",
    "tests/explain/resnext50_32x4d.yaml",
    "tests/cases/t1_three_conv_gray/spec.yaml",
]


def analysis(spec: str):
    return analyze((ROOT / spec).read_bytes(), spec)


def luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_golden_svg(golden) -> None:
    golden(ROOT / "tests" / "explain" / "resnet50.svg", svg(analysis("spec/resnet50.yaml").network))


@pytest.mark.parametrize("spec", SPECS)
def test_svg_is_valid_xml_with_a_title(spec: str) -> None:
    net = analysis(spec).network
    root = ET.fromstring(svg(net))
    assert root.tag == f"{SVG}svg"
    assert root[0].tag == f"{SVG}title" and net.name in root[0].text
    assert root.find(f"{SVG}desc") is not None
    width, height = float(root.get("width")), float(root.get("height"))
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert 300 < width < 3000 and 150 < height < 800


@pytest.mark.parametrize("spec", SPECS)
def test_one_box_per_map_and_one_arc_per_drawn_block(spec: str) -> None:
    net = analysis(spec).network
    root = ET.fromstring(svg(net))
    volumes = [g.get("data-part") for g in root.iter(f"{SVG}g") if g.get("class") == "rd-vol"]
    expected = ["input", "conv1", *(["pool"] if net.stem.pool else [])]
    assert volumes == [*expected, *(s.attr for s in net.stages), "head"]
    for stage in net.stages:
        link = next(
            g
            for g in root.iter(f"{SVG}g")
            if g.get("class") == "rd-link" and g.get("data-part") == stage.attr
        )
        arcs = [p for p in link.iter(f"{SVG}path") if p.get("class") == "rd-arc"]
        squares = list(link.iter(f"{SVG}rect"))
        assert len(arcs) == len(squares) == min(stage.repeats, 8 if stage.repeats <= 8 else 3)
        dashes = [a.get("stroke-dasharray") for a in arcs]
        first = stage.blocks[0].shortcut.kind
        assert dashes[0] == {"identity": "none", "projection": "0.1 3.4", "zeropad": "6 3.5"}[first]
        assert all(d == "none" for d in dashes[1:]) or net.options.shortcut == "C"
        assert any(t.text == f"x{stage.repeats:,}" for t in link.iter(f"{SVG}text"))


def test_a_long_stage_is_drawn_short() -> None:
    root = ET.fromstring(svg(analysis("spec/resnet152.yaml").network))
    link = next(g for g in root.iter(f"{SVG}g") if g.get("data-part") == "layer3")
    assert [t.text for t in link.iter(f"{SVG}text")] == ["...", "x36"]


def test_colours_read_on_light_and_dark_backgrounds() -> None:
    """Shapes and lines: mid-tone, at least 3:1 against white and black. Text: a halo."""
    for colour in (*STAGE_COLOURS, INPUT_COLOUR, STEM_COLOUR, HEAD_COLOUR, LINE_COLOUR):
        lum = luminance(colour)
        assert 1.05 / (lum + 0.05) >= 3 and (lum + 0.05) / 0.05 >= 3, colour
    text = svg(analysis("spec/resnet50.yaml").network)
    root = ET.fromstring(text)
    texts = list(root.iter(f"{SVG}text"))
    assert texts and all("rd-t" in t.get("class").split() for t in texts)
    style = root.find(f"{SVG}style").text
    assert "paint-order: stroke" in style and "prefers-color-scheme: dark" in style
    assert "<image" not in text and "href=" not in text and "@import" not in text


def test_deterministic() -> None:
    a, b = analysis("spec/resnet50.yaml"), analysis("spec/resnet50.yaml")
    assert svg(a.network) == svg(b.network)
    assert html(a) == html(b)


def test_cli_writes_the_same_svg(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "resnet50.svg"
    run = subprocess.run(
        [sys.executable, "-m", "resnetc", "diagram", "spec/resnet50.yaml", "-o", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert unmarked(out.read_text()) == svg(analysis("spec/resnet50.yaml").network)
    assert [p.name for p in out.parent.iterdir()] == ["resnet50.svg"]


@pytest.mark.parametrize("spec", SPECS)
def test_the_page_is_self_contained_and_embeds_the_diagram(spec: str) -> None:
    a = analysis(spec)
    page = html(a)
    assert svg(a.network) in page
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    urls = re.findall(r"https?://[^\s\"'<>)]+", page)
    assert set(urls) <= {"http://www.w3.org/2000/svg"}
    assert not re.search(r"<(link|img|iframe|object|embed)\b|\bsrc=|@import|@font-face", page)
    assert set(re.findall(r"url\(([^)]*)\)", page)) == {"#rd-arrow"}


def test_the_page_escapes_the_code_and_the_spec() -> None:
    spec = (
        (ROOT / "spec/resnet18.yaml")
        .read_text()
        .replace("# ResNet-18", "# <script>alert(1)</script> & ResNet-18", 1)
    )
    page = html(analyze(spec, "a<b>&c.yaml"))
    assert "<script>alert(1)" not in page and "a<b>" not in page
    assert "a&lt;b&gt;&amp;c.yaml" in page
    assert "-&gt; None:" in page  # `def __init__(...) -> None:` of the generated code, escaped
    assert page.count("<script>") == 1
