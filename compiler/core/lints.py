"""The lints: located warnings, each with a help line, about tables that compile but are probably
not what was meant. They read the sizes the shape pass computed, never the nominal strides alone.

- `stride-no-effect`: a stride on a map it cannot shrink (already 1x1, or the kernel and padding
  cancel it), at the cell that carries it;
- `input-too-small`: a stage's map reaches 1x1 before the last stage (an ImageNet table on a
  CIFAR image), at the input, naming the first such stage and the input the table needs;
- `name-depth`: the name states a depth (`resnet56`, `wrn_28_10`, `resnext101_32x8d`) the table
  does not have, with both counts and how each is counted;
- `network-size`: beyond every published ResNet (`MAX_PARAMS`, `MAX_MACS`), naming the stage;
- `stage-stride`, `filters-double`, `filters-keep`: the paper's design rules (Section 3.3).

`options: allow: [name, ...]` silences a lint for one spec (front/lintnames.py lists them).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ..front.diagnostics import Diagnostic, warning
from . import costs, ir

MAX_PARAMS = 1_000_000_000
"""Parameters beyond any published ResNet: BiT-L's ResNet-152x4, the largest, has 928 million."""

MAX_MACS = 1_000_000_000_000
"""Multiply-adds beyond any published ResNet at its input size (BiT-L's ResNet-152x4 at 480x480
is about 0.9 x 10^12)."""


def check(net: ir.Network) -> list[Diagnostic]:
    """Every lint's warnings for the annotated `net`, but those its options allow."""
    allowed = set(net.options.allow)
    out: list[Diagnostic] = []
    small = _input_too_small(net) if "input-too-small" not in allowed else None
    size = _size(net) if "network-size" not in allowed else []
    checks: list[Callable[[ir.Network], list[Diagnostic]]] = [
        lambda n: [small] if small else [],
        lambda n: _strides(n, folded=small is not None),
        lambda n: [] if size else _name_depth(n),  # a huge typo explains a wrong depth too
        lambda n: size,
        _design_rules,
    ]
    for run in checks:
        out += [d for d in run(net) if d.code not in allowed]
    return out


# ---------------------------------------------------------------- strides and input size


def _same(a: ir.Shape | None, b: ir.Shape | None) -> bool:
    return a is not None and b is not None and (a.h, a.w) == (b.h, b.w)


def _hw(shape: ir.Shape) -> str:
    return f"{shape.h}x{shape.w}"


def _strides(net: ir.Network, folded: bool) -> list[Diagnostic]:
    """A stride on a map that it leaves as it was (those after a 1x1 map are `folded` into
    `input-too-small` when that lint reports them)."""
    out = []
    conv = net.stem.conv
    if conv.stride > 1 and _same(net.input, conv.output):
        out.append(_no_effect("conv1", conv.stride, net.input, conv, conv.span))
    pool = net.stem.pool
    if pool is not None and pool.stride > 1 and _same(conv.output, pool.output):
        out.append(_no_effect("the pool", pool.stride, conv.output, pool, pool.span))
    for stage in net.stages:
        block = stage.blocks[0]
        if stage.stride == 1 or not _same(block.input, block.output):
            continue
        if folded and block.input is not None and (block.input.h, block.input.w) == (1, 1):
            continue
        strided = next(c for c in block.convs if c.stride > 1)
        span = stage.stride_span or stage.cell_span
        out.append(_no_effect(stage.name, stage.stride, block.input, strided, span))
    return out


def _no_effect(what: str, stride: int, before, layer, span) -> Diagnostic:
    if (before.h, before.w) == (1, 1):
        why = "its map is already 1x1"
    else:
        k, p = layer.kernel, layer.padding
        why = f"a {k}x{k} window with padding {p} on its {_hw(before)} map leaves {_hw(before)}"
    return warning(
        f"{what}'s stride {stride} does not shrink the map: {why}",
        span,
        help="remove the stride (a stage's `stride: 1`), or give the network a larger input",
        code="stride-no-effect",
    )


def _input_too_small(net: ir.Network) -> Diagnostic | None:
    """The first stage before the last whose map is 1x1, and what the table needs instead."""
    stages = net.stages
    first = next(
        (i for i, s in enumerate(stages[:-1]) if _hw(ir.annotated(s.output)) == "1x1"), None
    )
    if first is None:
        return None
    factor = net.stem.conv.stride * (net.stem.pool.stride if net.stem.pool else 1)
    for stage in stages:
        factor *= stage.stride
    later = [s.name for s in stages[first + 1 :]]
    strided = [s.name for s in stages[first + 1 :] if s.stride > 1]
    strides = f", where the strides of {_series(strided)} do nothing" if strided else ""
    message = (
        f"the {_hw(net.input)} input is too small for this table: {stages[first].name}'s map is"
        f" already 1x1, so {_series(later)} work{'s' if len(later) == 1 else ''} on 1x1 maps"
        + strides
    )
    return warning(
        message,
        net.input_span,
        help=f"the table divides its input by {factor}: give it at least {factor}x{factor}"
        " (224x224 for an ImageNet table), or use a CIFAR-style stem (3x3, 16, no pool)",
        code="input-too-small",
    )


