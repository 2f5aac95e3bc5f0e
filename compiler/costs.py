"""Parameters and multiply-accumulates per layer, read off the shape-annotated IR.

`params` counts every learnable parameter (BatchNorm's weight and bias included), as
`sum(p.numel() for p in model.parameters())` does. `macs` counts the multiply-accumulates of the
convolutions and the fc layer: the paper's "FLOPs (multiply-adds)". Other tools' "FLOPs" are
usually 2 x MACs.

Repeated blocks are counted once and multiplied, so the cost of counting does not grow with depth.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from . import ir


class LayerCost(NamedTuple):
    """One layer of the network: its dotted name (as in the state_dict), operation and costs."""

    name: str
    op: str
    output: ir.Shape
    params: int
    macs: int


class StageCost(NamedTuple):
    """The totals of one part of the network: the stem, a stage, or the head."""

    name: str
    output: ir.Shape
    params: int
    macs: int


def layer_op(layer: ir.Conv | ir.Norm | ir.Pool | ir.Linear) -> str:
    """A short description: `conv 3x3/2`, `conv 3x3 C=32`, `bn`, `maxpool 3x3/2`, `fc`."""
    if isinstance(layer, ir.Conv):
        op = f"conv {layer.kernel}x{layer.kernel}"
        if layer.stride != 1:
            op += f"/{layer.stride}"
        if layer.groups != 1:
            op += f" C={layer.groups}"
        return op
    if isinstance(layer, ir.Norm):
        return "bn"
    if isinstance(layer, ir.Pool):
        return f"{layer.kind}pool {layer.kernel}x{layer.kernel}/{layer.stride}"
    return "fc"


def layer_cost(layer: ir.Conv | ir.Norm | ir.Pool | ir.Linear, prefix: str = "") -> LayerCost:
    """The parameters and multiply-accumulates of one annotated layer."""
    out = layer.output
    if out is None:
        raise ValueError("costs need a shape-annotated network (run shapes.analyze first)")
    params = macs = 0
    if isinstance(layer, ir.Conv):
        params = (
            layer.out_channels * (layer.in_channels // layer.groups) * layer.kernel * layer.kernel
        )
        macs = params * out.h * out.w
    elif isinstance(layer, ir.Norm):
        params = 2 * layer.channels
    elif isinstance(layer, ir.Linear):
        params = layer.in_features * layer.out_features + layer.out_features
        macs = layer.in_features * layer.out_features
    return LayerCost(prefix + layer.name, layer_op(layer), out, params, macs)


def _block_layers(block: ir.Block) -> list[ir.Conv | ir.Norm]:
    return [*block.layers, *block.shortcut.layers]


def stem_layers(net: ir.Network) -> list[ir.Conv | ir.Norm | ir.Pool]:
    """The stem's layers in execution order."""
    return [x for x in (net.stem.conv, net.stem.norm, net.stem.pool) if x is not None]


def head_layers(net: ir.Network) -> list[ir.Norm | ir.Linear]:
    """The head's layers in execution order (the parameter-free average pool is left out)."""
    return [x for x in (net.head.norm, net.head.fc) if x is not None]


def layers(net: ir.Network) -> Iterator[LayerCost]:
    """Every layer with parameters or a shape change, in execution order, each block expanded."""
    for layer in stem_layers(net):
        yield layer_cost(layer)
    for stage in net.stages:
        for block in stage.blocks:
            costs = [layer_cost(layer) for layer in _block_layers(block)]
            for i in range(block.index, block.index + block.count):
                prefix = f"{stage.attr}.{i}."
                for c in costs:
                    yield c._replace(name=prefix + c.name)
    for layer in head_layers(net):
        yield layer_cost(layer)


def _sum(items: list[ir.Conv | ir.Norm | ir.Pool | ir.Linear], times: int = 1) -> tuple[int, int]:
    costs = [layer_cost(x) for x in items]
    return times * sum(c.params for c in costs), times * sum(c.macs for c in costs)


def stages(net: ir.Network) -> list[StageCost]:
    """Totals for the stem, each stage and the head, in order."""
    params, macs = _sum(stem_layers(net))
    out = [StageCost("stem", net.stem.output, params, macs)]
    for stage in net.stages:
        params = macs = 0
        for block in stage.blocks:
            p, m = _sum(_block_layers(block), block.count)
            params, macs = params + p, macs + m
        out.append(StageCost(stage.name, stage.output, params, macs))
    params, macs = _sum(head_layers(net))
    out.append(StageCost("head", net.head.output, params, macs))
    return out


def totals(net: ir.Network) -> tuple[int, int]:
    """(parameters, multiply-accumulates) of the whole network."""
    parts = stages(net)
    return sum(s.params for s in parts), sum(s.macs for s in parts)
