"""The network as volumes flowing left to right: one box per stage output, shortcut arcs per block.

A box's front face is H x W of the feature map (linear in the map size) and its depth grows with
log2 C, as in the figures learners know from the tutorials. Between two boxes, each block of the
stage is a small square with its shortcut arcing over it: solid for the identity, dotted for a 1x1
projection, dashed for option A's zero padding. `svg(network)` returns a standalone SVG document
(valid XML, with a <title>), readable on light and dark backgrounds: every colour is mid-tone and
text carries a halo in the page's background colour. The HTML page embeds the same text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..core import costs, ir
from .templating import get_template

INPUT_COLOUR, STEM_COLOUR, HEAD_COLOUR, LINE_COLOUR = "#6b7280", "#9c755f", "#8064a2", "#7a7a7a"
STAGE_COLOURS = (
    "#2f80c0",
    "#d9730d",
    "#1f9e89",
    "#d1495b",
    "#9b6ad6",
    "#16a34a",
    "#0891b2",
    "#a16207",
)
"""Mid-tone colours (relative luminance 0.1-0.3): at least 3:1 against white and against black."""

FACE = 150.0  # height in pixels of the largest map
MIN_FACE = 8.0
GAP = 26.0
GLYPH, GLYPH_STEP, MAX_GLYPHS = 10.0, 20.0, 8
TOP = 46.0


def _fmt(x: float) -> str:
    text = f"{x:.1f}"
    return text[:-2] if text.endswith(".0") else text


def short_count(n: int) -> str:
    """`25.6M`, `4.1G`, `9.5k`, `650`: a count in three significant figures or fewer."""
    for size, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return str(n)


def _mix(colour: str, other: str, t: float) -> str:
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b, strict=True))


@dataclass
class Text:
    """A label: position, text and style classes."""

    x: str
    y: str
    text: str
    cls: str = ""
    anchor: str = "middle"


@dataclass
class Volume:
    """One box: a feature map (or the input, or the classifier's output)."""

    part: str
    title: str
    front: str
    top: str
    side: str
    colour: str
    top_colour: str
    side_colour: str
    labels: list[Text]


@dataclass
class Link:
    """What lies between two boxes: the main line, block squares and their shortcut arcs."""

    part: str
    title: str
    line: str
    glyphs: list[tuple[str, str]] = field(default_factory=list)
    arcs: list[tuple[str, str]] = field(default_factory=list)
    colour: str = LINE_COLOUR
    labels: list[Text] = field(default_factory=list)


def _size(n: int, largest: int) -> float:
    return max(MIN_FACE, FACE * n / largest)


def _depth(c: int) -> float:
    return 6.0 + 5.0 * math.log2(max(c, 1))


@dataclass
class _Layout:
    """Where the next box goes, and how far the drawing reaches."""

    largest: int
    mid: float
    x: float = 16.0
    right: float = 0.0
    bottom: float = 0.0


def _volume(lay: _Layout, part: str, title: str, shape: ir.Shape, colour: str, lines) -> Volume:
    w, h = _size(shape.w, lay.largest), _size(shape.h, lay.largest)
    d = _depth(shape.c)
    dx, dy = d * 0.7, d * 0.5
    x0, y0 = lay.x, lay.mid - h / 2 + dy / 2
    pts = [(x0, y0), (x0 + w, y0), (x0 + w, y0 + h), (x0, y0 + h)]
    top = [(x0, y0), (x0 + dx, y0 - dy), (x0 + w + dx, y0 - dy), (x0 + w, y0)]
    side = [(x0 + w, y0), (x0 + w + dx, y0 - dy), (x0 + w + dx, y0 + h - dy), (x0 + w, y0 + h)]
    cx = x0 + (w + dx) / 2
    base = lay.mid + FACE / 2 + 30
    labels = [Text(_fmt(cx), _fmt(base + 15 * i), t, c) for i, (t, c) in enumerate(lines)]
    lay.x += w + dx
    widest = max((_text_width(t) for t, _ in lines), default=0.0)
    lay.right = max(lay.right, lay.x, cx + widest / 2)
    lay.bottom = max(lay.bottom, base + 15 * len(lines))
    return Volume(
        part,
        title,
        _points(pts),
        _points(top),
        _points(side),
        colour,
        _mix(colour, "#ffffff", 0.35),
        _mix(colour, "#000000", 0.3),
        labels,
    )


def _text_width(text: str) -> float:
    """About how wide `text` is at 12px in a sans-serif face (generous, to keep labels inside)."""
    return 7.0 * len(text)


def _points(pts: list[tuple[float, float]]) -> str:
    return " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pts)


def _shown(stage: ir.Stage) -> list[tuple[int, ir.Shortcut] | None]:
    """The blocks drawn (None where a run of them is left out), each with its shortcut."""
    blocks = [(b.index + k, b.shortcut) for b in stage.blocks for k in range(min(b.count, 9))]
    if stage.repeats <= MAX_GLYPHS:
        return list(blocks)
    last = stage.blocks[-1]
    return [*blocks[:2], None, (stage.repeats - 1, last.shortcut)]


_DASH = {"identity": "", "projection": "0.1 3.4", "zeropad": "6 3.5"}


def _link(lay: _Layout, part: str, title: str, stage: ir.Stage | None, colour: str) -> Link:
    """The stretch from the last box to the next: an arrow, and the stage's blocks if any."""
    start = lay.x + GAP / 2
    shown = _shown(stage) if stage is not None else []
    width = max(GAP, len(shown) * GLYPH_STEP + GAP)
    end = start + width
    line = f"M{_fmt(start)},{_fmt(lay.mid)} H{_fmt(end - 4)}"
    link = Link(part, title, line, colour=colour)
    x = start + GAP / 2
    for item in shown:
        if item is None:
            link.labels.append(Text(_fmt(x + GLYPH / 2), _fmt(lay.mid - 8), "...", "rd-s"))
        else:
            _glyph(link, x, lay.mid, item[1])
        x += GLYPH_STEP
    if stage is not None:
        words = f"x{stage.repeats:,}"
        link.labels.append(Text(_fmt((start + end) / 2), _fmt(lay.mid + 20), words, "rd-s"))
    lay.x = end + GAP / 2
    return link


def _glyph(link: Link, x: float, mid: float, shortcut: ir.Shortcut) -> None:
    half = GLYPH / 2
    link.glyphs.append((_fmt(x), _fmt(mid - half)))
    link.arcs.append((_arc(x - 4, x + GLYPH + 4, mid, mid - half - 16), _DASH[shortcut.kind]))


def _arc(x0: float, x1: float, y: float, top: float) -> str:
    a, b, c, t = _fmt(x0), _fmt(x1), _fmt(y), _fmt(top)
    return f"M{a},{c} C{a},{t} {b},{t} {b},{c}"


# ---------------------------------------------------------------- the whole drawing


@dataclass
class Drawing:
    """Everything `diagram.svg.j2` draws."""

    width: str
    height: str
    title: str
    desc: str
    heading: str
    volumes: list[Volume]
    links: list[Link]
    legend_arcs: list[tuple[str, str]]
    legend_labels: list[Text]
    line_colour: str = LINE_COLOUR
    glyph: str = _fmt(GLYPH)


def part_colours(net: ir.Network) -> dict[str, str]:
    """The colour of each part (`conv1`, `pool`, `layer1`..., `head`) in the diagram."""
    out = {"input": INPUT_COLOUR, "conv1": STEM_COLOUR, "pool": STEM_COLOUR, "head": HEAD_COLOUR}
    for i, stage in enumerate(net.stages):
        out[stage.attr] = STAGE_COLOURS[i % len(STAGE_COLOURS)]
    return out


def _cost_lines(part: costs.StageCost) -> list[tuple[str, str]]:
    return [
        (f"{short_count(part.params)} params", "rd-s"),
        (f"{short_count(part.macs)} MACs", "rd-s"),
    ]


def _parts(net: ir.Network, lay: _Layout) -> tuple[list[Volume], list[Link]]:
    """Boxes and links from the input to the classifier, left to right."""
    sums = costs.stages(net)
    colours = part_colours(net)
    vols = [_volume(lay, "input", f"input {net.input}", net.input, colours["input"],
                    [("input", "rd-b"), (str(net.input), "rd-s")])]  # fmt: skip
    links: list[Link] = []

    def add(part: str, title: str, shape: ir.Shape, lines, stage: ir.Stage | None = None):
        """The link to the next box, and the box."""
        links.append(_link(lay, part, title, stage, colours[part]))
        vols.append(_volume(lay, part, title, shape, colours[part], lines))

    stem = net.stem
    conv_params = sum(costs.layer_cost(x).params for x in (stem.conv, stem.norm) if x)
    add("conv1", f"conv1: {stem.conv_text} -> {stem.conv.output}", stem.conv.output,
        [("conv1", "rd-b"), (str(stem.conv.output), "rd-s"),
         (f"{short_count(conv_params)} params", "rd-s")])  # fmt: skip
    if stem.pool is not None:
        add("pool", f"pool: {stem.pool.cell_text} -> {stem.pool.output}", stem.pool.output,
            [("pool", "rd-b"), (str(stem.pool.output), "rd-s")])  # fmt: skip
    for i, stage in enumerate(net.stages):
        lines = [(stage.name, "rd-b"), (str(stage.output), "rd-s"), *_cost_lines(sums[i + 1])]
        add(stage.attr, f"{stage.name} -> {stage.output}", stage.output, lines, stage)
    lines = [("fc", "rd-b"), (f"{net.classes:,}", "rd-s"), *_cost_lines(sums[-1])]
    title = f"average pool, {net.classes}-d fc -> {net.classes}"
    add("head", title, net.head.output, lines)
    return vols, links


def _legend(net: ir.Network, y: float) -> tuple[list[tuple[str, str]], list[Text]]:
    kinds = ["identity"] + [
        k for k in ("projection", "zeropad") if any(
            b.shortcut.kind == k for s in net.stages for b in s.blocks)
    ]  # fmt: skip
    words = {
        "identity": "identity shortcut",
        "projection": "projection shortcut (1x1 conv)",
        "zeropad": "zero-padding shortcut (option A)",
    }
    arcs, labels, x = [], [], 16.0
    for kind in kinds:
        arcs.append((_arc(x, x + 22, y, y - 14), _DASH[kind]))
        labels.append(Text(_fmt(x + 28), _fmt(y - 2), words[kind], anchor="start"))
        x += 40 + _text_width(words[kind])
    note = "box: height and width of the map, depth ~ log2(channels); square: one block"
    labels.append(Text(_fmt(x + 10), _fmt(y - 2), note, anchor="start"))
    return arcs, labels


def build(net: ir.Network) -> Drawing:
    """The geometry of the diagram of `net`."""
    sizes = [net.input.h, net.input.w]
    largest = max(sizes)
    lay = _Layout(largest=largest, mid=TOP + 30 + FACE / 2)
    vols, links = _parts(net, lay)
    legend_y = lay.bottom + 34
    arcs, labels = _legend(net, legend_y)
    params, macs = costs.totals(net)
    width = max(lay.right + 16, float(labels[-1].x) + _text_width(labels[-1].text) + 16)
    return Drawing(
        width=_fmt(math.ceil(width)),
        height=_fmt(math.ceil(legend_y + 12)),
        title=f"{net.name}: the feature maps from the input to the classifier",
        desc=_desc(net),
        heading=(
            f"{net.name}: {params:,} parameters, {macs:,} multiply-adds at"
            f" {net.input.h}x{net.input.w}"
        ),
        volumes=vols,
        links=links,
        legend_arcs=arcs,
        legend_labels=labels,
    )


def _desc(net: ir.Network) -> str:
    chain = " -> ".join(
        [str(net.input), str(net.stem.conv.output)]
        + ([str(net.stem.pool.output)] if net.stem.pool is not None else [])
        + [f"{s.output} ({s.name}, {s.repeats:,} blocks)" for s in net.stages]
        + [str(net.classes)]
    )
    return f"Feature maps (channels x height x width): {chain}."


def svg(net: ir.Network) -> str:
    """The diagram of the shape-annotated `net` as a standalone SVG document."""
    return get_template("diagram.svg.j2").render(d=build(net))
