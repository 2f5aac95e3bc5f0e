"""`resnetc explain --html`: one self-contained page, the table beside the code it becomes.

The page renders the same `Explanation` as the markdown walk: the spec's table (each row
focusable; selecting it highlights its lines of the generated module, its boxes in the diagram,
scrolls its own lines into view and shows what it means, its size arithmetic and its layers), the
generated module (selecting a line highlights the row it implements), and the figure of
`teach.diagram` above. From 1180 px wide the code sits beside the table; below that, under it,
and every table still fits its pane with all its columns (only code and preformatted text scroll
inside their panes). Printed, the page is one column on white, every part's explanation shown and
every code line wrapped. CSS and JavaScript are inline; nothing is fetched. The bytes depend only
on the spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..front import notation
from ..pipeline import Analysis
from . import explanation as ex
from .diagram import short_count, svg
from .figure_layout import part_colours
from .network_words import part_costs, percent
from .size_formula import out_size_formula
from .templating import get_template


def inline(text: str) -> Markup:
    """Plain text with `backtick` spans turned into <code>, everything escaped."""
    pieces = re.split(r"`([^`]*)`", text)
    out = [
        Markup("<code>{}</code>").format(p) if i % 2 else escape(p) for i, p in enumerate(pieces)
    ]
    return Markup("").join(out)


@dataclass
class Row:
    """One row of the table (a part of the network) and the code lines it owns."""

    key: str
    title: str
    cell: str
    output: str
    params: str
    params_share: str
    macs: str
    macs_share: str
    lines: str
    focus: str
    colour: str
    matrix: list[str]
    repeats: str


@dataclass
class Detail:
    """What the page shows for a selected row."""

    key: str
    title: str
    cell: str
    output: str
    written: list[tuple[int, str]]
    words: list[Markup]
    steps: list[tuple[Markup, str, str]]
    layers: list[tuple[Markup, str, str, str, str]]
    costs: str
    code: list[tuple[str, str]]


@dataclass
class Line:
    """One line of the generated module and the parts it implements."""

    number: int
    text: str
    parts: str


def _span(start: int, end: int) -> str:
    return f"{start}" if start == end else f"{start}-{end}"


def _ranges(part: ex.Part) -> str:
    return " ".join(_span(r.start, r.end) for r in part.code)


def _focus(part: ex.Part) -> str:
    """The lines that matter most for a row: its own (the first range, in the network's
    `__init__`), which the page scrolls into view when the row is selected."""
    return _span(part.code[0].start, part.code[0].end) if part.code else ""


def _matrices(exp: ex.Explanation) -> dict[str, tuple[list[str], str]]:
    """Each stage's cell as Table 1 prints it: one block's rows stacked, and `x N`."""
    out: dict[str, tuple[list[str], str]] = {}
    for stage in exp.network.stages:
        rows = [notation.row_words(r) for r in stage.rows]
        out[stage.attr] = (rows, f"x {stage.repeats:,}")
    return out


def _rows(exp: ex.Explanation) -> list[Row]:
    params, macs = exp.totals
    titles, colours = ex.titles(exp.network), part_colours(exp.network)
    matrices = _matrices(exp)
    return [
        Row(
            p.key,
            titles[p.key],
            p.cell,
            str(p.output),
            f"{p.params:,}",
            percent(p.params, params),
            f"{p.macs:,}",
            percent(p.macs, macs),
            _ranges(p),
            _focus(p),
            colours[p.key],
            *matrices.get(p.key, ([], "")),
        )
        for p in exp.parts
    ]


def breakable(name: str) -> Markup:
    """A dotted name, escaped, that a narrow table may wrap after its dots (never inside a part)."""
    return Markup(".<wbr>").join(escape(piece) for piece in name.split("."))


def _layers(part: ex.Part) -> list[tuple[Markup, str, str, str, str]]:
    return [
        (
            breakable(r.name),
            r.op,
            str(r.output),
            f"{r.params:,}" + (f" x {r.count:,}" if r.count > 1 and r.params else ""),
            f"{r.macs:,}" + (f" x {r.count:,}" if r.count > 1 and r.macs else ""),
        )
        for r in part.layers
    ]


def _detail(exp: ex.Explanation, part: ex.Part) -> Detail:
    cost = part_costs(part.params, part.macs, exp.totals)
    return Detail(
        key=part.key,
        title=ex.titles(exp.network)[part.key],
        cell=part.cell,
        output=str(part.output),
        written=list(part.written),
        words=[inline(w) for w in part.words],
        steps=[(breakable(s.layer), s.op, s.text) for s in part.steps],
        layers=_layers(part),
        costs=cost,
        code=[(r.what, _span(r.start, r.end)) for r in part.code],
    )


def _lines(exp: ex.Explanation) -> list[Line]:
    owners: dict[int, list[str]] = {}
    for part in exp.parts:
        for r in part.code:
            for n in range(r.start, r.end + 1):
                owners.setdefault(n, []).append(part.key)
    return [
        Line(n, text, " ".join(dict.fromkeys(owners.get(n, []))))
        for n, text in enumerate(exp.module_lines, start=1)
    ]


def html(analysis: Analysis, target: str = "torch") -> str:
    """The page for an analysed spec, as one HTML document, showing the module `target`
    writes."""
    exp = ex.explain(analysis, target)
    net = exp.network
    params, macs = exp.totals
    last = net.stages[-1].output
    return get_template("page.html.j2").render(
        title=f"{net.name}: from the table to the code",
        name=net.name,
        file_name=exp.file_name,
        label=exp.label,
        summary=(
            f"{net.class_name}: {params:,} parameters ({short_count(params)}),"
            f" {macs:,} multiply-adds ({short_count(macs)}) at {net.input.h}x{net.input.w}"
        ),
        diagram=Markup(svg(net)),
        rows=_rows(exp),
        totals=(f"{params:,}", f"{macs:,}"),
        details=[_detail(exp, p) for p in exp.parts],
        lines=_lines(exp),
        overview_title=f"How {net.input.h}x{net.input.w} becomes {last.h}x{last.w}",
        formula=out_size_formula(),
        size_chain=list(exp.size_chain),
        size_words=[inline(w) for w in exp.size_words],
        depth=inline(exp.depth),
        cost_words=[inline(w) for w in exp.cost_words],
        cost_table=list(exp.cost_table),
        warnings=[(rendered, inline(words)) for rendered, words in exp.warnings],
    )
