"""The shape pass: thread C x H x W through stem, stages and head; annotate the IR; collect errors.

This is the only place that knows `out = floor((in + 2p - k) / s) + 1`. It is a pure function of
the IR: it returns a copy with every `output` filled in and the list of diagnostics, and it reports
every problem it finds (not just the first), each at the span of the spec text that caused it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..front.diagnostics import CompileError, Diagnostic, error, errors_of, note, warning
from ..front.source import Span
from . import ir, lints


def out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output height or width of a convolution or pooling: floor((size + 2p - k) / s) + 1."""
    return (size + 2 * padding - kernel) // stride + 1


def ceil_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """A pool's output size in ceil_mode: ceil((size + 2p - k) / s) + 1, less one where the last
    window would start past the input and its left padding (torch's rule)."""
    out = -(-(size + 2 * padding - kernel) // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


@dataclass
class _Pass:
    """Diagnostics collected while walking the network."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    breakers: list[Diagnostic] = field(default_factory=list)
    """The errors that leave a map of the wrong size (every later size follows from them)."""

    @property
    def broken(self) -> bool:
        """Whether a map has come out the wrong size."""
        return bool(self.breakers)

    def broke(self) -> None:
        """The error just reported leaves a map of the wrong size."""
        self.breakers.append(self.diagnostics[-1])

    def error(self, message: str, span: Span | None, help: str | None = None) -> None:
        self.diagnostics.append(error(message, span, help))

    def warn(self, message: str, span: Span | None, help: str | None = None) -> None:
        self.diagnostics.append(warning(message, span, help))


def annotate(net: ir.Network) -> tuple[ir.Network, list[Diagnostic]]:
    """Annotate every layer of `net` with its output shape.

    Returns the annotated network and its warnings; raises `CompileError` holding every error (and
    the warnings) if the network cannot be built.
    """
    p = _Pass()
    x = net.input
    stem, x = _stem(p, net.stem, x)
    broken = ("pool" if net.stem.pool is not None else "conv1") if p.broken else None
    stages = []
    for stage in net.stages:
        stage, x = _stage(p, stage, x)
        stages.append(stage)
        if broken is None and p.broken:
            broken = stage.name
    head = _head(p, net.head, x)
    annotated = net.model_copy(update={"stem": stem, "stages": tuple(stages), "head": head})
    _check_expect(p, annotated, broken)
    if not errors_of(p.diagnostics):
        p.diagnostics += lints.check(annotated)
    if errors_of(p.diagnostics):
        raise CompileError(p.diagnostics)
    return annotated, p.diagnostics


def _conv(p: _Pass, conv: ir.Conv, x: ir.Shape, where: str) -> tuple[ir.Conv, ir.Shape]:
    if x.c != conv.in_channels:  # pragma: no cover - lowering wires channels through
        raise AssertionError(f"{where}: {x.c} channels reach a conv built for {conv.in_channels}")
    bad = [
        f"{c} {side}" for c, side in ((conv.in_channels, "input"), (conv.out_channels, "output"))
    ]
    bad = [
        b
        for b, c in zip(bad, (conv.in_channels, conv.out_channels), strict=True)
        if c % conv.groups
    ]
    if bad:
        p.error(
            f"{where}: C={conv.groups} groups do not divide the {' and '.join(bad)} channels",
            conv.groups_span or conv.span,
            help="the groups of a convolution must divide both its input and output channels",
        )
    h = out_size(x.h, conv.kernel, conv.stride, conv.padding)
    w = out_size(x.w, conv.kernel, conv.stride, conv.padding)
    if h < 1 or w < 1:
        p.error(
            f"{where}: a {conv.kernel}x{conv.kernel}/{conv.stride} conv on a {x.h}x{x.w} map"
            f" leaves {max(h, 0)}x{max(w, 0)}: the map has vanished",
            conv.span,
            help="use a larger input, or fewer stride-2 stages",
        )
        p.broke()
        h, w = max(h, 1), max(w, 1)
    out = ir.Shape(conv.out_channels, h, w)
    return conv.model_copy(update={"output": out}), out


def _norm(p: _Pass, norm: ir.Norm, x: ir.Shape, where: str) -> tuple[ir.Norm, ir.Shape]:
    """A norm keeps the shape; a GroupNorm's groups must divide its channels (a stage's blocks
    repeat the error of its first: `_block` reports it once)."""
    g = norm.groups
    if g is not None and norm.channels % g:
        p.error(
            f"{where}: GroupNorm's G={g} groups do not divide its {norm.channels} channels",
            norm.span,
            help=f"`norm: GN, G={g}` needs G to divide the channels of every norm layer (G=32,"
            " timm's, divides the ResNets' 64, 128, 256, ...); change G or the filters",
        )
    return norm.model_copy(update={"output": x}), x


def _pool(p: _Pass, pool: ir.Pool, x: ir.Shape, where: str) -> tuple[ir.Pool, ir.Shape]:
    size = ceil_size if pool.ceil else out_size
    h, w = (size(s, pool.kernel, pool.stride, pool.padding) for s in (x.h, x.w))
    if h < 1 or w < 1:
        p.error(
            f"{where}: a {pool.kernel}x{pool.kernel}/{pool.stride} pool on a {x.h}x{x.w} map"
            " leaves nothing",
            pool.span,
        )
        p.broke()
        h, w = max(h, 1), max(w, 1)
    out = ir.Shape(x.c, h, w)
    return pool.model_copy(update={"output": out}), out


def _blur(p: _Pass, blur: ir.Blur, x: ir.Shape, where: str) -> tuple[ir.Blur, ir.Shape]:
    pad = blur.kernel // 2
    if min(x.h, x.w) <= pad:
        p.error(
            f"{where}: the anti-aliasing blur reflect-pads the map by {pad}, which needs a map"
            f" larger than {pad}x{pad}, not {x.h}x{x.w}",
            blur.span,
            help="use a larger input, or fewer stride-2 stages",
        )
        p.broke()
    h, w = (out_size(s, blur.kernel, blur.stride, pad) for s in (x.h, x.w))
    out = ir.Shape(x.c, max(h, 1), max(w, 1))
    return blur.model_copy(update={"output": out}), out


def _attention(p: _Pass, node, x: ir.Shape, where: str):
    """Squeeze-and-excitation and ECA scale each channel: the map keeps its shape."""
    if x.c != node.channels:  # pragma: no cover - lowering wires channels through
        raise AssertionError(f"{where}: {x.c} channels reach attention built for {node.channels}")
    return node.model_copy(update={"output": x}), x


_RULES: dict[type, Callable[..., tuple[Any, ir.Shape]]] = {
    ir.Conv: _conv,
    ir.Norm: _norm,
    ir.Pool: _pool,
    ir.Blur: _blur,
    ir.SqueezeExcite: _attention,
    ir.ChannelAttention: _attention,
}
"""The shape rule of each node kind a block or a shortcut holds: (pass, node, input, where) ->
(the annotated node, its output)."""


def _layer(p: _Pass, layer, x: ir.Shape, where: str):
    """One layer of a block or shortcut, by its node kind's rule; an unknown kind is a bug."""
    rule = _RULES.get(type(layer))
    if rule is None:
        raise TypeError(f"the shape pass has no rule for {type(layer).__name__} nodes")
    return rule(p, layer, x, where)


