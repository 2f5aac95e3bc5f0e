"""Per-layer analysis for people and programs: what `resnetc summary` prints.

One row per layer of the generated module, in execution order and under its state_dict name, with
a run of identical blocks shown once: the 35 copies of a stage's repeated block give one row per
layer, `layer3.[1-35].conv1 ... x35`, whose parameters and multiply-adds are each copy's. So the
summary costs what the table costs, not what the network does: a stage of a million blocks is as
many rows as a stage of two. `expand=True` lists every layer instead, refused (`check_expandable`)
when that would be more than `limits.MAX_EXPANDED_ROWS` rows. A subtotal follows each part of the
network, the stem, every stage and the head (`costs.stages()`, the very numbers `resnetc check`
prints); then the totals. Rendered as an aligned table for an 80-column terminal, as markdown for
docs, or as JSON for programs (one entry per row, with its `count`).

MACs are the multiply-accumulates of the conv and fc layers: the paper's "FLOPs (multiply-adds)".
Tools that count a multiply and an add as two operations (fvcore, ptflops, torch's
`FlopCounterMode`) report FLOPs = 2 x MACs; the JSON carries both (`macs`, `flops`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ..core import costs, ir
from ..front import limits, notation
from ..front.columns import render_table
from ..front.diagnostics import fail
from ..front.source import printable
from .codespan import literal

FORMATS = ("table", "markdown", "json")
"""The formats `resnetc summary --format` accepts; the first is the default."""


@dataclass(frozen=True)
class Row:
    """`count` identical layers `in_block` of the blocks `first`..`first + count - 1` of the stage
    `module`, or a single layer (count 1). `layer` is the first of them, under its own dotted
    name; its parameters and multiply-adds are each one's."""

    layer: costs.LayerCost
    count: int = 1
    module: str = ""
    first: int = 0
    in_block: str = ""

    @property
    def label(self) -> str:
        """How the row names its layers: `layer3.[1-35].conv1` for a run, else the layer's name."""
        if self.count == 1:
            return self.layer.name
        last = self.first + self.count - 1
        return f"{self.module}.[{self.first}-{last}].{self.in_block}"

    def named(self, block: int) -> costs.LayerCost:
        """The row's layer in block `block` of its run, under its own name."""
        if self.count == 1:
            return self.layer
        return self.layer._replace(name=f"{self.module}.{block}.{self.in_block}")


def _expanded(rows: Sequence[Row]) -> Iterator[costs.LayerCost]:
    """The layers `rows` stand for, in execution order: block by block through each run."""
    run: list[Row] = []
    for row in [*rows, None]:
        if run and (row is None or (row.module, row.first, row.count) != _run_of(run[0])):
            for block in range(run[0].first, run[0].first + run[0].count):
                yield from (r.named(block) for r in run)
            run = []
        if row is not None and row.count > 1:
            run.append(row)
        elif row is not None:
            yield row.layer


def _run_of(row: Row) -> tuple[str, int, int]:
    return row.module, row.first, row.count


@dataclass(frozen=True)
class Part:
    """One part of the network (the stem, a stage, the head): its subtotal and its rows."""

    name: str
    module: str | None
    blocks: int
    output: tuple[int, ...]
    params: int
    macs: int
    rows: tuple[Row, ...]

    @property
    def layers(self) -> Iterator[costs.LayerCost]:
        """Every layer of the part in execution order, each run expanded."""
        return _expanded(self.rows)


@dataclass(frozen=True)
class Summary:
    """A whole network's rows, part by part, and its totals."""

    net: ir.Network
    parts: tuple[Part, ...]
    params: int
    macs: int

    @property
    def rows(self) -> Iterator[Row]:
        """Every row in execution order."""
        for part in self.parts:
            yield from part.rows

    @property
    def layers(self) -> Iterator[costs.LayerCost]:
        """Every layer in execution order, each run expanded (as long as the network is deep)."""
        for part in self.parts:
            yield from part.layers


def expanded_rows(net: ir.Network) -> int:
    """How many rows `summarize(net, expand=True)` has: one per layer of the network."""
    stem, *_, head = costs.parts(net)
    rows = len(list(stem[1])) + len(list(head[1]))
    for stage in net.stages:
        for block in stage.blocks:
            rows += block.count * block.layer_count
    return rows


def check_expandable(net: ir.Network) -> None:
    """Refuse (`CompileError`) a network whose every layer is too many rows to print."""
    rows = expanded_rows(net)
    if rows <= limits.MAX_EXPANDED_ROWS:
        return
    stage = max(net.stages, key=lambda s: s.repeats)
    raise fail(
        f"--expand would print {rows:,} layer rows, more than the limit of"
        f" {limits.MAX_EXPANDED_ROWS:,} (MAX_EXPANDED_ROWS); the largest stage, {stage.name},"
        f" has {stage.repeats:,} blocks",
        stage.cell_span if stage.pruned else stage.repeats_span,
        help="leave out --expand: a run of identical blocks is then one row per layer",
    )


