"""What verify compares, layer by layer: the IR's layers and outputs against one run of the model.

The IR keeps a stage's identical blocks as runs (`Block.count` copies from `Block.index`); the
sampled model keeps each loop's block once (`sampled.Group`: one child standing for `count`
blocks). A stage is walked in segments, stretches of blocks over which neither side changes, so
the work is one comparison per distinct block however deep the network is. A difference found in
a segment of N blocks is one `Bundle`: the same difference in each of the N, named one by one
when it is reported (`layer3.7.conv2`), counted when there are more than can be shown.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from ...core import costs, ir
from ...front.diagnostics import Diagnostic, error
from ...front.source import Span

NAME, BLOCK = "\x00", "\x01"
"""Placeholders in a message: where the layer's name goes, and in the name where its block goes."""


class Item(NamedTuple):
    """One difference, worded with `NAME` for the name (which has `BLOCK` for a block number)."""

    says: str
    name: str
    span: Span | None

    def text(self, block: int) -> str:
        """The message about the layer in block `block`."""
        return self.says.replace(NAME, self.name.replace(BLOCK, str(block)))


@dataclass(frozen=True)
class Bundle:
    """The same differences in each of the blocks `first`..`first + count - 1` (count 1 and no
    block number outside the stages), reported block by block."""

    items: list[Item]
    first: int = 0
    count: int = 1

    @staticmethod
    def one(diagnostic: Diagnostic) -> Bundle:
        """A difference about one thing, already worded."""
        return Bundle([Item(diagnostic.message, "", diagnostic.span)])

    @property
    def size(self) -> int:
        """How many differences the bundle stands for."""
        return len(self.items) * self.count

    def diagnostics(self, limit: int) -> list[Diagnostic]:
        """The first `limit` of them, block by block."""
        out: list[Diagnostic] = []
        for block in range(self.first, self.first + self.count):
            for item in self.items:
                if len(out) == limit:
                    return out
                out.append(error(item.text(block), item.span))
        return out


def counts(net: ir.Network) -> tuple[int, int]:
    """How many layers the network has, and how many block and stage outputs: counted, not
    listed, so that a million-block stage costs nothing."""
    stem, *_, head = costs.parts(net)
    layers = len(list(stem[1])) + len(list(head[1]))
    for stage in net.stages:
        layers += sum(b.count * len(block_layers(b)) for b in stage.blocks)
    return layers, sum(stage.repeats + 1 for stage in net.stages)


def block_layers(block: ir.Block) -> list:
    """A block's layers in execution order: the main path, then the shortcut (as in `costs`)."""
    return [*block.layers, *block.shortcut.layers]


def differences(net: ir.Network, run: Any) -> list[Bundle]:
    """Every difference between `net` and the model's run (a `verify.Run`), in the order they
    are reported: the IR's layers, the model's unknown layers, then the outputs."""
    return [*_layers(net, run), *_unknown(net, run), *_outputs(net, run)]


# ---------------------------------------------------------------- segments


@dataclass(frozen=True)
class Segment:
    """Blocks `first`..`first + count - 1` of a stage: the IR's block there (None if the IR has
    none) and the key of the model's child there (None if the model has none)."""

    first: int
    count: int
    block: ir.Block | None
    key: str | None


def segments(stage: ir.Stage, groups: list) -> Iterator[Segment]:
    """The stage cut wherever an IR run or a model group (`sampled.Group`) begins or ends."""
    runs = [(b.index, b.count, b) for b in stage.blocks]
    model = [(g.first, g.count, g.key) for g in groups]
    cuts = sorted({0, *(i + n for i, n, _ in runs), *(i + n for i, n, _ in model)})
    for start, end in itertools.pairwise(cuts):
        yield Segment(start, end - start, _covering(runs, start), _covering(model, start))


def _covering(runs: list, at: int) -> Any:
    return next((what for first, n, what in runs if first <= at < first + n), None)


def _stage_segments(net: ir.Network, run: Any) -> Iterator[tuple[ir.Stage, Segment]]:
    for stage in net.stages:
        for segment in segments(stage, run.groups.get(stage.attr, [])):
            yield stage, segment


# ---------------------------------------------------------------- the IR's layers