def _stem(p: _Pass, stem: ir.Stem, x: ir.Shape) -> tuple[ir.Stem, ir.Shape]:
    deep = []
    for layer in stem.deep:
        layer, x = _layer(p, layer, x, "conv1")
        deep.append(layer)
    conv, x = _conv(p, stem.conv, x, "conv1")
    norm = _norm(p, stem.norm, x, "bn1")[0] if stem.norm is not None else None
    pool = None
    if stem.pool is not None:
        pool, x = _pool(p, stem.pool, x, "pool")
    pool_layers = []
    for node in stem.pool_layers:
        node, x = _layer(p, node, x, "pool")
        pool_layers.append(node)
    update = {"conv": conv, "norm": norm, "pool": pool, "output": x}
    return stem.model_copy(
        update={**update, "deep": tuple(deep), "pool_layers": tuple(pool_layers)}
    ), x


def _stage(p: _Pass, stage: ir.Stage, x: ir.Shape) -> tuple[ir.Stage, ir.Shape]:
    blocks = []
    reported: set[str] = set()
    for block in stage.blocks:
        block, x = _block(p, stage, block, x, reported)
        blocks.append(block)
    return stage.model_copy(update={"blocks": tuple(blocks), "output": x}), x


def _block(
    p: _Pass, stage: ir.Stage, block: ir.Block, x: ir.Shape, reported: set[str]
) -> tuple[ir.Block, ir.Shape]:
    where = f"{stage.name} ({stage.attr}.{block.index})"
    before = len(p.diagnostics)
    layers = []
    y = x
    for layer in block.layers:
        layer, y = _layer(p, layer, y, where)
        layers.append(layer)
    shortcut, s = _shortcut(p, block.shortcut, x, stage, where)
    if s != y and s.c > 0:
        even = next((c for c in block.convs if c.kernel % 2 == 0), None)
        p.error(
            f"{where}: the block's output {y} cannot be added to its shortcut's {s}",
            even.span if even is not None and even.span is not None else stage.cell_span,
            help=_mismatch_help(block, x, y),
        )
        p.broke()
    # One root cause per stage: its blocks repeat the first block's error (a mismatch in
    # layer2.0 gives one in layer2.1 too, the input already wrong), so each is reported once.
    new = p.diagnostics[before:]
    del p.diagnostics[before:]
    for d in new:
        key = "mismatch" if "cannot be added" in d.message else d.message.split(": ", 1)[-1]
        if key not in reported:
            reported.add(key)
            p.diagnostics.append(d)
    return block.model_copy(
        update={"layers": tuple(layers), "shortcut": shortcut, "input": x, "output": y}
    ), y


def _mismatch_help(block: ir.Block, x: ir.Shape, y: ir.Shape) -> str | None:
    even = [c.kernel for c in block.convs if c.kernel % 2 == 0]
    if even:
        return (
            f"an even kernel ({even[0]}x{even[0]}) with padding k//2 changes the map size;"
            " use odd kernels"
        )
    return None


