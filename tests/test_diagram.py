"""`resnetc diagram`: the figure's geometry, its SVG, and the HTML page that embeds it."""

from __future__ import annotations

import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from resnetc.pipeline import analyze
from resnetc.teach import figure_layout as fl
from resnetc.teach import figure_model as fm
from resnetc.teach.diagram import PX_PER_MM, svg
from resnetc.teach.figure_model import (
    HEAD_COLOUR,
    INPUT_COLOUR,
    LINE_COLOUR,
    STAGE_COLOURS,
    STEM_COLOUR,
)
from resnetc.teach.page import breakable, html
from tests.conftest import ROOT, unmarked

SVG = "{http://www.w3.org/2000/svg}"
SPECS = [
    "spec/resnet18.yaml",
    "spec/resnet50.yaml",
    "spec/resnet152.yaml",
    "spec/preact_resnet164.yaml",
    "tests/explain/cifar_resnet20_a.yaml",
    "tests/explain/resnext50_32x4d.yaml",
    "tests/cases/t1_three_conv_gray/spec.yaml",
    "tests/specs/pruned_eca.yaml",
]
PRUNED = "tests/specs/pruned_eca.yaml"
DASHES = {"identity": "none", "projection": "6 4", "zeropad": "0.2 3.8"}


def analysis(spec: str):
    return analyze((ROOT / spec).read_bytes(), spec)


def luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-part"): g for g in root.iter(f"{SVG}g") if g.get("class") == "rd-part"}


def texts(element: ET.Element) -> list[str]:
    return [t.text for t in element.iter(f"{SVG}text")]


def maps(net) -> list[tuple[str, list]]:
    """Each part's key and the shapes its boxes stand for, in drawing order."""
    out = [("input", [net.input]), ("conv1", [net.stem.conv.output])]
    if net.stem.pool is not None:
        out.append(("pool", [net.stem.pool.output]))
    out += [(s.attr, [b.output for b in s.blocks]) for s in net.stages]
    return [*out, ("head", [net.head.output])]


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
    # a pruned stage stacks its cells' matrices (up to fl.MAX_STACKED), one under another
    tallest = 650 if any(stage.pruned for stage in net.stages) else 500
    assert 300 < width < 1200 and 150 < height < tallest


@pytest.mark.parametrize("spec", SPECS)
def test_every_box_is_drawn_to_the_scale_the_legend_states(spec: str) -> None:
    """The one rule: as tall as the map, as wide as the channels, both on the stated scale."""
    net = analysis(spec).network
    fig = fl.layout(net)
    scale = fig.scale
    assert [p.key for p in fig.parts] == [key for key, _ in maps(net)]
    for part, (_, shapes) in zip(fig.parts, maps(net), strict=True):
        assert len(part.boxes) == len(shapes)
        for box, shape in zip(part.boxes, shapes, strict=True):
            assert box.w == pytest.approx(max(fm.MIN_SIDE, shape.c / scale.channels_per_mm))
            assert box.h == pytest.approx(max(fm.MIN_SIDE, shape.h / scale.px_per_mm))
    for value in (scale.px_per_mm, scale.channels_per_mm):
        assert value == 2.0 ** round(math.log2(value))  # a power of two
    tallest = max(b.h for p in fig.parts for b in p.boxes)
    assert tallest <= fl.MAX_BOX_HEIGHT < 2 * tallest or scale.px_per_mm == 1 / 8
    root = ET.fromstring(svg(net))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "rd-legend")
    assert scale.words() in texts(legend)
    assert f"1 mm = {scale.px_per_mm:g} pixels" in scale.words()
    assert f"1 mm = {scale.channels_per_mm:g} channels" in scale.words()


def test_the_scales_of_resnet50() -> None:
    scale = fl.layout(analysis("spec/resnet50.yaml").network).scale
    assert (scale.px_per_mm, scale.channels_per_mm) == (8, 256)
    # conv2_x's 256x56x56 is 1 mm wide and 7 mm tall; conv5_x's 2048x7x7, 8 mm by 0.875 mm.


