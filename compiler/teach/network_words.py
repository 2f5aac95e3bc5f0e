"""Sentences about the whole network: how the input shrinks to the last map, how deep it is, where
its parameters and multiply-adds are, and what its design-rule warnings mean.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..core import costs, ir
from ..front.diagnostics import Diagnostic


def percent(part: int, total: int) -> str:
    """`59%`, `0.4%`, `<0.1%`: a share, with a decimal only where it would otherwise read 0."""
    if total <= 0 or part <= 0:
        return "0%"
    share = 100 * part / total
    if share >= 1:
        return f"{share:.0f}%"
    return f"{share:.1f}%" if share >= 0.1 else "<0.1%"


def part_costs(params: int, macs: int, totals: tuple[int, int]) -> str:
    """`215,808 parameters (0.8% of the network), 667,942,912 multiply-adds (16%).`"""
    if not params and not macs:
        return (
            "No parameters, and no multiply-adds counted (only convolutions and the fc layer are)."
        )
    return (
        f"{params:,} parameters ({percent(params, totals[0])} of the network),"
        f" {macs:,} multiply-adds ({percent(macs, totals[1])})."
    )


def _ratio(before: int, after: int) -> str:
    return f"/{before // after}" if before % after == 0 else f"/{before / after:.3g} (not exact)"


def downsampling(
    net: ir.Network, changes: Sequence[tuple[str, str, int, int]]
) -> tuple[list[str], list[str]]:
    """The size chain (`224 -> 112  conv1 (conv1)  /2` ...) and the sentences closing it.

    `changes` holds (part, layer, height before, height after) for every main-path layer that
    changes the map size, in order.
    """
    last = ir.annotated(net.stages[-1].output)
    start, end = net.input.h, last.h
    width = len(str(start))
    rows = [(f"{b:>{width}} -> {a}", part, layer, _ratio(b, a)) for part, layer, b, a in changes]
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
    table = [
        f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip()
        for r in rows
    ]
    if not changes:
        return [], [f"No layer changes the map size: the last map is {end}x{end}, as the input."]
    exact = all(b % a == 0 for _, _, b, a in changes)
    if exact and start % end == 0 and len(changes) == 1:
        part, layer = changes[0][:2]
        words = [f"{start} / {end} = {start // end}: the only reduction is {part}'s ({layer})."]
    elif exact and start % end == 0:
        factors = " x ".join(str(b // a) for _, _, b, a in changes)
        words = [
            f"{start} / {end} = {start // end} = {factors}: the network downsamples by"
            f" {start // end}, one factor from each of {_series([c[0] for c in changes])}."
        ]
    else:
        words = [
            f"{start} / {end} is not a product of whole factors: where a size does not divide"
            " evenly, floor() rounds and an odd map loses its last row and column."
        ]
    if net.input.w != net.input.h:
        words.append(f"The width goes the same way: {net.input.w} -> {last.w}.")
    return table, words


def _series(names: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def depth(net: ir.Network) -> str:
    """How many weighted layers the network has, counted as the paper counts them."""
    per_stage: list[tuple[int, int]] = []  # (blocks, convolutions in each)
    for s in net.stages:
        kinds = {len(cell.rows) for cell in s.cells}
        if len(kinds) == 1:
            per_stage.append((s.repeats, len(s.blocks[-1].convs)))
        else:  # a pruned stage whose cells differ in their rows: each cell on its own
            per_stage += [(cell.count, len(cell.rows)) for cell in s.cells]
    convs = {c for _, c in per_stage}
    total = 2 + sum(n * c for n, c in per_stage)
    if len(convs) == 1:
        (c,) = convs
        blocks = " + ".join(f"{n:,}" for n, _ in per_stage)
        middle = f"{c} x ({blocks})" if len(per_stage) > 1 else f"{c} x {blocks}"
    else:
        middle = " + ".join(f"{c} x {n:,}" for n, c in per_stage)
    text = (
        f"Counting as the paper does (convolutions and the fc layer; BatchNorm, pooling and"
        f" projection shortcuts are not counted): 1 (conv1) + {middle} (the stages) + 1 (fc)"
        f" = {total:,} layers."
    )
    patterns = {net.kind(b.kind).pattern for s in net.stages for b in s.blocks}
    if patterns in ({"basic"}, {"bottleneck"}):
        other = 3 if patterns == {"basic"} else 2
        kind = "bottleneck" if other == 3 else "basic"
        count = sum(n for n, _ in per_stage)
        text += (
            f" The name counts layers, not blocks: the same blocks per stage,"
            f" [{', '.join(str(n) for n, _ in per_stage)}], with {kind} blocks of {other}"
            f" convolutions would make 1 + {other} x {count:,} + 1 = {2 + other * count:,}"
            " layers."
        )
    return text


def _typical_conv(stage: ir.Stage) -> tuple[str, ir.Conv]:
    """The widest-kernel conv of the stage's last block: the stage's typical layer."""
    block = stage.blocks[-1]
    conv = max(block.convs, key=lambda c: c.kernel)
    return f"{stage.attr}.{block.index + block.count - 1}.{conv.name}", conv


def cost_words(net: ir.Network) -> tuple[list[str], list[str]]:
    """Where most parameters and multiply-adds are, and the per-layer cost table behind it."""
    parts = costs.stages(net)
    params = sum(p.params for p in parts)
    macs = sum(p.macs for p in parts)
    by_params = sorted(parts, key=lambda p: -p.params)[:2]
    by_macs = sorted(parts, key=lambda p: -p.macs)[:2]
    words = [
        f"Most parameters are in {by_params[0].name} ({percent(by_params[0].params, params)})"
        + (
            f", then {by_params[1].name} ({percent(by_params[1].params, params)})"
            if len(by_params) > 1
            else ""
        )
        + f"; most multiply-adds in {by_macs[0].name} ({percent(by_macs[0].macs, macs)})"
        + (
            f", then {by_macs[1].name} ({percent(by_macs[1].macs, macs)})."
            if len(by_macs) > 1
            else "."
        ),
        "A convolution's parameters grow with its channels squared and do not depend on the map"
        " size, so the late, wide stages hold most of them; its multiply-adds are its parameters"
        " times its output positions (H x W). The paper doubles the filters where the map halves,"
        " which keeps the multiply-adds of each layer about level from stage to stage"
        + (
            " (a pruned network only roughly: its widths are what pruning left):"
            if net.pruned
            else ":"
        ),
    ]
    rows = []
    for stage in net.stages:
        name, conv = _typical_conv(stage)
        cost = costs.layer_cost(conv)
        rows.append((stage.name, name, f"{cost.op}", f"{cost.macs:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    table = [
        f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d:>{widths[3]}} multiply-adds"
        for a, b, c, d in rows
    ]
    return words, table


def no_warnings_note(net: ir.Network) -> str:
    """What follows "None: the table follows the paper's design rules" where the network has
    pruned stages, which the rules' filter check leaves out (`core.lints`); else nothing."""
    if not net.pruned:
        return ""
    return "; its pruned stages, whose widths are what pruning left, are not held to them"


