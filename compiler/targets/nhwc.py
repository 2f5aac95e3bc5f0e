"""What the channels-last Python targets (Keras, Flax) write alike: sizes as H x W x C, the
module's table, each block class's docstring and constructor, each stage's block calls, the
zero-init rule and the source map.

Each target keeps its own framework calls; this module holds only the parts that read the IR the
same way for both, so that the two modules of one network agree line for line where they can.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from ..core import costs, ir
from .pylayout import WIDTH, Call, Expr, Repeat, comment, docstring
from .sourcemap import CodeRange
from .stagetext import cell_comments, stage_comment_text, table_rows


def hwc(shape: ir.Shape | None) -> str:
    """`112x112x64`: a feature map (the input, or an output the shape pass has set) as a
    channels-last framework holds it (batch left out)."""
    shape = ir.annotated(shape)
    return f"{shape.h}x{shape.w}x{shape.c}"


def attention_helpers(net: ir.Network) -> dict[str, bool]:
    """Whether the module uses each attention class (`SqueezeExcite`, `ChannelAttention`)."""
    kinds = {kind.attention.kind for kind in net.block_kinds if kind.attention is not None}
    return {"SqueezeExcite": "se" in kinds, "ChannelAttention": "eca" in kinds}


def attention_init(att: ir.KindAttention, extra: str = "") -> str:
    """`self.se = SqueezeExcite(out_channels, se_width)` (or `ChannelAttention(eca_kernel)`),
    with `extra` arguments after (Flax's `rngs=rngs`)."""
    args = [att.channels, att.param] if att.kind == "se" else [att.param]
    cls = "SqueezeExcite" if att.kind == "se" else "ChannelAttention"
    return f"self.{att.attr} = {cls}({', '.join([*args, *([extra] if extra else [])])})"


def shortcut_helper(sc: ir.Shortcut) -> str:
    """The helper that writes a ResNet-D shortcut: `avg_projection` (pool, conv, BN), or with
    pre-activation `avg_conv1x1` (pool, conv)."""
    return "avg_projection" if any(isinstance(x, ir.Norm) for x in sc.layers) else "avg_conv1x1"


def avg_down_helpers(net: ir.Network) -> dict[str, bool]:
    """Whether the module uses each ResNet-D shortcut helper."""
    used = {
        shortcut_helper(b.shortcut) for s in net.stages for b in s.blocks if b.shortcut.avg_down
    }
    return {name: name in used for name in ("avg_projection", "avg_conv1x1")}


def stem_layers(stem: ir.Stem) -> tuple[ir.Conv | ir.Norm, ...]:
    """conv1's layers: its one convolution, or a deep stem's convolutions, each but the last
    with its BatchNorm (a ReLU follows each BatchNorm)."""
    return (*stem.deep, stem.conv)


def module_docstring(net: ir.Network, framework: str, notes: list[str]) -> str:
    """The module docstring: the table with each output as H x W x C, the totals, `notes`."""
    rows = [
        ("input", "", hwc(net.input)),
        ("conv1", net.stem.conv_text, hwc(net.stem.conv.output)),
    ]
    if net.stem.pool is not None:
        rows.append(("pool", net.stem.pool.cell_text, hwc(net.stem.pool.output)))
    rows += [row for s in net.stages for row in table_rows(s, hwc(s.output))]
    rows.append(("head", net.head.cell_text, str(net.classes)))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    table = []
    for name, cell, out in rows:
        line = f"    {name:<{widths[0]}}  {cell:<{widths[1]}}  {out}".rstrip()
        if len(line) > WIDTH:
            table += [f"    {name:<{widths[0]}}  {cell}", f"    {'':<{widths[0]}}  -> {out}"]
        else:
            table.append(line)
    params, macs = costs.totals(net)
    body = [
        "Table (the ResNet paper's notation; one block's rows in brackets, x its repeats),",
        "with each output as H x W x C (channels last):",
        "",
        *table,
        "",
        f"Parameters: {params:,}.",
        f"Multiply-adds of the conv and fc layers at {net.input.h}x{net.input.w}: {macs:,}.",
    ]
    for note in notes:
        body += ["", *textwrap.wrap(note, WIDTH, break_long_words=False)]
    return docstring(
        f"{net.class_name} for {framework}: a residual network compiled from its table by resnetc.",
        body,
        0,
    )


def class_docstring(net: ir.Network, spec_label: str) -> str:
    """The network class's docstring."""
    return docstring(
        f"{net.class_name}, built from the table in {spec_label}.",
        [
            "See the module docstring for the table. Shapes in comments are H x W x C for a",
            f"{hwc(net.input)} input; the network accepts any input size.",
        ],
        4,
    )


def block_docstring(kind: ir.BlockKind) -> str:
    """A block class's docstring: the kind's summary and notes."""
    body = [
        line
        for note in kind.notes
        for line in textwrap.wrap(note, WIDTH - 4, break_long_words=False)
    ]
    return docstring(kind.summary, body, 4)


def param(p: ir.Param) -> str:
    """`stride: int = 1`."""
    return f"{p.name}: {p.type}" + (f" = {p.default}" if p.default is not None else "")


def stage_comment(stage: ir.Stage) -> list[str]:
    """`# conv3_x: [[3x3,128],[3x3,128]] x 2 -> 28x28x128` (`stagetext`)."""
    return comment(stage_comment_text(stage, hwc(stage.output)), 8)


def stage_entries(
    stage: ir.Stage, shortcut: Callable[[ir.Shortcut], Call | None], extra: list[str]
) -> list[Expr]:
    """The stage's blocks: a block alone as a call, a run of identical blocks as one loop; each
    call takes the block's arguments, its `downsample=` (from `shortcut`), then `extra`."""
    entries: list[Expr] = []
    for block in stage.blocks:
        args: list = list(block.args)
        sc = shortcut(block.shortcut)
        if sc is not None:
            args.append(Call(f"downsample={sc.func}", sc.args))
        call = Call(block.kind, [*args, *extra])
        entries.append(call if block.count == 1 else Repeat(call, block.count))
    return cell_comments(stage, entries)


def last_layers(net: ir.Network) -> dict[str, list[str]]:
    """The layer that zero-init zeroes in each block class, by layer name: its last BatchNorm, or
    with pre-activation its last conv (nothing follows it there)."""
    by_layer: dict[str, list[str]] = {}
    for kind in net.block_kinds:
        last = kind.rows[-1]
        by_layer.setdefault(last.conv if kind.preact else last.norm, []).append(kind.class_name)
    return by_layer


def isinstance_test(classes: list[str]) -> str:
    """`BasicBlock` or `(BasicBlock, ThreeConvBlock)`: the second argument of isinstance."""
    return classes[0] if len(classes) == 1 else f"({', '.join(classes)})"


def source_map(
    net: ir.Network,
    ranges: dict[str, list[tuple[int, int]]],
    methods: tuple[str, str],
    helpers: dict[str, str],
    forward_only: frozenset[str] = frozenset(),
) -> dict[str, tuple[CodeRange, ...]]:
    """Per part, its marked ranges in the network class (the constructor's, then the forward
    method's, named by `methods`; the parts in `forward_only` have only the latter), then the
    block classes and shortcut helpers its blocks use (`helpers`: shortcut kind -> the key of the
    helper that writes it)."""
    init, forward = (f"{net.class_name}.{m}" for m in methods)
    pool = ["pool"] if net.stem.pool is not None else []
    out: dict[str, tuple[CodeRange, ...]] = {}
    for key in ["conv1", *pool, *(s.attr for s in net.stages), "head"]:
        names = [forward] if key in forward_only else [init, forward]
        out[key] = tuple(
            CodeRange(name, *where) for name, where in zip(names, ranges.get(key, []), strict=False)
        )
    for stage in net.stages:
        used = [f"class {name}" for name in dict.fromkeys(b.kind for b in stage.blocks)]
        for kind in dict.fromkeys(b.shortcut.kind for b in stage.blocks):
            if kind in helpers:
                used.append(helpers[kind])
        out[stage.attr] += tuple(CodeRange(w, *ranges[w][0]) for w in used if w in ranges)
    return out
