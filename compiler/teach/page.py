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

Above the figure, the what-if toggles (radio groups: the stride placement, the shortcut option,
the input size) choose among the variants of `teach.variants`, every one compiled when the page
is written. The spec's own variant is the page as rendered; for each other, the page embeds (as
JSON in a `<script type="application/json">`, every `<`, `>` and `&` escaped) its sentence
against the spec's own, its spec, and either its diagnostics (shown instead of the table, the
code and the figure) or its numbers with the cells that changed, its code as the lines that
differ from the spec's own module, and its explanations and figure as HTML that the template
escaped (`page_parts.html.j2`), kept once line by line. The script only swaps these in and marks
the changes. ResNet-50's page is about 270 KB with its 11 variants (75 KB without).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from ..core import ir
from ..front import notation
from ..front.diagnostics import CompileError
from ..pipeline import Analysis
from . import explanation as ex
from . import variants
from .diagram import short_count, svg
from .figure_layout import part_colours
from .network_words import no_warnings_note, part_costs, percent
from .part_words import cell_block_names
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
    cells: list[tuple[list[str], str]]
    """A stage's cells as Table 1 prints them, each one block's rows stacked and `x N` (a pruned
    stage's several, one under another); empty for the other parts."""


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
    cells: list[tuple[str, Markup]]
    """A pruned stage's cells, each with the blocks it makes (`layer1.2` to `layer1.3`); empty
    for any other part, whose one cell the heading shows."""


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


def _matrices(exp: ex.Explanation) -> dict[str, list[tuple[list[str], str]]]:
    """Each stage's cell as Table 1 prints it: one block's rows stacked, and `x N`; a pruned
    stage's cells each so."""
    return {
        stage.attr: [
            ([notation.row_words(r) for r in cell.rows], f"x {cell.count:,}")
            for cell in stage.cells
        ]
        for stage in exp.network.stages
    }


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
            matrices.get(p.key, []),
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


def _cells(exp: ex.Explanation, part: ex.Part) -> list[tuple[str, Markup]]:
    """A pruned stage's cells and the blocks of each."""
    if not part.pruned:
        return []
    stage = next(s for s in exp.network.stages if s.attr == part.key)
    return [(cell, inline(cell_block_names(stage, j))) for j, cell in enumerate(stage.cell_texts)]


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
        cells=_cells(exp, part),
    )


def _owners(parts) -> dict[int, list[str]]:
    """Line number -> the parts whose code ranges hold it, in the table's order."""
    owners: dict[int, list[str]] = {}
    for part in parts:
        for r in part.code:
            for n in range(r.start, r.end + 1):
                owners.setdefault(n, []).append(part.key)
    return owners


def _lines(exp: ex.Explanation) -> list[Line]:
    owners = _owners(exp.parts)
    return [
        Line(n, text, " ".join(dict.fromkeys(owners.get(n, []))))
        for n, text in enumerate(exp.module_lines, start=1)
    ]


@dataclass
class Warning:
    """A design-rule warning as the page shows it; `new` where the spec's own variant has none."""

    rendered: str
    words: Markup
    new: bool = False


@dataclass
class Overview:
    """What the page shows before a row is selected: sizes, depth, costs, warnings."""

    title: str
    formula: str
    size_chain: list[str]
    size_words: list[Markup]
    depth: Markup
    cost_words: list[Markup]
    cost_table: list[str]
    warnings: list[Warning]
    gone: list[str]
    no_warnings: str = ""
    """What follows "None: the table follows the paper's design rules" (for a pruned network)."""


@dataclass
class View:
    """Everything of the page that depends on the variant shown."""

    summary: str
    diagram: Markup
    rows: list[Row]
    totals: tuple[str, str]
    overview: Overview
    details: list[Detail]
    lines: list[Line]


def _summary(net: ir.Network, params: int, macs: int) -> str:
    return (
        f"{net.class_name}: {params:,} parameters ({short_count(params)}),"
        f" {macs:,} multiply-adds ({short_count(macs)}) at {net.input.h}x{net.input.w}"
    )