def _layers(net: ir.Network, run: Any) -> list[Bundle]:
    """Every layer the IR knows, in execution order, against the model's module of that name."""
    stem, *_, head = costs.parts(net)
    found = [Bundle(_layer(x.name, x, x.name, run)) for x in stem[1]]
    for stage, seg in _stage_segments(net, run):
        if seg.block is None:
            continue
        items: list[Item] = []
        for x in block_layers(seg.block):
            layer = costs.layer_cost(x)
            at = f"{stage.attr}.{seg.key}.{x.name}" if seg.key is not None else None
            items += _layer(f"{stage.attr}.{BLOCK}.{x.name}", layer, at, run)
        found.append(Bundle(items, seg.first, seg.count))
    found += [Bundle(_layer(x.name, x, x.name, run)) for x in head[1]]
    return [b for b in found if b.items]


def _layer(name: str, layer: costs.LayerCost, at: str | None, run: Any) -> list[Item]:
    """One layer of the IR against the model's module `at`: its operation and parameters, then
    its output shape and its MACs."""
    module = run.modules.get(at) if at is not None else None
    op = describe(module) if module is not None else None
    if module is None or op is None:
        what = "no such module" if module is None else f"a {type(module).__name__} there"
        return [
            Item(
                f"verify: the IR has a layer {NAME} ({layer.op}); the model has {what}",
                name,
                layer.span,
            )
        ]
    found = []
    if op != layer.op:
        found.append(
            Item(f"verify: {NAME} is {op} in the model, the IR says {layer.op}", name, layer.span)
        )
    own = sum(p.numel() for p in module.parameters())  # an attention module's are its convs
    if own != layer.params:
        says = f"verify: {NAME} has {own:,} parameters, costs say {layer.params:,}"
        found.append(Item(says, name, layer.span))
    calls = run.outputs.get(at, [])
    if len(calls) != 1:
        says = (
            f"verify: the model runs {NAME} {_times(len(calls))} in its forward, the IR has it once"
        )
        found.append(Item(says, name, layer.span))
    if calls and calls[0] != layer.dims:
        says = f"verify: {NAME} gives {_shape(calls[0])}, the shape pass says {_shape(layer.dims)}"
        found.append(Item(says, name, layer.span))
    torch_macs = run.macs.get(at, 0)
    if not found and torch_macs != layer.macs:  # else the difference above explains it
        says = (
            f"verify: {NAME} costs {torch_macs:,} multiply-adds in torch, costs say {layer.macs:,}"
        )
        found.append(Item(says, name, layer.span))
    return found