def summarize(net: ir.Network, expand: bool = False) -> Summary:
    """The summary of a shape-annotated network: a run of identical blocks once (one row per
    layer, with its count), or with `expand` every layer (see `check_expandable`)."""
    if expand:
        check_expandable(net)
    found = list(costs.parts(net))
    stage_rows = [_stage_rows(stage, expand) for stage in net.stages]
    rows = [[_single(x) for x in found[0][1]], *stage_rows, [_single(x) for x in found[-1][1]]]
    blocks = [0, *(stage.repeats for stage in net.stages), 0]
    parts = []
    for i, (total, _) in enumerate(found):
        is_head = i == len(found) - 1
        output = (total.output.c,) if is_head else tuple(total.output)
        module = total.attr or None
        parts.append(
            Part(total.name, module, blocks[i], output, total.params, total.macs, tuple(rows[i]))
        )
    params, macs = costs.totals(net)
    return Summary(net, tuple(parts), params, macs)


def _single(layer: costs.LayerCost) -> Row:
    return Row(layer)


def _stage_rows(stage: ir.Stage, expand: bool) -> list[Row]:
    """A stage's rows: each block's layers (main path, then shortcut), a run of blocks once."""
    rows = []
    for block in stage.blocks:
        layers = [costs.layer_cost(x) for x in (*block.layers, *block.shortcut.layers)]
        if block.count == 1 or expand:
            for i in range(block.index, block.index + block.count):
                rows += [_single(x._replace(name=f"{stage.attr}.{i}.{x.name}")) for x in layers]
            continue
        for x in layers:
            named = x._replace(name=f"{stage.attr}.{block.index}.{x.name}")
            rows.append(Row(named, block.count, stage.attr, block.index, x.name))
    return rows


def dims_text(dims: Sequence[int]) -> str:
    """`64x56x56`, or `1000` for a vector."""
    return "x".join(str(d) for d in dims)


def _count(value: int) -> str:
    """A count with thousands separators; '-' for nothing (a BN's MACs, a pool's parameters)."""
    return f"{value:,}" if value else "-"


def _options_text(options: ir.Options) -> str:
    text = f"options: downsample_at {options.downsample_at}, shortcut {options.shortcut}"
    if options.shortcut_kernel != 1:
        text += f", shortcut_kernel {notation.kernel_text(options.shortcut_kernel)}"
    if options.norm_groups is not None:
        text += f", norm {notation.norm_text(options.norm_groups)}"
    return text + (", preact" if options.preact else "")


def _part_label(part: Part) -> str:
    if part.module is None:
        return ""
    return f"{part.module} x{part.blocks}"


def _times(row: Row) -> str:
    return f"x{row.count}" if row.count > 1 else ""


def _runs_note(summary: Summary) -> list[str]:
    """What a row of a run means, if the summary has one."""
    if all(row.count == 1 for row in summary.rows):
        return []
    return [
        "A row ending in xN is N identical layers, one in each block of a run ([1-N]);",
        "params and MACs are each layer's; subtotals count all; --expand lists them all.",
    ]


def _footer(summary: Summary) -> list[str]:
    return [
        'MACs: multiply-accumulates of the conv and fc layers (the paper\'s "FLOPs");',
        f"tools counting 2 FLOPs per MAC report {2 * summary.macs:,} FLOPs.",
        *_runs_note(summary),
    ]


def _heading(summary: Summary, label: str) -> list[str]:
    net = summary.net
    return [
        f"{printable(label)}: {net.name} ({net.class_name}), input {net.input},"
        f" {net.classes} classes",
        _options_text(net.options),
    ]