def warning_words(net: ir.Network, diagnostic: Diagnostic) -> str:
    """What a design-rule warning means for this network, with its numbers."""
    index = next(
        (
            i
            for i, s in enumerate(net.stages)
            if diagnostic.span is not None and diagnostic.span in (s.cell_span, s.stride_span)
        ),
        None,
    )
    if index is None or index == 0:
        return ""
    prev, stage = net.stages[index - 1], net.stages[index]
    (a_name, a), (b_name, b) = _typical_conv(prev), _typical_conv(stage)
    a_macs, b_macs = costs.layer_cost(a).macs, costs.layer_cost(b).macs
    if a_macs == b_macs:
        change = "the same"
    elif b_macs < a_macs:
        change = f"{a_macs / b_macs:.3g} times less"
    else:
        change = f"{b_macs / a_macs:.3g} times more"
    words = (
        "The paper's design rules (Section 3.3), which its ResNets follow: layers with the same"
        " output size have the same number of filters, and where the map is halved the filters"
        " double, so that every layer costs about the same time. Here"
        f" {prev.name}'s typical layer ({a_name}, {costs.layer_op(a)}) costs {a_macs:,}"
        f" multiply-adds and {stage.name}'s ({b_name}, {costs.layer_op(b)}) {b_macs:,}: {change}."
    )
    entry = next((c for c in stage.blocks[0].convs if c.stride > c.kernel), None)
    if entry is not None:
        k, s = entry.kernel, entry.stride
        words += (
            f" With stride {s}, the {k}x{k} windows of {stage.attr}.0.{entry.name} are {s} pixels"
            f" apart: {s - k} of every {s} rows and columns {'is' if s - k == 1 else 'are'} never"
            " read."
        )
    return words + " The network still compiles and runs; it is just not the paper's design."