def _times(n: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")


def _shape(dims: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in dims) or "no tensor"


# ---------------------------------------------------------------- the model's unknown layers


def _unknown(net: ir.Network, run: Any) -> list[Bundle]:
    """Every layer of the model that the IR does not know, in the model's order."""
    stem, *_, head = costs.parts(net)
    known = {x.name for x in itertools.chain(stem[1], head[1])}
    blocks = {f"{stage.attr}.{key}" for stage in net.stages for key in _keys(run, stage)}
    order = {name: i for i, name in enumerate(run.modules)}
    found: list[tuple[int, Bundle]] = []
    for name, module in run.modules.items():
        if not name or ".".join(name.split(".")[:2]) in blocks or _inside(name, known):
            continue
        op = describe(module)
        if op is not None:
            found.append((order[name], Bundle([_unknown_item(name, op, _owner_span(net, name))])))
    for stage, seg in _stage_segments(net, run):
        if seg.key is None:
            continue
        child = f"{stage.attr}.{seg.key}"
        names = {x.name for x in block_layers(seg.block)} if seg.block is not None else set()
        items = [
            (
                order[f"{child}.{sub}"],
                _unknown_item(f"{stage.attr}.{BLOCK}.{sub}", op, stage.cell_span),
            )
            for sub, module in run.modules[child].named_modules()
            if sub and not _inside(sub, names) and (op := describe(module)) is not None
        ]
        if items:
            found.append((items[0][0], Bundle([item for _, item in items], seg.first, seg.count)))
    return [bundle for _, bundle in sorted(found, key=lambda pair: pair[0])]


def _inside(name: str, known: set[str]) -> bool:
    """Whether `name` is a known layer or a part of one (`se.fc1` of the layer `se`)."""
    parts = name.split(".")
    return any(".".join(parts[:i]) in known for i in range(1, len(parts) + 1))


def _keys(run: Any, stage: ir.Stage) -> list[str]:
    return [g.key for g in run.groups.get(stage.attr, [])]


def _unknown_item(name: str, op: str, span: Span | None) -> Item:
    return Item(
        f"verify: the model has a layer {NAME} ({op}) that the IR does not know", name, span
    )


def _owner_span(net: ir.Network, name: str) -> Span | None:
    """The spec text a module named `name` belongs to: its stage's cell, else the network name."""
    head = name.split(".", 1)[0]
    for stage in net.stages:
        if stage.attr == head:
            return stage.cell_span
    return net.span


# ---------------------------------------------------------------- outputs


def _outputs(net: ir.Network, run: Any) -> list[Bundle]:
    """Every block's output (and that a block standing for several gives the shape it is
    given, so each copy sees what the first saw), then the stage's."""
    found: list[Bundle] = []
    for stage in net.stages:
        for seg in segments(stage, run.groups.get(stage.attr, [])):
            if seg.block is None:  # blocks the IR does not have: their layers are reported
                continue
            name, at = f"{stage.attr}.{BLOCK}", f"{stage.attr}.{seg.key}"
            items = _output(name, at, tuple(ir.annotated(seg.block.output)), seg.block.span, run)
            if not items and seg.count > 1:
                items = _chains(name, at, seg, stage, run)
            if items:
                found.append(Bundle(items, seg.first, seg.count))
        items = _output(
            stage.attr, stage.attr, tuple(ir.annotated(stage.output)), stage.cell_span, run
        )
        if items:
            found.append(Bundle(items))
    return found


def _output(name: str, at: str, dims: tuple[int, ...], span: Span | None, run: Any) -> list[Item]:
    calls = run.outputs.get(at)
    if at not in run.modules or not calls:
        return [Item(f"verify: the model has no {NAME} that runs", name, span)]
    if calls[0] != dims:
        says = f"verify: {NAME} gives {_shape(calls[0])}, the shape pass says {_shape(dims)}"
        return [Item(says, name, span)]
    return []


def _chains(name: str, at: str, seg: Segment, stage: ir.Stage, run: Any) -> list[Item]:
    """A block built once for several must give the shape it is given."""
    given, gave = run.inputs[at][0], run.outputs[at][0]
    if given == gave:
        return []
    says = (
        f"verify: the model repeats {NAME} in a loop of {seg.count:,}, but it turns"
        f" {_shape(given)} into {_shape(gave)}, so its copies would not see what it saw"
    )
    return [Item(says, name, stage.cell_span)]


def _own(module: Any) -> str | None:
    """The emitted module's own layer classes, in `costs.layer_op`'s words (`se 256->16`)."""
    name = type(module).__name__
    if name == "SqueezeExcite" and hasattr(module, "fc1"):
        return f"se {module.fc1.in_channels}->{module.fc1.out_channels}"
    if name == "ChannelAttention" and hasattr(module, "conv"):
        return f"eca k={module.conv.kernel_size[0]}"
    if name == "BlurPool" and hasattr(module, "blur"):
        k = module.blur.shape[-1]
        return f"blurpool {k}x{k}/{module.stride}"
    return None


def describe(module: Any) -> str | None:
    """A torch module in `costs.layer_op`'s words (`conv 3x3/2 C=32`), or None if not a layer."""
    from torch import nn

    own = _own(module)
    if own is not None:
        return own
    if isinstance(module, nn.Conv2d):
        k, s = module.kernel_size, module.stride
        op = f"conv {k[0]}x{k[1]}" + (f"/{s[0]}" if s != (1, 1) else "")
        return op + (f" C={module.groups}" if module.groups != 1 else "")
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return "bn"
    if isinstance(module, nn.GroupNorm):
        return f"gn G={module.num_groups}"
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return "avgpool" if isinstance(module, nn.AdaptiveAvgPool2d) else "adaptive maxpool"
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kind = "max" if isinstance(module, nn.MaxPool2d) else "avg"
        return f"{kind}pool {_pair(module.kernel_size)}/{_single(module.stride)}"
    if isinstance(module, nn.Linear):
        return "fc"
    if any(True for _ in module.parameters(recurse=False)):
        return type(module).__name__
    return None


def _pair(value: Any) -> str:
    a, b = (value, value) if isinstance(value, int) else tuple(value)
    return f"{a}x{b}"


def _single(value: Any) -> str:
    return str(value if isinstance(value, int) else value[0])