def _view(analysis: Analysis, exp: ex.Explanation, own: Analysis | None = None) -> View:
    """The page's variant-dependent parts; `own` is the spec's own analysis, for a variant."""
    net = exp.network
    params, macs = exp.totals
    last = ir.annotated(net.stages[-1].output)
    theirs = {d.message for d in own.warnings} if own is not None else None
    mine = {d.message for d in analysis.warnings}
    warnings = [
        Warning(rendered, inline(words), theirs is not None and d.message not in theirs)
        for d, (rendered, words) in zip(analysis.warnings, exp.warnings, strict=True)
    ]
    gone = [d.message for d in own.warnings if d.message not in mine] if own is not None else []
    return View(
        summary=_summary(net, params, macs),
        diagram=Markup(svg(net)),
        rows=_rows(exp),
        totals=(f"{params:,}", f"{macs:,}"),
        overview=Overview(
            title=f"How {net.input.h}x{net.input.w} becomes {last.h}x{last.w}",
            formula=out_size_formula(),
            size_chain=list(exp.size_chain),
            size_words=[inline(w) for w in exp.size_words],
            depth=inline(exp.depth),
            cost_words=[inline(w) for w in exp.cost_words],
            cost_table=list(exp.cost_table),
            warnings=warnings,
            gone=gone,
            no_warnings=no_warnings_note(net),
        ),
        details=[_detail(exp, p) for p in exp.parts],
        lines=_lines(exp),
    )


def html(analysis: Analysis, target: str = "torch") -> str:
    """The page for an analysed spec, as one HTML document, showing the module `target`
    writes (and, for every what-if variant, that target's module of the variant)."""
    exp = ex.explain(analysis, target)
    net = exp.network
    view = _view(analysis, exp)
    whatif = variants.what_if(analysis)
    return get_template("page.html.j2").render(
        title=f"{net.name}: from the table to the code",
        name=net.name,
        file_name=exp.file_name,
        label=exp.label,
        view=view,
        whatif=WhatIfView(
            controls=_controls(whatif),
            own_key=whatif.own.key.text,
            own_words=whatif.own.key.words,
            data=_json(_what_if_data(whatif, exp, view, target)),
            limited=whatif.limited,
        ),
    )


# ---------------------------------------------------------------- what-if variants


@dataclass
class Choice:
    """A radio button of a what-if toggle."""

    id: str
    value: str
    label: str
    hint: str
    own: bool
    disabled: bool = False


@dataclass
class Control:
    """A what-if toggle: a fieldset of radio buttons."""

    name: str
    legend: str
    choices: list[Choice]


@dataclass
class WhatIfView:
    """The page's what-if section: its controls, the own variant's words, and the data of every
    other variant (JSON for a `<script type="application/json">`, see `what_if_data`)."""

    controls: list[Control]
    own_key: str
    own_words: str
    data: Markup
    limited: str | None = None


def _controls(whatif: variants.WhatIf) -> list[Control]:
    return [
        Control(
            t.name,
            t.legend,
            [
                Choice(
                    f"wi-{t.name}-{i}",
                    o.value,
                    o.label,
                    o.hint,
                    o.value == t.own,
                    disabled=whatif.limited is not None and o.value != t.own,
                )
                for i, o in enumerate(t.options)
            ],
        )
        for t in whatif.toggles
    ]


def _json(data: object) -> Markup:
    """`data` as JSON that is safe inside a <script> element: every `<`, `>` and `&` escaped, so
    that no text of the spec or the code can close the element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for ch, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, code)
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


class _Pool:
    """HTML fragments, each kept once as a list of line numbers into lines kept once: most of
    a variant's explanation and figure is line for line some other variant's."""

    def __init__(self) -> None:
        self._lines: dict[str, int] = {}
        self._fragments: dict[str, int] = {}
        self.fragments: list[list[int]] = []

    @property
    def lines(self) -> list[str]:
        """The distinct lines, by index."""
        return list(self._lines)

    def add(self, fragment: str) -> int:
        """The index of `fragment`, whose lines the page joins with newlines."""
        if fragment not in self._fragments:
            self._fragments[fragment] = len(self.fragments)
            self.fragments.append(
                [self._lines.setdefault(line, len(self._lines)) for line in fragment.split("\n")]
            )
        return self._fragments[fragment]


def _spec_lines(own: str, text: str) -> list[list[object]]:
    """The variant's spec, line by line, each line with whether it differs from the own's."""
    lines = text.splitlines()
    changed = variants.changed_lines(own.splitlines(), lines)
    return [[line, n in changed] for n, line in enumerate(lines, start=1)]


def _against(what: str, mine: int, theirs: int) -> str:
    """`3,857,973,248 multiply-adds (-231,211,008 against the spec's own 4,089,184,256, -5.7%)`,
    with true minus signs."""
    if mine == theirs:
        return f"{mine:,} {what} (as the spec's own)"
    delta = mine - theirs
    signed = f"+{delta:,}" if delta > 0 else f"\u2212{-delta:,}"
    share = f", {100 * delta / theirs:+.1f}%".replace("-", "\u2212") if theirs else ""
    return f"{mine:,} {what} ({signed} against the spec's own {theirs:,}{share})"


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def status(whatif: variants.WhatIf, v: variants.Variant, changed_lines: int = 0) -> str:
    """What a variant is against the spec's own, in one paragraph (`code` in backticks)."""
    if v.analysis is None:
        return f"{v.key.words}: resnetc refuses this spec, as `resnetc check` would."
    own = whatif.own
    params, macs = v.totals
    own_params, own_macs = own.totals
    assert own.analysis is not None  # the spec's own variant holds the analysis `what_if` was given
    warnings, own_warnings = len(v.analysis.warnings), len(own.analysis.warnings)
    words = [
        _against("parameters", params, own_params),
        _against("multiply-adds", macs, own_macs),
        _count(changed_lines, "line")
        + (
            " of the generated code differs"
            if changed_lines == 1
            else " of the generated code differ"
        ),
        (_count(warnings, "design-rule warning") if warnings else "no design-rule warning")
        + f" (the spec's own: {own_warnings or 'none'})",
    ]
    text = f"{v.key.words}: " + "; ".join(words) + "."
    if v.same_as is not None:
        other = whatif.get(v.same_as)
        which = "the spec's own variant" if other.own else other.key.words
        text += f" The compiler builds the same network as for {which}"
        if v.key._replace(downsample_at="") == other.key._replace(downsample_at=""):
            text += (
                ": no block of this table begins with a 1x1, so both placements put the stride"
                " on the same convolution"
            )
        text += "."
    return text


