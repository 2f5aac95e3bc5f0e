"""The `Explanation` of a network as markdown: readable as it is in a terminal (lines within 100
columns, no colour) and as a page on a code host.
"""

from __future__ import annotations

import textwrap

from ..pipeline import Analysis
from ..targets.sourcemap import CodeRange
from . import explanation as ex
from .codespan import literal
from .network_words import no_warnings_note, part_costs, percent
from .size_formula import out_size_formula
from .stage_table import stage_table

WIDTH = 100


def _para(text: str) -> list[str]:
    """A paragraph, folded to the page width, and the blank line after it."""
    return [*textwrap.wrap(text, WIDTH, break_long_words=False, break_on_hyphens=False), ""]


def _bullet(text: str) -> list[str]:
    return textwrap.wrap(
        text,
        WIDTH,
        initial_indent="- ",
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _wrap_code(line: str) -> list[str]:
    """A line of a code block, folded at spaces where it is wider than the page."""
    if len(line) <= WIDTH:
        return [line]
    return textwrap.wrap(line, WIDTH, subsequent_indent="    ", break_long_words=False)


def _fence(lines: list[str] | tuple[str, ...]) -> list[str]:
    """A code block, and the blank line after it."""
    return ["```text", *lines, "```", ""]


def _numbered(lines: list[tuple[int, str]]) -> list[str]:
    return [f"{n:>4}  {text}".rstrip() for n, text in lines]


def _lines_text(ranges: list[CodeRange]) -> str:
    spans = [f"{r.start}" if r.start == r.end else f"{r.start}-{r.end}" for r in ranges]
    return ("line " if len(spans) == 1 and "-" not in spans[0] else "lines ") + ", ".join(spans)


def _code(part: ex.Part, exp: ex.Explanation, quoted: dict[str, str], title: str) -> list[str]:
    """The part's lines of the generated module; a class quoted under an earlier part is named."""
    lines = exp.module_lines
    own = [r for r in part.code if not r.what.startswith(("class ", "def "))]
    shared = [r for r in part.code if r.what.startswith(("class ", "def "))]
    out = _para(f"In `{exp.file_name}` ({_lines_text(own)}):")
    body: list[str] = []
    for r in own:
        if body:
            body.append("   ...")
        body += _numbered(r.lines(lines))
    out += _fence(body)
    for r in shared:
        name = r.what.split(" ", 1)[1]
        if r.what in quoted:
            out += _para(f"`{name}` ({_lines_text([r])}) is quoted under {quoted[r.what]}.")
            continue
        quoted[r.what] = title
        out += _para(f"`{name}`, {_lines_text([r])}:") + _fence(_numbered(r.lines(lines)))
    return out


def _steps(part: ex.Part) -> list[str]:
    if not part.steps:
        return []
    rows = [(s.layer, s.op, s.text) for s in part.steps]
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    table = [f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows]
    intro = "Output size:" if part.key in ("conv1", "pool") else "The layers that change the size:"
    return _para(intro) + _fence(table)


def _part(part: ex.Part, exp: ex.Explanation, quoted: dict[str, str]) -> list[str]:
    title = ex.titles(exp.network)[part.key]
    out = [f"## {title}", ""]
    if part.written:
        out += _fence(_numbered(list(part.written)))
    out += _para(f"Read as {_read_as(part)} -> {part.output}.")
    for words in part.words:
        out += _bullet(words)
    out += ["", *_steps(part)]
    out += _para(part_costs(part.params, part.macs, exp.totals))
    if part.code:
        out += _code(part, exp, quoted, title)
    return out


def _read_as(part: ex.Part) -> str:
    """The part's cell, or a pruned stage's list of cells: `a`, `b` and `c`."""
    if not part.pruned:
        return f"`{part.cell}`"
    if part.written:
        return f"a list of {len(part.cells)} cells (one per item above)"
    cells = [f"`{c}`" for c in part.cells]
    return f"a list of {len(cells)} cells, " + ", ".join(cells[:-1]) + " and " + cells[-1]


def _intro(exp: ex.Explanation) -> list[str]:
    net = exp.network
    out = [f"# {net.name}: from the table to the code", ""]
    out += _para(
        f"{literal(exp.label)} describes {net.class_name} in the notation of the ResNet paper's"
        f" Table 1: a {net.input} input (channels x height x width), {net.classes:,} classes."
        f" `resnetc compile{_option(exp.target)}` turns it into `{exp.file_name}`. Below, each"
        " row of the table: what"
        " it expands to, how it changes the size of the map, what it costs, and the lines of"
        " the generated module that implement it."
    )
    table = stage_table(net)
    if max(len(line) for line in table) > WIDTH:
        table = [_drop_cell_column(line, table[0]) for line in table]
    return out + _fence(table)


def _option(target: str) -> str:
    return "" if target == "torch" else f" --target {target}"


def _drop_cell_column(line: str, header: str) -> str:
    """The stage table without its (too wide) cell column."""
    start, end = header.index("cell"), header.index("output")
    return (line[:start] + line[end:]).rstrip()


def markdown(analysis: Analysis, target: str = "torch") -> str:
    """The walk through an analysed spec as markdown (lines within 100 columns where it can),
    quoting the module `target` writes."""
    return render_markdown(ex.explain(analysis, target))


def render_markdown(exp: ex.Explanation) -> str:
    """The walk: intro and table, a section per part, then downsampling, depth, costs, warnings."""
    out = _intro(exp)
    quoted: dict[str, str] = {}
    for part in exp.parts:
        out += _part(part, exp, quoted)
    net = exp.network
    out += [f"## How {net.input.h}x{net.input.w} becomes {_last(net)}", ""]
    out += _para(f"Every size above comes from one formula: `{out_size_formula()}`.")
    if exp.size_chain:
        out += _fence(exp.size_chain)
    for words in exp.size_words:
        out += _para(words)
    out += ["## Depth", "", *_para(exp.depth)]
    out += ["## Where the parameters and multiply-adds are", "", *_cost_table(exp)]
    for words in exp.cost_words:
        out += _para(words)
    out += _fence(exp.cost_table)
    out += _warnings(exp)
    return "\n".join(out).rstrip("\n") + "\n"


def _last(net) -> str:
    last = net.stages[-1].output
    return f"{last.h}x{last.w}"


def _cost_table(exp: ex.Explanation) -> list[str]:
    params, macs = exp.totals
    names = ex.titles(exp.network)
    rows = [
        (names[p.key], f"{p.params:,}", percent(p.params, params), f"{p.macs:,}", pct)
        for p in exp.parts
        for pct in [percent(p.macs, macs)]
    ]
    rows.append(("total", f"{params:,}", "", f"{macs:,}", ""))
    header = ("part", "params", "share", "MACs", "share")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    lines = [
        "  ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i]) for i, v in enumerate(r))
        for r in [header, *rows]
    ]
    return _fence([line.rstrip() for line in lines])


def _warnings(exp: ex.Explanation) -> list[str]:
    out = ["## Design-rule warnings", ""]
    if not exp.warnings:
        note = no_warnings_note(exp.network)
        return out + _para(f"None: the table follows the paper's design rules{note}.")
    for rendered, words in exp.warnings:
        lines = [w for line in rendered.splitlines() for w in _wrap_code(line)]
        out += _fence(lines)
        if words:
            out += _para(words)
    return out
