"""Plain-text tables for people: the stage table that `resnetc check` prints."""

from __future__ import annotations

from ..core import costs, ir
from ..front.columns import render_table


def stage_rows(net: ir.Network) -> list[tuple[str, str, str, int, int]]:
    """(name, cell, output, params, MACs) for conv1, pool, every stage and the head.

    The numbers are `costs.stages()`, the subtotals `resnetc summary` prints; the stem's are split
    into the conv1 row and the pool row (the pool's own cost: zero, or ResNet-RS's conv's), so the
    rows still add up.
    """
    stem, *middle, head = costs.stages(net)
    pools = [net.stem.pool] if net.stem.pool is not None else list(net.stem.pool_layers)
    pool_costs = [costs.layer_cost(x) for x in pools]
    held = (sum(c.params for c in pool_costs), sum(c.macs for c in pool_costs))
    conv1 = net.stem.conv_text
    rows = [("conv1", conv1, str(net.stem.conv.output), stem.params - held[0], stem.macs - held[1])]
    if net.stem.pooled:
        rows.append(("pool", net.stem.pool_text, str(net.stem.pool_output), *held))
    for stage, part in zip(net.stages, middle, strict=True):
        cell = stage.cell_text
        rows.append((stage.name, cell, str(stage.output), part.params, part.macs))
    rows.append(("head", net.head.cell_text, str(net.classes), head.params, head.macs))
    return rows


def stage_table(net: ir.Network) -> list[str]:
    """The stage table: stage, table cell, output C x H x W, parameters, multiply-adds. A pruned
    stage's cells are one line each, its numbers on the first."""
    rows = stage_rows(net)
    params, macs = costs.totals(net)
    pruned = {s.name: s.cell_texts for s in net.stages if s.pruned}
    body: list[tuple[str, ...]] = []
    for n, c, o, p, m in rows:
        first, *more = pruned.get(n, (c,))
        body.append((n, first, o, f"{p:,}", f"{m:,}"))
        body += [("", cell, "", "", "") for cell in more]
    body.append(("total", "", "", f"{params:,}", f"{macs:,}"))
    return render_table(("stage", "cell", "output", "params", "MACs"), body, right={3, 4})