def _row_data(row: Row, own: Row) -> dict[str, object]:
    fields = ("output", "params", "params_share", "macs", "macs_share", "lines", "focus")
    out: dict[str, object] = {f: getattr(row, f) for f in fields}
    out["changed"] = [f for f in ("output", "params", "macs") if getattr(row, f) != getattr(own, f)]
    return out


def _variant_data(
    whatif: variants.WhatIf,
    v: variants.Variant,
    own: tuple[ex.Explanation, View],
    pool: _Pool,
    target: str,
) -> dict[str, object]:
    own_exp, own_view = own
    out: dict[str, object] = {"file": v.filename, "spec": _spec_lines(whatif.own.spec, v.spec)}
    if v.analysis is None:
        out.update(refused=v.refusal, status=str(inline(status(whatif, v))))
        return out
    # the template's macros, which jinja2 sets as attributes of its module at run time
    parts: Any = get_template("page_parts.html.j2").module
    try:
        exp = ex.explain(v.analysis, target)
    except CompileError as exc:  # a variant holding what the target cannot write
        refusal = "\n".join(d.render(v.analysis.source) for d in exc.diagnostics)
        words = f"{v.key.words}: the {target} target cannot write this variant."
        out.update(refused=refusal, status=str(inline(words)))
        return out
    view = _view(v.analysis, exp, whatif.own.analysis)
    changes = variants.changes(own_exp.module_lines, exp.module_lines)
    code = [[c.a1, c.a2, exp.module_lines[c.b1 : c.b2]] for c in changes]
    changed = sum(c.b2 - c.b1 for c in changes)
    own_rows = {r.key: r for r in own_view.rows}
    totals = dict(zip(("params", "macs"), view.totals, strict=True))
    own_totals = dict(zip(("params", "macs"), own_view.totals, strict=True))
    out.update(
        status=str(inline(status(whatif, v, changed))),
        summary=view.summary,
        summary_changed=view.summary != own_view.summary,
        svg=pool.add(str(view.diagram)),
        overview=pool.add(str(parts.overview(view.overview))),
        details={d.key: pool.add(str(parts.detail(d))) for d in view.details},
        rows={r.key: _row_data(r, own_rows[r.key]) for r in view.rows},
        totals={**totals, "changed": [f for f in totals if totals[f] != own_totals[f]]},
        code=code,
        changed=changed,
    )
    return out


def _what_if_data(
    whatif: variants.WhatIf, exp: ex.Explanation, view: View, target: str
) -> dict[str, object]:
    pool = _Pool()
    return {
        "name": exp.network.name,
        "own": whatif.own.key.text,
        "variants": {
            v.key.text: _variant_data(whatif, v, (exp, view), pool, target)
            for v in whatif.variants[1:]
        },
        "lines": pool.lines,
        "fragments": pool.fragments,
    }


def what_if_data(analysis: Analysis, target: str = "torch") -> dict[str, object]:
    """What the page embeds for its what-if toggles: for every variant but the spec's own (by its
    key, `1x1|B|224x224`), its spec (each line with whether it changed), and either `refused`
    (the diagnostics) or its numbers (`rows`, `totals`, each with the fields that changed), its
    code (`code`: [own start, own end, the lines put there], 0-based, end exclusive), `status` (a
    sentence, HTML), and its explanations and figure (`overview`, `details`, `svg`: fragments of
    HTML, each a list of indexes into `lines`)."""
    exp = ex.explain(analysis, target)
    return _what_if_data(variants.what_if(analysis), exp, _view(analysis, exp), target)
