"""What a target can write, and a located refusal for everything in a network that it cannot.

A target that writes fewer constructs than the IR can hold declares what it knows (`Knows`): the
IR classes and, of each, the fields it writes; the node kinds a block, a shortcut, the stem and
the head may hold; the block patterns and shortcut kinds. `refusals` walks the whole network and
returns one error per construct outside that, at the span of the spec text that produced it:

- a node of a class the target does not know (a new node kind, wherever it sits);
- a field the target does not know, set to anything but its default (a new option of a stem, a
  block or a shortcut is refused where it is used, and costs nothing where it is not); a field
  that holds a span (where the spec wrote something) is a location, never a construct;
- a block kind of another pattern, a shortcut of another kind, a block whose layers are not its
  rows' conv and BatchNorm in order, a projection that is not a 1x1 conv (and BatchNorm).

The decision rests on what the IR says, never on which spec it came from, so a construct added to
the IR later is refused by every target not yet taught it, with its name.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from pydantic import BaseModel

from ..core import ir
from ..front.diagnostics import Diagnostic, error
from ..front.source import Span

# Annotated on its own: as the iterable of IR_FIELDS' comprehension, the literal's keys would be
# inferred as ModelMetaclass (the classes' join), which mypy does not take for type[BaseModel].
_FIELD_NAMES: Mapping[type[BaseModel], list[str]] = {
    ir.Network: [
        "name",
        "class_name",
        "span",
        "input",
        "input_span",
        "classes",
        "stem",
        "stages",
        "head",
        "options",
        "block_kinds",
        "expect",
        "expect_downsample",
        "expect_downsample_span",
    ],
    ir.Stem: ["conv", "norm", "pool", "output"],
    ir.Stage: ["name", "attr", "cells", "stride", "stride_span", "blocks", "span", "output"],
    ir.Cell: ["rows", "count", "span", "repeats_span"],
    ir.Row: ["kernel", "filters", "groups", "span"],
    ir.Block: [
        "index",
        "count",
        "cell",
        "kind",
        "args",
        "in_channels",
        "out_channels",
        "stride",
        "layers",
        "shortcut",
        "preact",
        "span",
        "input",
        "output",
    ],
    ir.Shortcut: ["kind", "in_channels", "out_channels", "stride", "layers", "output"],
    ir.Head: ["norm", "fc", "output"],
    ir.Options: ["downsample_at", "shortcut", "zero_init_residual", "preact", "shortcut_span"],
    ir.BlockKind: [
        "class_name",
        "pattern",
        "summary",
        "notes",
        "params",
        "attributes",
        "setup",
        "rows",
        "preact",
        "expansion",
    ],
    ir.KindRow: [
        "kernel",
        "padding",
        "conv",
        "norm",
        "in_width",
        "out_width",
        "groups",
        "strided",
    ],
    ir.Conv: [
        "name",
        "in_channels",
        "out_channels",
        "kernel",
        "stride",
        "padding",
        "groups",
        "span",
        "output",
    ],
    ir.Norm: ["name", "channels", "span", "output"],
    ir.Pool: ["name", "kind", "kernel", "stride", "padding", "span", "output"],
    ir.Linear: ["name", "in_features", "out_features", "span", "output"],
}

IR_FIELDS: Mapping[type[BaseModel], frozenset[str]] = {
    cls: frozenset(fields) for cls, fields in _FIELD_NAMES.items()
}
"""The IR's classes and fields as of the first Keras and Flax targets (the torch target writes
whatever the IR holds). A target taught a new construct adds its class or field to its `Knows`."""


ATTENTION: Mapping[type[BaseModel], frozenset[str]] = {
    ir.Cell: frozenset({"attention"}),
    ir.BlockKind: frozenset({"attention"}),
    ir.Attention: frozenset({"kind", "width", "channels", "kernel", "span"}),
    ir.KindAttention: frozenset({"kind", "attr", "channels", "param"}),
    ir.SqueezeExcite: frozenset({"name", "channels", "width", "span", "output"}),
    ir.ChannelAttention: frozenset({"name", "channels", "kernel", "span", "output"}),
}
"""Channel attention, squeeze-and-excitation and ECA (the rows `fc, [16, 256]` and `eca, k=5`):
the classes and fields a target adds to `IR_FIELDS` with `taught` once it writes them."""


DEEP_STEM: Mapping[type[BaseModel], frozenset[str]] = {ir.Stem: frozenset({"deep"})}
"""The deep and tiered stems (ResNet-C, `3x3, 32, /2; 3x3, 32; 3x3, 64`): conv1 a stack of
convolutions, each but the last with its BatchNorm and ReLU."""

AVG_DOWN: Mapping[type[BaseModel], frozenset[str]] = {
    ir.Pool: frozenset({"ceil", "count_include_pad"})
}
"""ResNet-D's average-pool shortcut (`shortcut: D`): its 2x2 pool in ceil mode, the padding left
out of the count. A target that knows it also lists `avg_down` among its shortcuts; a pool of
that kind anywhere else (the stem) is still refused."""


def taught(
    fields: Mapping[type[BaseModel], frozenset[str]],
    *more: Mapping[type[BaseModel], frozenset[str]],
) -> Mapping[type[BaseModel], frozenset[str]]:
    """`fields` and the classes and fields of each of `more` (`taught(IR_FIELDS, ATTENTION)`)."""
    out = dict(fields)
    for extra in more:
        for cls, names in extra.items():
            out[cls] = out.get(cls, frozenset()) | names
    return out


WORDS: Mapping[tuple[str, str], str] = {
    ("Stem", "deep"): "a deep stem (conv1 as a stack of 3x3 convs)",
    ("Stem", "pool_layers"): "an anti-aliased stem pool",
    ("Pool", "ceil"): "a pool in ceil mode",
    ("Pool", "count_include_pad"): "an average pool that leaves the padding out of its count",
    ("Cell", "attention"): "channel attention (squeeze-and-excitation or ECA)",
    ("BlockKind", "attention"): "a block class with channel attention",
    ("BlockKind", "anti_alias"): "a block class with anti-aliased downsampling",
    ("BlockKind", "drop_path"): "a block class with stochastic depth (drop_path)",
    ("Options", "anti_alias"): "anti-aliased downsampling (`anti_alias`)",
    ("Options", "drop_path"): "stochastic depth (`drop_path`)",
    ("Options", "shortcut_kernel"): "a 3x3 projection shortcut",
    ("Options", "norm_groups"): "GroupNorm (`norm: GN`) in place of BatchNorm",
    ("Norm", "groups"): "a GroupNorm",
    ("BlockKind", "norm_groups"): "a block class with GroupNorm",
}
"""Plain words for the fields added after the first Keras and Flax targets; any other field is
named as `Class.field`."""

ONCE: frozenset[str] = frozenset({"a GroupNorm"})
"""Words said once per network, at their first place (every norm layer of a `norm: GN` network
is a GroupNorm: one refusal says it, beside the option's own)."""


@dataclass(frozen=True)
class Knows:
    """The constructs one target can write."""

    target: str
    fields: Mapping[type[BaseModel], frozenset[str]]
    patterns: frozenset[str]
    shortcuts: frozenset[str]
    pools: frozenset[str]


def refusals(net: ir.Network, knows: Knows) -> list[Diagnostic]:
    """One error for each construct of `net` that the target cannot write (none if it can)."""
    found: dict[tuple[str, Span | None], Diagnostic] = {}
    said: set[str] = set()
    for what, span in _unknown(net, knows):
        span = span or net.span
        if what in said:
            continue
        if any(what.startswith(words + " (") for words in ONCE):
            said.add(what)
        found.setdefault((what, span), _refusal(knows.target, what, span))
    return list(found.values())


def _refusal(target: str, what: str, span: Span | None) -> Diagnostic:
    return error(
        f"the {target} target cannot write {what}",
        span,
        help="compile this spec for torch (`--target torch`), which writes every construct of"
        f" resnetc's IR; the {target} target refuses what it has not been taught",
    )


def _unknown(net: ir.Network, knows: Knows) -> Iterator[tuple[str, Span | None]]:
    yield from _fields(net, knows, net.span)
    spans = _kind_spans(net)
    for kind in net.block_kinds:
        if kind.pattern not in knows.patterns:
            yield (
                f"a block of the {kind.pattern!r} pattern ({kind.class_name})",
                spans.get(kind.class_name),
            )
    pool = net.stem.pool
    if isinstance(pool, ir.Pool) and pool.kind not in knows.pools:
        yield f"a {pool.kind} pool in the stem", pool.span
    if isinstance(pool, ir.Pool) and (pool.ceil or not pool.count_include_pad):
        yield "a stem pool in ceil mode or leaving the padding out of its count", pool.span
    for stage in net.stages:
        for block in stage.blocks:
            yield from _block(net, block, knows, block.span or stage.cell_span)


def _kind_spans(net: ir.Network) -> dict[str, Span | None]:
    """Where each block kind is first used: the span of its first block (or its stage's cell)."""
    out: dict[str, Span | None] = {}
    for stage in net.stages:
        for block in stage.blocks:
            out.setdefault(block.kind, block.span or stage.cell_span)
    return out


def _fields(node: BaseModel, knows: Knows, near: Span | None) -> Iterator[tuple[str, Span | None]]:
    """Every node below `node` (itself included) of a class, or with a field set, that the
    target does not know; `near` is the closest span above."""
    cls = type(node)
    span = getattr(node, "span", None)
    here = span if isinstance(span, Span) else near
    known = knows.fields.get(cls)
    if known is None:
        yield f"a {cls.__name__} node", here
        return
    for name, info in cls.model_fields.items():
        value = getattr(node, name)
        if isinstance(value, Span):  # where something was written: a location, not a construct
            continue
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        if name not in known and (info.is_required() or value != default):
            words = WORDS.get((cls.__name__, name))
            at = getattr(node, f"{name}_span", None) or here  # an option: where it was written
            if words is not None:
                yield f"{words} (`{cls.__name__}.{name}`)", at
            else:
                yield f"`{cls.__name__}.{name}` ({_short(value)})", at
            continue
        for child in value if isinstance(value, tuple) else (value,):
            if isinstance(child, BaseModel):
                yield from _fields(child, knows, here)


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _block(
    net: ir.Network, block: ir.Block, knows: Knows, span: Span | None
) -> Iterator[tuple[str, Span | None]]:
    """A block whose layers are not its rows' (conv, BatchNorm) pairs (and its class's attention
    module), or whose shortcut the target cannot write."""
    try:
        kind = net.kind(block.kind)
    except KeyError:
        yield f"a block of class {block.kind}, which no block kind describes", span
        return
    pair = [ir.Norm, ir.Conv] if kind.preact else [ir.Conv, ir.Norm]
    layers = pair * len(kind.rows)
    if kind.attention is not None:  # refused as a field where the target does not know it
        layers.append(ir.SqueezeExcite if kind.attention.kind == "se" else ir.ChannelAttention)
    if [type(layer) for layer in block.layers] != layers:
        found = ", ".join(type(layer).__name__ for layer in block.layers)
        yield f"a {block.kind} whose layers are not conv and BatchNorm per row ({found})", span
    sc = block.shortcut
    if sc.kind not in knows.shortcuts:
        yield f"a {sc.kind!r} shortcut", span
    elif sc.avg_down and "avg_down" in knows.shortcuts:
        if not _plain_avg_down(sc):
            yield "an average-pool shortcut other than ResNet-D's (a 2x2 pool /2, a 1x1 conv)", span
    elif sc.kind == "projection":
        types = [type(layer) for layer in sc.layers]
        conv = sc.layers[0] if sc.layers else None
        plain = isinstance(conv, ir.Conv) and (conv.kernel, conv.padding, conv.groups) == (1, 0, 1)
        if types not in ([ir.Conv], [ir.Conv, ir.Norm]) or not plain:
            yield "a projection shortcut other than a 1x1 conv (and a BatchNorm)", span
    elif sc.layers:
        yield f"a {sc.kind!r} shortcut with layers", span


def _plain_avg_down(sc: ir.Shortcut) -> bool:
    """Whether a ResNet-D shortcut is what `avg_projection` writes: where it strides a 2x2
    average pool /2 in ceil mode leaving the padding out, then an unstrided 1x1 conv (and its
    BatchNorm)."""
    layers = list(sc.layers)
    if sc.stride != 1:
        pool = layers.pop(0)
        wanted = ("avg", 2, 2, 0, True, False)
        if (
            not isinstance(pool, ir.Pool)
            or (
                pool.kind,
                pool.kernel,
                pool.stride,
                pool.padding,
                pool.ceil,
                pool.count_include_pad,
            )
            != wanted
        ):
            return False
    conv = layers[0] if layers else None
    if not isinstance(conv, ir.Conv):
        return False
    plain = (conv.kernel, conv.stride, conv.padding, conv.groups) == (1, 1, 0, 1)
    return plain and [type(x) for x in layers[1:]] in ([], [ir.Norm])