@pytest.mark.parametrize("spec", SPECS)
def test_the_svg_draws_the_geometry(spec: str) -> None:
    """The SVG's boxes are the layout's, in pixels: the geometry is computed once."""
    net = analysis(spec).network
    fig = fl.layout(net)
    by_part = groups(ET.fromstring(svg(net)))
    for part in fig.parts:
        rects = [r for r in by_part[part.key].iter(f"{SVG}rect") if r.get("class") == "rd-box"]
        drawn = [tuple(float(r.get(k)) for k in ("x", "y", "width", "height")) for r in rects]
        for (x, y, w, h), box in zip(drawn, part.boxes, strict=True):
            for got, mm in ((x, box.x), (y, box.y), (w, box.w), (h, box.h)):
                assert got == pytest.approx(mm * PX_PER_MM, abs=0.06)


@pytest.mark.parametrize("spec", SPECS)
def test_one_group_per_part_and_one_arc_per_run_of_blocks(spec: str) -> None:
    net = analysis(spec).network
    root = ET.fromstring(svg(net))
    by_part = groups(root)
    assert list(by_part) == [key for key, _ in maps(net)]
    for stage in net.stages:
        group = by_part[stage.attr]
        arcs = [p for p in group.iter(f"{SVG}path") if p.get("class") == "rd-arc"]
        assert [a.get("stroke-dasharray") for a in arcs] == [
            DASHES[b.shortcut.kind] for b in stage.blocks
        ]
        marks = [r for r in group.iter(f"{SVG}rect") if r.get("class") == "rd-mark"]
        assert len(marks) == sum(b.shortcut.kind == "projection" for b in stage.blocks)
        words = texts(group)
        assert words.count("A") == sum(b.shortcut.kind == "zeropad" for b in stage.blocks)
        # each run's count under its box, then each cell's under its matrix
        assert [w for w in words if w[0] == "×"] == [f"×{b.count:,}" for b in stage.blocks] + [
            f"×{c.count:,}" for c in stage.cells
        ]
        assert str(stage.output).replace("x", "×") in words
        assert stage.name in words
        assert len(list(group.iter(f"{SVG}polyline"))) == 2 * len(stage.cells)  # brackets
        for cell in stage.cells:
            rows = [fl.figure_text(f"{r.kernel}x{r.kernel}, {r.filters}") for r in cell.rows]
            assert all(any(w.startswith(row) for w in words) for row in rows)
    assert by_part["conv1"].find(f"{SVG}rect").get("fill") == STEM_COLOUR


def test_a_long_stage_folds() -> None:
    """ResNet-152's conv4_x: the entry block (projection) and one box for the other 35."""
    net = analysis("spec/resnet152.yaml").network
    group = groups(ET.fromstring(svg(net)))["layer3"]
    boxes = [r for r in group.iter(f"{SVG}rect") if r.get("class") == "rd-box"]
    assert len(boxes) == 2
    assert [t for t in texts(group) if t.startswith("×")] == ["×1", "×35", "×36"]
    fig = fl.layout(net)
    assert fig.width <= 200 and fig.height <= 100  # an A4 page's width, with margins


def test_option_a_is_marked() -> None:
    root = ET.fromstring(svg(analysis("tests/explain/cifar_resnet20_a.yaml").network))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "rd-legend")
    assert "option A: zero-padding shortcut" in texts(legend)
    assert "projection shortcut (1×1 conv)" not in texts(legend)
    assert texts(groups(root)["layer2"]).count("A") == 1


