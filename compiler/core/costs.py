"""Parameters and multiply-accumulates per layer, read off the shape-annotated IR.

`params` counts every learnable parameter (BatchNorm's weight and bias included), as
`sum(p.numel() for p in model.parameters())` does. `macs` counts the multiply-accumulates of the
convolutions and the fc layer: the paper's "FLOPs (multiply-adds)". Other tools' "FLOPs" are
usually 2 x MACs.

Two views of the same numbers: `layers()` lists every layer of the generated module in execution
order (each repeated block expanded), and `stages()` sums them per part of the network (stem, each
stage, head). `stages()` counts a run of repeated blocks once and multiplies, so the stage table
costs nothing for a network of any depth; both read `layer_cost()`, the only place that knows the
formulas, and `parts()` pairs each part's totals with its layers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from ..front.source import Span
from . import ir

HEAD_POOL = "avgpool"
"""The attribute of the head's global average pool in the generated module (it has no IR node)."""


class LayerCost(NamedTuple):
    """One layer of the network: its dotted name (as in the state_dict), operation and costs.

    `kind` is `conv`, `bn`, `pool` or `fc`; `span` is the spec text the layer was built from.
    """

    name: str
    op: str
    output: ir.Shape
    params: int
    macs: int
    kind: str = ""
    span: Span | None = None

    @property
    def dims(self) -> tuple[int, ...]:
        """The output as torch shapes it, batch left out: (C, H, W), or (features,) for the fc."""
        return (self.output.c,) if self.kind == "fc" else tuple(self.output)


class StageCost(NamedTuple):
    """The totals of one part of the network: the stem, a stage, or the head.

    `attr` is the part's attribute in the generated module (`layer1`; '' for the stem and head).
    """

    name: str
    output: ir.Shape
    params: int
    macs: int
    attr: str = ""


def _conv_op(conv: ir.Conv) -> str:
    op = f"conv {conv.kernel}x{conv.kernel}"
    if conv.stride != 1:
        op += f"/{conv.stride}"
    if conv.groups != 1:
        op += f" C={conv.groups}"
    return op


