"""Per-layer analysis for people and programs: what `resnetc summary` prints.

One row per layer of the generated module, in execution order and under its state_dict name
(`costs.layers()`); a subtotal after each part of the network, the stem, every stage and the head
(`costs.stages()`, the very numbers `resnetc check` prints); the totals. Rendered as an aligned
table for an 80-column terminal, as markdown for docs, or as JSON for programs.

MACs are the multiply-accumulates of the conv and fc layers: the paper's "FLOPs (multiply-adds)".
Tools that count a multiply and an add as two operations (fvcore, ptflops, torch's
`FlopCounterMode`) report FLOPs = 2 x MACs; the JSON carries both (`macs`, `flops`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from ..core import costs, ir
from ..front.columns import render_table

FORMATS = ("table", "markdown", "json")
"""The formats `resnetc summary --format` accepts; the first is the default."""


@dataclass(frozen=True)
class Part:
    """One part of the network (the stem, a stage, the head): its subtotal and its layers."""

    name: str
    module: str | None
    blocks: int
    output: tuple[int, ...]
    params: int
    macs: int
    layers: tuple[costs.LayerCost, ...]


@dataclass(frozen=True)
class Summary:
    """A whole network's rows, part by part, and its totals."""

    net: ir.Network
    parts: tuple[Part, ...]
    params: int
    macs: int

    @property
    def layers(self) -> tuple[costs.LayerCost, ...]:
        """Every layer in execution order."""
        return tuple(layer for part in self.parts for layer in part.layers)


def summarize(net: ir.Network) -> Summary:
    """The summary of a shape-annotated network."""
    found = list(costs.parts(net))
    blocks = [0, *(stage.repeats for stage in net.stages), 0]
    parts = []
    for i, (total, layers) in enumerate(found):
        is_head = i == len(found) - 1
        output = (total.output.c,) if is_head else tuple(total.output)
        module = total.attr or None
        parts.append(
            Part(total.name, module, blocks[i], output, total.params, total.macs, tuple(layers))
        )
    params, macs = costs.totals(net)
    return Summary(net, tuple(parts), params, macs)


def dims_text(dims: Sequence[int]) -> str:
    """`64x56x56`, or `1000` for a vector."""
    return "x".join(str(d) for d in dims)


def _count(value: int) -> str:
    """A count with thousands separators; '-' for nothing (a BN's MACs, a pool's parameters)."""
    return f"{value:,}" if value else "-"


def _options_text(options: ir.Options) -> str:
    text = f"options: downsample_at {options.downsample_at}, shortcut {options.shortcut}"
    return text + (", preact" if options.preact else "")


def _part_label(part: Part) -> str:
    if part.module is None:
        return ""
    return f"{part.module}, {part.blocks} block{'s' if part.blocks != 1 else ''}"


def _footer(summary: Summary) -> list[str]:
    return [
        'MACs: multiply-accumulates of the conv and fc layers (the paper\'s "FLOPs");',
        f"tools counting 2 FLOPs per MAC report {2 * summary.macs:,} FLOPs.",
    ]


def _heading(summary: Summary, label: str) -> list[str]:
    net = summary.net
    return [
        f"{label}: {net.name} ({net.class_name}), input {net.input}, {net.classes} classes",
        _options_text(net.options),
    ]


def table(summary: Summary, label: str) -> str:
    """The table for people: every layer, a ruled subtotal after each part, the totals."""
    header = ("layer", "op", "output", "params", "MACs")
    rows: list[tuple[str, ...]] = []
    subtotal_at: list[int] = []
    for part in summary.parts:
        for layer in part.layers:
            out = dims_text(layer.dims)
            rows.append((layer.name, layer.op, out, _count(layer.params), _count(layer.macs)))
        subtotal_at.append(len(rows))
        out = dims_text(part.output)
        rows.append((part.name, _part_label(part), out, f"{part.params:,}", f"{part.macs:,}"))
    rows.append(("total", "", "", f"{summary.params:,}", f"{summary.macs:,}"))
    lines = render_table(header, rows, right={3, 4})
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
    """Markdown for docs: the parts' subtotals, then every layer with a bold row after each part."""
    net = summary.net
    out = [
        f"## {net.name} ({net.class_name})",
        "",
        f"From `{label}`: input {net.input}, {net.classes} classes; {_options_text(net.options)}.",
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
    out += ["", _md_row(("layer", "op", "output", "params", "MACs"))]
    out.append(_md_row((":--", ":--", ":--", "--:", "--:")))
    for part in summary.parts:
        for x in part.layers:
            cells = (f"`{x.name}`", x.op, dims_text(x.dims), _count(x.params), _count(x.macs))
            out.append(_md_row(cells))
        bold = (f"**{part.params:,}**", f"**{part.macs:,}**")
        out.append(_md_row((f"**{part.name}**", "", f"**{dims_text(part.output)}**", *bold)))
    return "\n".join(out) + "\n"


def as_data(summary: Summary) -> dict:
    """The summary as plain data (what `to_json` writes)."""
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
        "layers": [_layer_data(x, part.name) for part in summary.parts for x in part.layers],
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


def _layer_data(layer: costs.LayerCost, stage: str) -> dict:
    return {
        "name": layer.name,
        "op": layer.op,
        "kind": layer.kind,
        "stage": stage,
        "output": list(layer.dims),
        "params": layer.params,
        "macs": layer.macs,
    }


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
