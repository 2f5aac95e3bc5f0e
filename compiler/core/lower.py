"""Spec -> IR: every block explicit, every stride placed, every shortcut chosen, names assigned.

The rules, from the paper and torchvision:

- the first stage keeps the resolution; every later stage enters with stride 2 in its first block
  (a stage's `stride:` overrides this);
- inside that first block the stride sits on the first 3x3 (torchvision, "ResNet v1.5") or, with
  `downsample_at: 1x1`, on the block's first conv (the paper); a block beginning with a 3x3 puts
  it there either way;
- a block whose shape changes gets a shortcut that changes shape too: a 1x1 projection (options B,
  C) or a zero-padded identity (option A); option C projects in every block;
- padding is always kernel // 2, so only strides change the resolution;
- pre-activation (He et al. 2016, "Identity Mappings"): each BatchNorm moves in front of its conv
  (bnJ normalises convJ's input), the stem is conv1 alone, a projection is a lone 1x1 conv fed the
  pre-activated input, and the head gains a final BN (and ReLU) before the average pool.

Which block kind a cell becomes, how its layers are built and what class implements it is each
kind's own definition (`core.blocks`).
"""

from __future__ import annotations

from ..front.diagnostics import fail
from ..front.source import Span
from ..front.spec import Spec
from ..front.spec import Stage as StageSpec
from . import blocks, ir
from .blocks.base import padding

# Names the generated module defines itself; a network's class name must not collide with them.
_RESERVED_CLASSES = frozenset(
    {
        "BasicBlock",
        "Bottleneck",
        "PreActBasicBlock",
        "PreActBottleneck",
        "ZeroPadShortcut",
    }
)

_SPECIAL_WORDS = {
    "resnet": "ResNet",
    "resnext": "ResNeXt",
    "preact": "PreAct",
    "wrn": "WRN",
}


def class_name_for(name: str) -> str:
    """`resnet50` -> `ResNet50`, `wide_resnet50_2` -> `WideResNet50_2`, `my_net` -> `MyNet`."""
    out = ""
    for part in (p for p in name.split("_") if p):
        if out and part[0].isdigit():
            out += "_" + part
            continue
        lower = part.lower()
        for word, spelled in _SPECIAL_WORDS.items():
            if lower.startswith(word):
                part = spelled + part[len(word) :]
                break
        else:
            part = part[0].upper() + part[1:]
        out += part
    return out or "Network"


def lower(spec: Spec) -> ir.Network:
    """Build the (not yet shape-annotated) IR of `spec`."""
    class_name = class_name_for(spec.name.value)
    options = ir.Options(
        downsample_at=spec.options.downsample_at.value,
        shortcut=spec.options.shortcut.value,
        zero_init_residual=spec.options.zero_init_residual.value,
        preact=spec.options.preact.value,
        shortcut_span=spec.options.shortcut.span,
        allow=tuple(name.value for name in spec.options.allow),
    )
    stem = _stem(spec, options.preact)
    channels = stem.conv.out_channels
    stages: list[ir.Stage] = []
    for i, stage_spec in enumerate(spec.stages):
        stage = _stage(i, stage_spec, channels, options)
        stages.append(stage)
        channels = stage.blocks[-1].out_channels
    stages, kinds = blocks.assign(stages, _layout(options))
    if class_name in _RESERVED_CLASSES or class_name in {k.class_name for k in kinds}:
        raise fail(
            f"network name {spec.name.value!r} gives the class name {class_name},"
            " which the generated module uses for a block",
            spec.name.span,
        )
    head = ir.Head(
        norm=ir.Norm(name="final_bn", channels=channels, span=spec.options.preact.span)
        if options.preact
        else None,
        fc=ir.Linear(
            name="fc",
            in_features=channels,
            out_features=spec.classes.value,
            span=spec.classes.span,
        ),
    )
    return ir.Network(
        name=spec.name.value,
        class_name=class_name,
        span=spec.name.span,
        input=ir.Shape(spec.input.c, spec.input.h, spec.input.w),
        input_span=spec.input.span,
        classes=spec.classes.value,
        stem=stem,
        stages=tuple(stages),
        head=head,
        options=options,
        block_kinds=kinds,
        expect=tuple(
            ir.Expectation(s.key.value, s.h, s.w, s.key.span, s.span) for s in spec.expect.sizes
        ),
        expect_downsample=spec.expect.downsample.value if spec.expect.downsample else None,
        expect_downsample_span=spec.expect.downsample.span if spec.expect.downsample else None,
    )