def _conv_cost(conv: ir.Conv, out: ir.Shape) -> tuple[int, int]:
    params = conv.out_channels * (conv.in_channels // conv.groups) * conv.kernel * conv.kernel
    return params, params * out.h * out.w


def _linear_cost(fc: ir.Linear, out: ir.Shape) -> tuple[int, int]:
    return fc.in_features * fc.out_features + fc.out_features, fc.in_features * fc.out_features


def norm_op(norm: ir.Norm) -> str:
    """`bn`, or `gn G=32` for a GroupNorm (both a weight and a bias per channel: 2C parameters;
    a BatchNorm's running statistics are buffers, not parameters)."""
    return "bn" if norm.groups is None else f"gn G={norm.groups}"


class _Rule(NamedTuple):
    kind: str
    op: Callable[[Any], str]
    cost: Callable[[Any, ir.Shape], tuple[int, int]]


def _se_cost(se: ir.SqueezeExcite, out: ir.Shape) -> tuple[int, int]:
    """Two 1x1 convs with bias on the 1x1 average: C*w + w and w*C + C parameters."""
    macs = 2 * se.channels * se.width
    return macs + se.width + se.channels, macs


def _eca_cost(eca: ir.ChannelAttention, out: ir.Shape) -> tuple[int, int]:
    """One bias-free 1-d conv of k taps, slid along the C averages."""
    return eca.kernel, eca.kernel * eca.channels


def _blur_cost(blur: ir.Blur, out: ir.Shape) -> tuple[int, int]:
    """A fixed (parameter-free) k x k filter per channel: k*k multiply-adds per output pixel."""
    return 0, blur.kernel * blur.kernel * out.c * out.h * out.w


_RULES: dict[type, _Rule] = {
    ir.Conv: _Rule("conv", _conv_op, _conv_cost),
    ir.Norm: _Rule("bn", lambda norm: norm_op(norm), lambda norm, out: (2 * norm.channels, 0)),
    ir.Pool: _Rule(
        "pool",
        lambda pool: f"{pool.kind}pool {pool.kernel}x{pool.kernel}/{pool.stride}",
        lambda pool, out: (0, 0),
    ),
    ir.Linear: _Rule("fc", lambda fc: "fc", _linear_cost),
    ir.SqueezeExcite: _Rule("se", lambda se: f"se {se.channels}->{se.width}", _se_cost),
    ir.ChannelAttention: _Rule("eca", lambda eca: f"eca k={eca.kernel}", _eca_cost),
    ir.Blur: _Rule(
        "pool", lambda blur: f"blurpool {blur.kernel}x{blur.kernel}/{blur.stride}", _blur_cost
    ),
}
"""Each node kind's cost rule: its kind word, its operation in words, and (params, MACs) from the
node and its output shape. A node kind without a rule is a bug, never a silent zero."""


def _rule(layer: ir.Layer) -> _Rule:
    rule = _RULES.get(type(layer))
    if rule is None:
        raise TypeError(f"costs have no rule for {type(layer).__name__} nodes")
    return rule


def layer_op(layer: ir.Layer) -> str:
    """A short description: `conv 3x3/2`, `conv 3x3 C=32`, `bn`, `maxpool 3x3/2`, `fc`."""
    return _rule(layer).op(layer)


def layer_cost(layer: ir.Layer, prefix: str = "") -> LayerCost:
    """The parameters and multiply-accumulates of one annotated layer."""
    out = layer.output
    if out is None:
        raise ValueError("costs need a shape-annotated network (run shapes.annotate first)")
    rule = _rule(layer)
    params, macs = rule.cost(layer, out)
    return LayerCost(prefix + layer.name, rule.op(layer), out, params, macs, rule.kind, layer.span)


def _block_layers(block: ir.Block) -> list[ir.Layer]:
    return [*block.layers, *block.shortcut.layers]


def stem_layers(net: ir.Network) -> list[ir.Layer]:
    """The stem's layers in execution order."""
    stem = net.stem
    return [
        x for x in (*stem.deep, stem.conv, stem.norm, stem.pool, *stem.pool_layers) if x is not None
    ]


def head_layers(net: ir.Network) -> list[ir.Norm | ir.Linear]:
    """The head's layers with an IR node, in execution order (the average pool has none)."""
    return [x for x in (net.head.norm, net.head.fc) if x is not None]


def _stem_costs(net: ir.Network) -> Iterator[LayerCost]:
    for layer in stem_layers(net):
        yield layer_cost(layer)


def _stage_costs(stage: ir.Stage) -> Iterator[LayerCost]:
    for block in stage.blocks:
        costs = [layer_cost(layer) for layer in _block_layers(block)]
        for i in range(block.index, block.index + block.count):
            prefix = f"{stage.attr}.{i}."
            for c in costs:
                yield c._replace(name=prefix + c.name)


def _head_costs(net: ir.Network) -> Iterator[LayerCost]:
    """[final_bn,] the global average pool (parameter free, C x 1 x 1), fc."""
    fc = net.head.fc
    if net.head.norm is not None:
        yield layer_cost(net.head.norm)
    pooled = ir.Shape(fc.in_features, 1, 1)
    yield LayerCost(HEAD_POOL, "avgpool", pooled, 0, 0, "pool", fc.span)
    yield layer_cost(fc)


def parts(net: ir.Network) -> Iterator[tuple[StageCost, Iterator[LayerCost]]]:
    """Each part's totals (as `stages()` gives them) with its layers in execution order."""
    layer_lists = [_stem_costs(net), *(_stage_costs(s) for s in net.stages), _head_costs(net)]
    yield from zip(stages(net), layer_lists, strict=True)


def layers(net: ir.Network) -> Iterator[LayerCost]:
    """Every layer of the generated module in execution order, each repeated block expanded."""
    for _, part in parts(net):
        yield from part


def _sum(items: Sequence[ir.Layer], times: int = 1) -> tuple[int, int]:
    costs = [layer_cost(x) for x in items]
    return times * sum(c.params for c in costs), times * sum(c.macs for c in costs)


def stages(net: ir.Network) -> list[StageCost]:
    """Totals for the stem, each stage and the head, in order; repeated blocks counted once."""
    params, macs = _sum(stem_layers(net))
    out = [StageCost("stem", ir.annotated(net.stem.output), params, macs)]
    for stage in net.stages:
        params = macs = 0
        for block in stage.blocks:
            p, m = _sum(_block_layers(block), block.count)
            params, macs = params + p, macs + m
        out.append(StageCost(stage.name, ir.annotated(stage.output), params, macs, stage.attr))
    params, macs = _sum(head_layers(net))
    out.append(StageCost("head", ir.annotated(net.head.output), params, macs))
    return out


def totals(net: ir.Network) -> tuple[int, int]:
    """(parameters, multiply-accumulates) of the whole network."""
    parts = stages(net)
    return sum(s.params for s in parts), sum(s.macs for s in parts)