def test_the_zoo_rows_are_drawn() -> None:
    """An attention row is the last row of its stage's matrix, as the table writes it; ResNet-D's
    shortcut is named for what it is."""
    for spec, row in (
        ("spec/seresnet50.yaml", "fc, [16, 256]"),
        ("spec/ecaresnet50d.yaml", "eca, k=5"),
    ):
        root = ET.fromstring(svg(analysis(spec).network))
        words = texts(groups(root)["layer1"])
        assert row in words and words.index(row) == words.index("1×1, 256") + 1
    legend = next(
        g
        for g in ET.fromstring(svg(analysis("spec/ecaresnet50d.yaml").network)).iter(f"{SVG}g")
        if g.get("class") == "rd-legend"
    )
    assert fl.AVG_DOWN_WORDS in texts(legend) and "projection shortcut (1×1 conv)" not in texts(
        legend
    )


def test_colours_read_on_light_and_dark_backgrounds() -> None:
    """Shapes and lines: mid-tone, at least 3:1 against white and black. Text: a halo."""
    for colour in (*STAGE_COLOURS, INPUT_COLOUR, STEM_COLOUR, HEAD_COLOUR, LINE_COLOUR):
        lum = luminance(colour)
        assert 1.05 / (lum + 0.05) >= 3 and (lum + 0.05) / 0.05 >= 3, colour
    text = svg(analysis("spec/resnet50.yaml").network)
    root = ET.fromstring(text)
    labels = list(root.iter(f"{SVG}text"))
    assert labels and all("rd-t" in t.get("class").split() for t in labels)
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
    again = tmp_path / "again.svg"
    run = subprocess.run(
        [sys.executable, "-m", "resnetc", "diagram", "spec/resnet50.yaml", "--format", "svg",
         "-o", str(again)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0 and again.read_text() == out.read_text()


@pytest.mark.parametrize("spec", SPECS)
def test_the_page_is_self_contained_and_embeds_the_diagram(spec: str) -> None:
    a = analysis(spec)
    page = html(a)
    assert svg(a.network) in page
    assert page.startswith("<!DOCTYPE html>") and page.endswith("</html>\n")
    urls = re.findall(r"https?://[^\s\"'<>)\\]+", page)  # the JSON escapes quotes: \\"
    assert set(urls) <= {"http://www.w3.org/2000/svg"}
    assert not re.search(r"<(link|img|iframe|object|embed)\b|\bsrc=|@import|@font-face", page)
    assert not re.findall(r"url\(", page)


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
    assert breakable("layer2.0.downsample.0") == "layer2.<wbr>0.<wbr>downsample.<wbr>0"
    assert breakable("a<b.c") == "a&lt;b.<wbr>c"


def test_the_svg_escapes_names() -> None:
    """The same renamed network as tests/test_tikz.py's: valid XML, names drawn as written."""
    from tests.test_tikz import hostile

    net = hostile(analysis("spec/resnet18.yaml").network)
    root = ET.fromstring(svg(net))
    assert any(t.startswith(net.name + ":") for t in texts(root))
    assert net.stages[0].name in texts(root)


def _brackets(group: ET.Element) -> list[list[tuple[float, float]]]:
    return [
        [tuple(float(v) for v in point.split(",")) for point in line.get("points").split()]
        for line in group.iter(f"{SVG}polyline")
    ]


def test_a_pruned_stage_draws_each_cell() -> None:
    """A stage of 3 cells: a matrix for each, one under another in order, each with its own
    `×n` and its own rows (attention row last); the legend says how to read them."""
    net = analysis(PRUNED).network
    root = ET.fromstring(svg(net))
    group = groups(root)["layer1"]
    words = texts(group)
    cells = [
        ["1×1, 47", "3×3, 18", "1×1, 19", "eca, k=5", "×1"],
        ["1×1, 52", "3×3, 22", "1×1, 19", "eca, k=5", "×1"],
        ["1×1, 64", "3×3, 35", "1×1, 19", "eca, k=5", "×2"],
    ]
    start = words.index("conv2_x")
    assert words[start + 1 : start + 1 + 15] == [w for cell in cells for w in cell]
    assert words[start + 16] == "19×56×56"
    assert [w for w in words[:start] if w.startswith("×")] == ["×1", "×1", "×2"]  # the boxes
    brackets = _brackets(group)
    assert len(brackets) == 6
    opening = brackets[::2]
    assert len({b[0][0] for b in opening}) == 1  # one column of matrices, aligned
    tops = [b[0][1] for b in opening]
    bottoms = [b[-1][1] for b in opening]
    assert tops == sorted(tops) and all(b < t for b, t in zip(bottoms, tops[1:], strict=False))
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "rd-legend")
    assert fl.PRUNED_WORDS in texts(legend)
    fifty = ET.fromstring(svg(analysis("spec/resnet50.yaml").network))
    assert all(fl.PRUNED_WORDS not in texts(g) for g in fifty.iter(f"{SVG}g"))
    # the stage's title names every cell
    assert group.find(f"{SVG}title").text.startswith(f"conv2_x: {net.stages[0].cell_text},")


def test_a_stage_of_many_cells_wraps_into_columns() -> None:
    """More than `MAX_STACKED` cells: further columns of matrices, side by side, read down."""
    cells = "".join(
        f'    - "[[1x1,{w}],[3x3,{w}],[1x1,64]] x 1"\n' for w in (60, 50, 40, 30, 20, 10)
    )
    spec = (
        "name: many\ninput: 32x32x3\nclasses: 10\nstem:\n  conv1: 3x3, 16\n"
        f"stages:\n  conv2_x:\n{cells}"
    )
    net = analyze(spec, "many.yaml").network
    fig = fl.layout(net)
    part = next(p for p in fig.parts if p.key == "layer1")
    opening = part.brackets[::2]
    lefts = [b[0][0] for b in opening]
    assert len(opening) == 6 and fl.MAX_STACKED == 4
    assert lefts[:4] == [lefts[0]] * 4 and lefts[4:] == [lefts[4]] * 2 and lefts[4] > lefts[0]
    assert opening[4][0][1] == opening[0][0][1]  # the second column starts at the top again
    assert part.frame is not None
    assert all(part.frame.x < x < part.frame.x + part.frame.w for x in lefts)
    ET.fromstring(svg(net))


def test_the_page_holds_a_pruned_stages_cells() -> None:
    """The page's table prints each cell's matrix with its own `x n`, and the stage's part lists
    the cells with their blocks."""
    page = html(analysis(PRUNED))
    row = re.search(r'<tr id="row-layer1".*?</tr>', page, re.S)
    assert row is not None
    mats = re.findall(r'<span class="mat">(.*?)</span><span class="rep">(.*?)</span>', row[0])
    assert [(re.findall(r"<span>(.*?)</span>", m), rep) for m, rep in mats] == [
        (["1x1, 47", "3x3, 18", "1x1, 19"], "x 1"),
        (["1x1, 52", "3x3, 22", "1x1, 19"], "x 1"),
        (["1x1, 64", "3x3, 35", "1x1, 19"], "x 2"),
    ]
    assert "x 4" not in row[0]
    detail = re.search(r'<article class="detail" id="detail-layer1".*?</article>', page, re.S)
    assert detail is not None
    assert "<h2>conv2_x, a list of 3 cells &rarr; 19x56x56</h2>" in detail[0]
    assert re.findall(r"<li><code>(\[\[.*?)</code>: (.*?)</li>", detail[0]) == [
        ("[[1x1,47],[3x3,18],[1x1,19],[eca,k=5]] x 1", "<code>layer1.0</code>"),
        ("[[1x1,52],[3x3,22],[1x1,19],[eca,k=5]] x 1", "<code>layer1.1</code>"),
        (
            "[[1x1,64],[3x3,35],[1x1,19],[eca,k=5]] x 2",
            "<code>layer1.2</code> to <code>layer1.3</code>",
        ),
    ]
    assert "The stage is written as a list of 3 cells" in detail[0]
    # an ordinary stage of the same page keeps its one matrix and its heading
    assert "<h2>conv3_x <code>[[1x1,128],[3x3,128],[1x1,512],[eca,k=5]] x 2</code>" in page
