"""The network figure as TikZ: `figure_layout`'s geometry, drawn in millimetres.

`picture(net)` is a `tikzpicture` to `\\input` into a paper (it needs only `\\usepackage{tikz}`);
`document(net)` wraps it in a LaTeX document whose page is the figure's size, which `pdflatex`
compiles with TeX Live's latex-base and pgf alone. The picture uses `x=1mm, y=-1mm`, so its
coordinates are the geometry's own; every text from the spec is escaped by `latex.escape`. As
with the SVG, this module only writes the geometry down: it decides nothing about where anything
goes.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import ir
from . import figure_model as fm
from .figure_layout import layout
from .latex import Tex, get_template


def _mm(x: float) -> Tex:
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return Tex("0" if text == "-0" else text)


def _at(x: float, y: float) -> Tex:
    return Tex(f"({_mm(x)},{_mm(y)})")


def _font(role: str) -> str:
    pt = fm.FONT_PT[role]
    bold = r"\bfseries" if role in fm.BOLD else ""
    return rf"\sffamily{bold}\fontsize{{{pt}}}{{{pt + 1}}}\selectfont"


def _styles() -> list[tuple[Tex, Tex]]:
    """The picture's styles, from the geometry's line widths, dash patterns and fonts."""
    s = {k: f"{_mm(v)}mm" for k, v in fm.STROKE.items()}
    dash = {
        k: (f"dash pattern=on {_mm(v[0])}mm off {_mm(v[1])}mm" if v else "solid")
        for k, v in fm.DASH.items()
    }
    styles = {
        "rd line": f"draw=rdline, line width={s['line']}",
        "rd head": "fill=rdline",
        "rd arc": f"draw=rdline, line width={s['arc']}, line cap=round",
        **{f"rd {kind}": pattern for kind, pattern in dash.items()},
        "rd mark": f"fill=white, draw=rdline, line width={s['mark']}",
        "rd box": f"draw=black!35, line width={s['box']}",
        "rd frame": f"line width={s['frame']}, rounded corners=1.2mm",
        "rd bracket": f"draw=black, line width={s['bracket']}",
        "rd middle": "inner sep=0pt, anchor=base",
        "rd start": "inner sep=0pt, anchor=base west",
        **{f"rd {role}": f"font={_font(role)}" for role in fm.FONT_PT},
    }
    return [(Tex(k), Tex(v)) for k, v in styles.items()]


@dataclass(frozen=True)
class Node:
    """A text node: its styles, where its base line is, its text (escaped by the template)."""

    style: Tex
    at: Tex
    text: str


@dataclass(frozen=True)
class Shape:
    """A filled or stroked path: the command, its options and its path."""

    command: Tex
    options: Tex
    path: Tex


@dataclass
class Group:
    """What is drawn for one part, under a comment saying which."""

    comment: str
    shapes: list[Shape]
    nodes: list[Node]


def _node(label: fm.Label) -> Node:
    return Node(Tex(f"rd {label.anchor}, rd {label.role}"), _at(label.x, label.y), label.text)


def _rect(box: fm.Box) -> Tex:
    return Tex(f"{_at(box.x, box.y)} rectangle {_at(box.x + box.w, box.y + box.h)}")


def _polyline(points, closed: bool = False) -> Tex:
    path = " -- ".join(_at(x, y) for x, y in points)
    return Tex(path + (" -- cycle" if closed else ""))


def _arc_shapes(arc: fm.Arc) -> list[Shape]:
    a, b = _mm(arc.x0), _mm(arc.x1)
    y, c = _mm(arc.y), _mm(arc.cy)
    path = Tex(f"({a},{y}) .. controls ({a},{c}) and ({b},{c}) .. ({b},{y})")
    out = [Shape(Tex(r"\draw"), Tex(f"rd arc, rd {arc.kind}"), path)]
    if arc.kind == "projection":
        x, top = arc.apex
        half = fm.MARK / 2
        square = fm.Box(x - half, top - half, fm.MARK, fm.MARK, "")
        out.append(Shape(Tex(r"\filldraw"), Tex("rd mark"), _rect(square)))
    return out


def _arc_nodes(arcs: list[fm.Arc]) -> list[Node]:
    """The `A` over every option-A shortcut."""
    out = []
    for arc in arcs:
        if arc.kind == "zeropad":
            x, top = arc.apex
            out.append(_node(fm.Label(x, top - 0.8, "A", "small")))
    return out


def _group(part: fm.Part, colours: dict[str, str]) -> Group:
    shapes: list[Shape] = []
    if part.frame is not None:
        name = colours[part.frame.colour]
        style = Tex(f"rd frame, fill={name}!12, draw={name}!45")
        shapes.append(Shape(Tex(r"\filldraw"), style, _rect(part.frame)))
    for arrow in part.arrows:
        line = [(arrow.x0, arrow.y), (arrow.x1 - fm.HEAD_LEN, arrow.y)]
        shapes.append(Shape(Tex(r"\draw"), Tex("rd line"), _polyline(line)))
        shapes.append(Shape(Tex(r"\fill"), Tex("rd head"), _polyline(arrow.head, closed=True)))
    for arc in part.arcs:
        shapes += _arc_shapes(arc)
    for box in part.boxes:
        style = Tex(f"rd box, fill={colours[box.colour]}")
        shapes.append(Shape(Tex(r"\filldraw"), style, _rect(box)))
    for bracket in part.brackets:
        shapes.append(Shape(Tex(r"\draw"), Tex("rd bracket"), _polyline(bracket)))
    nodes = [_node(t) for t in part.labels] + _arc_nodes(part.arcs)
    return Group(part.title, shapes, nodes)


def _colour_names(fig: fm.Figure) -> dict[str, str]:
    """A LaTeX colour name for each colour of the figure, in order of first use."""
    used = [fm.LINE_COLOUR] + [p.colour for p in fig.parts]
    names: dict[str, str] = {}
    for colour in dict.fromkeys(used):
        names[colour] = "rdline" if colour == fm.LINE_COLOUR else f"rd{chr(97 + len(names) - 1)}"
    return names


def _view(net: ir.Network) -> dict:
    fig = layout(net)
    colours = _colour_names(fig)
    legend = Group(
        "legend",
        [shape for arc in fig.legend_arcs for shape in _arc_shapes(arc)],
        [_node(t) for t in fig.legend_labels] + _arc_nodes(fig.legend_arcs),
    )
    return {
        "title": fig.title,
        "scale": fig.scale.words(),
        "styles": _styles(),
        "colours": [(Tex(name), Tex(hex_[1:].upper())) for hex_, name in colours.items()],
        "heading": _node(fig.heading),
        "groups": [_group(p, colours) for p in fig.parts] + [legend],
        "size": (_mm(fig.width), _mm(fig.height)),
    }


def picture(net: ir.Network) -> str:
    """The figure of the shape-annotated `net` as a `tikzpicture`, to `\\input` into a document."""
    return get_template("diagram.tikz.j2").render(**_view(net))


def document(net: ir.Network) -> str:
    """The figure as a standalone LaTeX document, one page the figure's size, for pdflatex."""
    view = _view(net)
    body = Tex(get_template("diagram.tikz.j2").render(**view))
    return get_template("diagram.tex.j2").render(title=view["title"], picture=body)