def _stem(spec: Spec, preact: bool) -> ir.Stem:
    c1 = spec.stem.conv1
    conv = ir.Conv(
        name="conv1",
        in_channels=spec.input.c,
        out_channels=c1.filters,
        kernel=c1.kernel,
        stride=c1.stride,
        padding=padding(c1.kernel),
        span=c1.span,
    )
    norm = None if preact else ir.Norm(name="bn1", channels=c1.filters, span=c1.span)
    pool = None
    if spec.stem.pool is not None:
        p = spec.stem.pool
        pool = ir.Pool(
            name="maxpool" if p.kind == "max" else "pool",  # the head owns `avgpool`
            kind=p.kind,
            kernel=p.kernel,
            stride=p.stride,
            padding=padding(p.kernel),
            span=p.span,
        )
    return ir.Stem(conv=conv, norm=norm, pool=pool)


def _rows(spec: StageSpec) -> tuple[ir.Row, ...]:
    """The cell's rows, as the IR keeps them."""
    return tuple(
        ir.Row(
            kernel=r.kernel,
            filters=r.filters,
            groups=r.groups,
            span=r.span,
            groups_span=r.groups_span,
        )
        for r in spec.cell.rows
    )


def _stage(i: int, spec: StageSpec, in_channels: int, options: ir.Options) -> ir.Stage:
    stride = spec.stride.value if spec.stride is not None else (1 if i == 0 else 2)
    rows = _rows(spec)
    out_channels = rows[-1].filters
    repeats = spec.cell.repeats
    span = spec.cell.span
    if stride == 1 and in_channels == out_channels:  # the entry block is like the others
        blocks = [_block(0, repeats, in_channels, 1, rows, options, span)]
    else:
        blocks = [_block(0, 1, in_channels, stride, rows, options, span)]
        if repeats > 1:
            blocks.append(_block(1, repeats - 1, out_channels, 1, rows, options, span))
    return ir.Stage(
        name=spec.name.value,
        attr=f"layer{i + 1}",
        rows=rows,
        stride=stride,
        stride_span=spec.stride.span if spec.stride is not None else None,
        blocks=tuple(blocks),
        span=spec.name.span,
        cell_span=span,
        repeats_span=spec.cell.repeats_span,
    )


def _layout(options: ir.Options) -> blocks.Layout:
    return blocks.Layout(preact=options.preact, downsample_at=options.downsample_at)


def _block(
    index: int,
    count: int,
    in_channels: int,
    stride: int,
    rows: tuple[ir.Row, ...],
    options: ir.Options,
    span: Span,
) -> ir.Block:
    layers = blocks.choose(rows).layers(rows, in_channels, stride, _layout(options))
    out_channels = rows[-1].filters
    return ir.Block(
        index=index,
        count=count,
        kind="",
        in_channels=in_channels,
        out_channels=out_channels,
        stride=stride,
        layers=layers,
        shortcut=_shortcut(in_channels, out_channels, stride, options, span),
        preact=options.preact,
        span=span,
    )


def _shortcut(
    in_channels: int, out_channels: int, stride: int, options: ir.Options, span
) -> ir.Shortcut:
    changes = stride != 1 or in_channels != out_channels
    if options.shortcut == "C" or (changes and options.shortcut == "B"):
        # Pre-activation projects the already normalised input with a lone conv (`downsample`);
        # otherwise the projection is conv + BN (`downsample.0`, `downsample.1`), as torchvision.
        conv = ir.Conv(
            name="downsample" if options.preact else "downsample.0",
            in_channels=in_channels,
            out_channels=out_channels,
            kernel=1,
            stride=stride,
            span=span,
        )
        layers: tuple[ir.Conv | ir.Norm, ...] = (conv,)
        if not options.preact:
            layers += (ir.Norm(name="downsample.1", channels=out_channels, span=span),)
        return ir.Shortcut(
            kind="projection",
            in_channels=in_channels,
            out_channels=out_channels,
            stride=stride,
            layers=layers,
        )
    if changes:
        return ir.Shortcut(
            kind="zeropad",
            in_channels=in_channels,
            out_channels=out_channels,
            stride=stride,
        )
    return ir.Shortcut(kind="identity", in_channels=in_channels, out_channels=out_channels)
