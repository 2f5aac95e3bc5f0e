"""The network figure as a standalone SVG: `figure_layout`'s geometry, drawn at `PX_PER_MM`.

Every box is to scale by the rule the legend states (see `figure_layout`); this module only turns
millimetres into pixels and the geometry into the strings `diagram.svg.j2` inserts. The SVG is
valid XML with a <title>, readable on light and dark backgrounds (every colour is mid-tone, text
carries a halo in the page's background colour), and each part is one `<g data-part=...>`, which
the HTML page (which embeds the same text) highlights when its row is selected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..core import ir
from . import figure_model as fm
from .figure_layout import layout
from .templating import get_template

PX_PER_MM = 5.0


def _px(mm: float) -> str:
    text = f"{mm * PX_PER_MM:.1f}"
    return text[:-2] if text.endswith(".0") else text


def short_count(n: int) -> str:
    """`25.6M`, `4.1G`, `9.5k`, `650`: a count in three significant figures or fewer."""
    for size, suffix in ((10**9, "G"), (10**6, "M"), (10**3, "k")):
        if n >= size:
            return f"{n / size:.3g}{suffix}"
    return str(n)


@dataclass(frozen=True)
class Text:
    """A label: position, text and style classes."""

    x: str
    y: str
    text: str
    cls: str
    anchor: str


@dataclass(frozen=True)
class Rect:
    """A rectangle and its fill."""

    x: str
    y: str
    w: str
    h: str
    fill: str


@dataclass(frozen=True)
class Curve:
    """A shortcut arc, its dash pattern and (for a projection) the square on it."""

    d: str
    dash: str
    marks: tuple[Rect, ...]


@dataclass
class Group:
    """One part of the network: what `diagram.svg.j2` draws in its `<g>`."""

    part: str
    title: str
    frames: list[Rect]
    lines: list[str]
    heads: list[str]
    curves: list[Curve]
    boxes: list[Rect]
    brackets: list[str]
    texts: list[Text]


@dataclass
class Drawing:
    """Everything `diagram.svg.j2` draws."""

    width: str
    height: str
    title: str
    desc: str
    fonts: dict[str, str]
    strokes: dict[str, str]
    line_colour: str
    heading: Text
    groups: list[Group]
    legend_curves: list[Curve]
    legend_texts: list[Text]


def _text(label: fm.Label) -> Text:
    return Text(_px(label.x), _px(label.y), label.text, f"rd-t rd-{label.role}", label.anchor)


def _rect(box: fm.Box) -> Rect:
    return Rect(_px(box.x), _px(box.y), _px(box.w), _px(box.h), box.colour)


def _points(points) -> str:
    return " ".join(f"{_px(x)},{_px(y)}" for x, y in points)


def _curve(arc: fm.Arc) -> Curve:
    a, b, y, c = _px(arc.x0), _px(arc.x1), _px(arc.y), _px(arc.cy)
    dash = " ".join(_px(v) for v in fm.DASH[arc.kind]) or "none"
    marks: tuple[Rect, ...] = ()
    if arc.kind == "projection":
        x, top = arc.apex
        half = fm.MARK / 2
        marks = (Rect(_px(x - half), _px(top - half), _px(fm.MARK), _px(fm.MARK), ""),)
    return Curve(f"M{a},{y} C{a},{c} {b},{c} {b},{y}", dash, marks)


def _arc_labels(arcs: list[fm.Arc]) -> list[Text]:
    """The `A` over every option-A shortcut."""
    out = []
    for arc in arcs:
        if arc.kind == "zeropad":
            x, top = arc.apex
            out.append(Text(_px(x), _px(top - 0.8), "A", "rd-t rd-small", "middle"))
    return out


def _group(part: fm.Part) -> Group:
    return Group(
        part=part.key,
        title=part.title,
        frames=[_rect(part.frame)] if part.frame is not None else [],
        lines=[f"M{_px(a.x0)},{_px(a.y)} H{_px(a.x1 - fm.HEAD_LEN)}" for a in part.arrows],
        heads=[_points(a.head) for a in part.arrows],
        curves=[_curve(a) for a in part.arcs],
        boxes=[_rect(b) for b in part.boxes],
        brackets=[_points(b) for b in part.brackets],
        texts=[_text(t) for t in part.labels] + _arc_labels(part.arcs),
    )


def build(net: ir.Network) -> Drawing:
    """The SVG drawing of `net`: the figure's geometry in pixels."""
    fig = layout(net)
    return Drawing(
        width=_px(math.ceil(fig.width)),
        height=_px(math.ceil(fig.height)),
        title=fig.title,
        desc=fig.desc,
        fonts={role: _px(pt * fm.PT) for role, pt in fm.FONT_PT.items()},
        strokes={kind: _px(mm) for kind, mm in fm.STROKE.items()},
        line_colour=fm.LINE_COLOUR,
        heading=_text(fig.heading),
        groups=[_group(p) for p in fig.parts],
        legend_curves=[_curve(a) for a in fig.legend_arcs],
        legend_texts=[_text(t) for t in fig.legend_labels] + _arc_labels(fig.legend_arcs),
    )


def svg(net: ir.Network) -> str:
    """The figure of the shape-annotated `net` as a standalone SVG document."""
    return get_template("diagram.svg.j2").render(d=build(net))