def table(summary: Summary, label: str) -> str:
    """The table for people: every row, a ruled subtotal after each part, the totals. A run's
    count follows its MACs (`x35`), one space after, so the table fits 80 columns."""
    header = ("layer", "op", "output", "params", "MACs")
    rows: list[tuple[str, ...]] = []
    times: list[str] = []
    subtotal_at: list[int] = []
    for part in summary.parts:
        for row in part.rows:
            x = row.layer
            cells = (x.op, dims_text(x.dims), _count(x.params), _count(x.macs))
            rows.append((row.label, *cells))
            times.append(_times(row))
        subtotal_at.append(len(rows))
        output = dims_text(part.output)
        rows.append((part.name, _part_label(part), output, f"{part.params:,}", f"{part.macs:,}"))
        times.append("")
    rows.append(("total", "", "", f"{summary.params:,}", f"{summary.macs:,}"))
    times.append("")
    lines = render_table(header, rows, right={3, 4})
    lines = [
        lines[0],
        *(f"{line} {x}" if x else line for line, x in zip(lines[1:], times, strict=True)),
    ]
    width = max(len(line) for line in lines)
    out = [*_heading(summary, label), "", lines[0]]
    for i, line in enumerate(lines[1:]):
        if i in subtotal_at:
            out.append("-" * width)
        elif i == len(rows) - 1:
            out.append("=" * width)
        out.append(line)
        if i in subtotal_at and i != len(rows) - 2:
            out.append("")
    return "\n".join([*out, "", *_footer(summary)]) + "\n"


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def markdown(summary: Summary, label: str) -> str:
    """Markdown for docs: the parts' subtotals, then every row with a bold row after each part."""
    net = summary.net
    out = [
        f"## {net.name} ({net.class_name})",
        "",
        f"From {literal(printable(label))}: input {net.input}, {net.classes} classes;"
        f" {_options_text(net.options)}.",
        f"{summary.params:,} parameters; {summary.macs:,} multiply-adds (MACs, the paper's"
        f' "FLOPs"), {2 * summary.macs:,} FLOPs at 2 per MAC.',
        "",
        _md_row(("part", "module", "output", "params", "MACs")),
        _md_row((":--", ":--", ":--", "--:", "--:")),
    ]
    for part in summary.parts:
        module = f"`{part.module}` x{part.blocks}" if part.module else ""
        numbers = (_count(part.params), _count(part.macs))
        out.append(_md_row((part.name, module, dims_text(part.output), *numbers)))
    out.append(_md_row(("**total**", "", "", f"**{summary.params:,}**", f"**{summary.macs:,}**")))
    out += ["", _md_row(("layer", "op", "output", "params", "MACs", "count"))]
    out.append(_md_row((":--", ":--", ":--", "--:", "--:", "--:")))
    for part in summary.parts:
        for row in part.rows:
            x = row.layer
            counts = (_count(x.params), _count(x.macs), _times(row))
            out.append(_md_row((f"`{row.label}`", x.op, dims_text(x.dims), *counts)))
        bold = (f"**{part.params:,}**", f"**{part.macs:,}**", "")
        out.append(_md_row((f"**{part.name}**", "", f"**{dims_text(part.output)}**", *bold)))
    note = _runs_note(summary)
    return "\n".join([*out, *(["", " ".join(note)] if note else [])]) + "\n"


def as_data(summary: Summary) -> dict:
    """The summary as plain data (what `to_json` writes): one `layers` entry per row."""
    net, opts = summary.net, summary.net.options
    return {
        "name": net.name,
        "class_name": net.class_name,
        "input": list(net.input),
        "classes": net.classes,
        "options": {
            "downsample_at": opts.downsample_at,
            "shortcut": opts.shortcut,
            "preact": opts.preact,
            "zero_init_residual": opts.zero_init_residual,
        },
        "params": summary.params,
        "macs": summary.macs,
        "flops": 2 * summary.macs,
        "stages": [_part_data(part) for part in summary.parts],
        "layers": [_row_data(row, part.name) for part in summary.parts for row in part.rows],
    }


def _part_data(part: Part) -> dict:
    return {
        "name": part.name,
        "module": part.module,
        "blocks": part.blocks,
        "output": list(part.output),
        "params": part.params,
        "macs": part.macs,
    }


def _row_data(row: Row, stage: str) -> dict:
    """A row: the first layer's name, how many it stands for, and each one's numbers; a run
    also says which blocks (`blocks`: first and last) and names them all (`names`)."""
    layer = row.layer
    data = {
        "name": layer.name,
        "count": row.count,
        "op": layer.op,
        "kind": layer.kind,
        "stage": stage,
        "output": list(layer.dims),
        "params": layer.params,
        "macs": layer.macs,
    }
    if row.count > 1:
        data["blocks"] = [row.first, row.first + row.count - 1]
        data["names"] = row.label
    return data


def to_json(summary: Summary) -> str:
    """Deterministic JSON: top-level keys one per line, each stage and layer on one line."""
    data = as_data(summary)
    lines = ["{"]
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            items = [f"    {json.dumps(v)}" for v in value]
            lines += [f'  "{key}": [', ",\n".join(items), "  ],"]
        else:
            lines.append(f'  "{key}": {json.dumps(value)},')
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join([*lines, "}"]) + "\n"


def render(summary: Summary, label: str, fmt: str = "table") -> str:
    """The summary in one of `FORMATS`."""
    if fmt == "json":
        return to_json(summary)
    if fmt == "markdown":
        return markdown(summary, label)
    if fmt == "table":
        return table(summary, label)
    raise ValueError(f"unknown summary format {fmt!r}; expected one of {', '.join(FORMATS)}")
