"""Plain-text tables for people: the stage table that `resnetc check` prints."""

from __future__ import annotations

from collections.abc import Sequence

from . import costs, ir
from .cells import format_cell
from .emit import head_text, pool_text, stem_conv_text


def render_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]
) -> list[str]:
    """Columns aligned to their widest entry; the columns in `right` aligned right."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [
            str(v).rjust(widths[i]) if i in right else str(v).ljust(widths[i])
            for i, v in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    return [line(header), *(line(r) for r in rows)]


def stage_rows(net: ir.Network) -> list[tuple[str, str, str, int, int]]:
    """(name, cell, output, params, MACs) for conv1, pool, every stage and the head."""
    parts = {s.name: s for s in costs.stages(net)}
    stem_conv = [net.stem.conv, net.stem.norm] if net.stem.norm else [net.stem.conv]
    conv_costs = [costs.layer_cost(x) for x in stem_conv]
    rows = [
        (
            "conv1",
            stem_conv_text(net.stem.conv),
            str(net.stem.conv.output),
            sum(c.params for c in conv_costs),
            sum(c.macs for c in conv_costs),
        )
    ]
    if net.stem.pool is not None:
        rows.append(("pool", pool_text(net.stem.pool), str(net.stem.pool.output), 0, 0))
    for stage in net.stages:
        part = parts[stage.name]
        rows.append(
            (
                stage.name,
                format_cell(stage.cell),
                str(stage.output),
                part.params,
                part.macs,
            )
        )
    head = parts["head"]
    rows.append(
        (
            "head",
            head_text(net),
            str(net.classes),
            head.params,
            head.macs,
        )
    )
    return rows


def stage_table(net: ir.Network) -> list[str]:
    """The stage table: stage, table cell, output C x H x W, parameters, multiply-adds."""
    rows = stage_rows(net)
    params, macs = costs.totals(net)
    body = [(n, c, o, f"{p:,}", f"{m:,}") for n, c, o, p, m in rows]
    body.append(("total", "", "", f"{params:,}", f"{macs:,}"))
    return render_table(("stage", "cell", "output", "params", "MACs"), body, right={3, 4})