def _shortcut(
    p: _Pass, sc: ir.Shortcut, x: ir.Shape, stage: ir.Stage, where: str
) -> tuple[ir.Shortcut, ir.Shape]:
    h, w = out_size(x.h, 1, sc.stride, 0), out_size(x.w, 1, sc.stride, 0)
    if sc.kind == "identity":
        out = x
    elif sc.kind == "zeropad":
        if sc.out_channels < sc.in_channels:
            p.error(
                f"{where}: shortcut option A pads new channels with zeros; it cannot reduce"
                f" {sc.in_channels} channels to {sc.out_channels}",
                stage.cell_span,
                help="use shortcut B (a 1x1 projection), or keep the filters from shrinking",
            )
        out = ir.Shape(sc.out_channels, h, w)
    else:
        layers = []
        y = x
        for layer in sc.layers:
            layer, y = _layer(p, layer, y, where)
            layers.append(layer)
        return sc.model_copy(update={"layers": tuple(layers), "output": y}), y
    return sc.model_copy(update={"output": out}), out


def _head(p: _Pass, head: ir.Head, x: ir.Shape) -> ir.Head:
    norm = _norm(p, head.norm, x, "final_bn")[0] if head.norm is not None else None
    out = ir.Shape(head.fc.out_features, 1, 1)
    fc = head.fc.model_copy(update={"output": out})
    return head.model_copy(update={"norm": norm, "fc": fc, "output": out})


def outputs(net: ir.Network) -> dict[str, ir.Shape | None]:
    """The output shape at every key `expect:` may name: conv1, pool, and each stage (None before
    the shape pass)."""
    found: dict[str, ir.Shape | None] = {"conv1": net.stem.conv.output}
    if net.stem.pooled:
        found["pool"] = net.stem.pool_output
    for stage in net.stages:
        found[stage.name] = stage.output
    return found


def _check_expect(p: _Pass, net: ir.Network, broken: str | None = None) -> None:
    """Compare every `expect:` entry with the shapes found. Entries at or after the first part
    with a shape error (`broken`) follow from that error: they are named in a note on it."""
    found = outputs(net)
    order = list(found)
    after = order.index(broken) if broken in found else len(order)
    skipped = []
    for exp in net.expect:
        got = found.get(exp.key)
        if got is not None and order.index(exp.key) >= after:
            if (got.h, got.w) != (exp.h, exp.w):
                skipped.append(exp.key)
            continue
        if got is None:
            p.error(
                f"expect names '{exp.key}', which is not a layer of this network",
                exp.key_span,
                help="expect may name: " + ", ".join([*found, "downsample"]),
            )
        elif (got.h, got.w) != (exp.h, exp.w):
            p.error(
                f"{exp.key} comes out {got.h}x{got.w}, but expect says {exp.h}x{exp.w}",
                exp.span,
                help=_trace(net, exp.key),
            )
    if net.expect_downsample is not None:
        final = ir.annotated(net.stages[-1].output)
        ratio = net.expect_downsample
        if broken is not None and (net.input.h, net.input.w) != (final.h * ratio, final.w * ratio):
            skipped.append("downsample")
        elif (net.input.h, net.input.w) != (final.h * ratio, final.w * ratio):
            p.error(
                f"the network takes {net.input.h}x{net.input.w} down to {final.h}x{final.w},"
                f" which is not /{ratio}",
                net.expect_downsample_span,
                help=_trace(net, net.stages[-1].name),
            )

    if skipped:
        _fold(p, skipped)


def _fold(p: _Pass, keys: list[str]) -> None:
    """Note on the first error the `expect:` entries that fail only because of it."""
    first = next(i for i, d in enumerate(p.diagnostics) if any(d is b for b in p.breakers))
    names = ", ".join(keys)
    what = "entry" if len(keys) == 1 else "entries"
    text = f"the expect {what} for {names} differ too, as a result of this error"
    d = p.diagnostics[first]
    p.diagnostics[first] = replace(d, notes=(*d.notes, note(text, None)))


def _trace(net: ir.Network, key: str) -> str:
    """`224 -> 112 (conv1) -> 56 (pool) -> 56 (conv2_x)`: how the height got to `key`."""
    steps = [str(net.input.h)]
    stride = 1
    for conv in net.stem.convs:
        stride *= conv.stride
    steps.append(f"{ir.annotated(net.stem.conv.output).h} (conv1 /{stride})")
    if key != "conv1" and net.stem.pooled:
        pooled = 1
        for layer in (net.stem.pool, *net.stem.pool_layers):
            pooled *= getattr(layer, "stride", 1) if layer is not None else 1
        steps.append(f"{ir.annotated(net.stem.pool_output).h} (pool /{pooled})")
    if key not in ("conv1", "pool"):
        for stage in net.stages:
            steps.append(f"{ir.annotated(stage.output).h} ({stage.name} /{stage.stride})")
            if stage.name == key:
                break
    return "height: " + " -> ".join(steps)