def _series(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ---------------------------------------------------------------- the name's depth

_DEPTH_NAME = re.compile(
    r"^(?:preact_|pre_act_|se_?|eca_?)?(?:res(?:net|next))([0-9]+)(?:_|$|[a-z])", re.IGNORECASE
)
_WRN_NAME = re.compile(r"^(?:wrn|wide_?resnet)_?([0-9]+)_([0-9]+)$", re.IGNORECASE)


def depth(net: ir.Network) -> int:
    """Weighted layers as the ResNet paper counts them: conv1, every block's convs, the fc."""
    return 2 + sum(cell.count * len(cell.rows) for stage in net.stages for cell in stage.cells)


def _name_depth(net: ir.Network) -> list[Diagnostic]:
    """`resnet56` with bottleneck blocks, `wrn_28_10` with 3 blocks a stage: the name's depth."""
    wrn = _WRN_NAME.match(net.name)
    if wrn is not None and len({s.repeats for s in net.stages}) == 1 and len(net.stages) == 3:
        said, n = int(wrn.group(1)), net.stages[0].repeats
        if said != 6 * n + 4:
            return [
                warning(
                    f"the name says depth {said}, but the table has {n} blocks a stage: a wide"
                    f" ResNet's depth is 6N + 4, so this is WRN-{6 * n + 4}",
                    net.span,
                    help=f"{(said - 4) / 6:g} blocks a stage would make WRN-{said}; rename the"
                    " network or change the repeat counts",
                    code="name-depth",
                )
            ]
        return []
    m = _DEPTH_NAME.match(net.name)
    if m is None or wrn is not None:
        return []
    said, has = int(m.group(1)), depth(net)
    if said == has:
        return []
    blocks = sum(s.repeats for s in net.stages)
    cells = [c for s in net.stages for c in s.cells]
    convs = {len(c.rows) for c in cells}
    how = (
        f"1 + {convs.pop()} x {blocks} + 1"
        if len(convs) == 1
        else " + ".join(["1", *(f"{len(c.rows)} x {c.count}" for c in cells), "1"])
    )
    per_stage = {s.repeats for s in net.stages}
    counts = ""
    if len(per_stage) == 1 and len(net.stages) == 3:
        n = per_stage.pop()
        counts = (
            f"; with {n} blocks a stage, basic blocks make 6n+2 = {6 * n + 2} and bottlenecks"
            f" 9n+2 = {9 * n + 2}"
        )
    return [
        warning(
            f"the name says {said} layers, but the table has {has} ({how}, counting conv1,"
            f" every block's convolutions and the fc, as the paper does){counts}",
            net.span,
            help="rename the network, or change the table's rows or repeat counts",
            code="name-depth",
        )
    ]


# ---------------------------------------------------------------- size


def _size(net: ir.Network) -> list[Diagnostic]:
    """Parameters or multiply-adds beyond any published ResNet, at the stage that holds most."""
    params, macs = costs.totals(net)
    over = [
        (total, limit, what, key)
        for total, limit, what, key in (
            (params, MAX_PARAMS, "parameters", "params"),
            (macs, MAX_MACS, "multiply-adds", "macs"),
        )
        if total > limit
    ]
    if not over:
        return []
    parts = costs.stages(net)[1:-1]
    total, _, what, key = over[0]
    i = max(range(len(parts)), key=lambda j: getattr(parts[j], key))
    stage = net.stages[i]
    share = 100 * getattr(parts[i], key) / total
    counts = " and ".join(f"{t:,} {w}" for t, _, w, _ in over)
    limits = " and ".join(f"{lim:,} {w}" for _, lim, w, _ in over)
    return [
        warning(
            f"{counts}: beyond any published ResNet (resnetc warns above {limits});"
            f" {stage.name}, {stage.repeats:,} blocks, holds {share:.0f}% of the {what}",
            stage.repeats_span or stage.cell_span,
            help=f"check {stage.name}'s repeat count (x {stage.repeats:,}) and its widths",
            code="network-size",
        )
    ]


# ---------------------------------------------------------------- the paper's design rules


def _design_rules(net: ir.Network) -> list[Diagnostic]:
    """Filters double exactly where the map halves (by the sizes computed, not the strides). A
    pruned stage's widths are what pruning left, not a design: they are not held to the rule."""
    out = []
    for prev, stage in zip(net.stages, net.stages[1:], strict=False):
        before = [r.filters for r in prev.rows]
        after = [r.filters for r in stage.rows]
        prev_map, stage_map = ir.annotated(prev.output), ir.annotated(stage.output)
        shrinks = not _same(prev_map, stage_map)
        if stage.stride > 2:
            out.append(
                warning(
                    f"{stage.name} enters with stride {stage.stride}; the paper only downsamples"
                    " by 2 at a stage entry",
                    stage.stride_span or stage.cell_span,
                    help="halve the map at each stage entry (stride 2); for a larger step, add"
                    " a stage",
                    code="stage-stride",
                )
            )
        if prev.pruned or stage.pruned or len(before) != len(after):
            continue
        if stage.stride == 2 and shrinks and after != [2 * f for f in before]:
            out.append(
                warning(
                    f"{stage.name} halves the map ({prev_map.h}->{stage_map.h})"
                    " but its filters go"
                    f" {_list(before)} -> {_list(after)}, not {_list([2 * f for f in before])}",
                    stage.cell_span,
                    help="the paper doubles the filters when the feature map halves,"
                    " keeping the cost per layer",
                    code="filters-double",
                )
            )
        elif stage.stride == 1 and after != before:
            out.append(
                warning(
                    f"{stage.name} keeps the map size ({stage_map.h}x{stage_map.w})"
                    " but changes its"
                    f" filters {_list(before)} -> {_list(after)}",
                    stage.cell_span,
                    help="the paper keeps the same filters for the same output size"
                    " (and halves the map when they double)",
                    code="filters-keep",
                )
            )
    return out


def _list(filters: list[int]) -> str:
    return "/".join(str(f) for f in filters)
