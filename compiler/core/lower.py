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
  pre-activated input, and the head gains a final BN (and ReLU) before the average pool;
- the zoo's tweaks keep timm's state_dict names: a deep stem is `conv1.0` ... `conv1.6` (conv, BN,
  ReLU, ...) then `bn1`; ResNet-RS's pool conv is `maxpool.0`/`.1`; option D's shortcut is
  `downsample.0` (the 2x2 average pool, or nothing where it does not stride), `.1` (the 1x1 conv)
  and `.2` (its BN); an attention row is the block's `se`; an anti-aliasing layer is its `aa`;
- `shortcut_kernel: 3x3` (SENet-154, timm's down_kernel_size=3) makes a projection that strides a
  3x3 conv with padding 1 (one that keeps the map size stays 1x1, as in timm); `norm: GN, G=32`
  makes every norm layer a GroupNorm of that many groups, under the same names.

Which block kind a cell becomes, how its layers are built and what class implements it is each
kind's own definition (`core.blocks`).
"""

from __future__ import annotations

from typing import Literal, cast

from ..front.cells import Cell as CellSpec
from ..front.diagnostics import fail
from ..front.source import Span
from ..front.spec import Spec
from ..front.spec import Stage as StageSpec
from ..front.specvalues import StemConv
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
        "SEBasicBlock",
        "SEBottleneck",
        "ECABasicBlock",
        "ECABottleneck",
        "SqueezeExcite",
        "ChannelAttention",
        "BlurPool",
        "DropPath",
    }
)

_SPECIAL_WORDS = {  # longest first: the first word a name starts with is spelled
    "senet": "SENet",
    "seresnext": "SEResNeXt",
    "seresnet": "SEResNet",
    "ecaresnext": "ECAResNeXt",
    "ecaresnet": "ECAResNet",
    "resnetblur": "ResNetBlur",
    "resnetaa": "ResNetAA",
    "resnetrs": "ResNetRS",
    "resnetv": "ResNetV",
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
    # A `Choice` holds a str, but only one of the values its field lists (front.spec's
    # choice_parser), the values ir.Options takes (and validates again): the casts say which.
    options = ir.Options(
        downsample_at=cast(Literal["3x3", "1x1"], spec.options.downsample_at.value),
        shortcut=cast(Literal["A", "B", "C", "D"], spec.options.shortcut.value),
        zero_init_residual=spec.options.zero_init_residual.value,
        preact=spec.options.preact.value,
        anti_alias=cast(Literal["none", "blur", "avg"], spec.options.anti_alias.value),
        drop_path=spec.options.drop_path.value,
        shortcut_span=spec.options.shortcut.span,
        allow=tuple(name.value for name in spec.options.allow),
        anti_alias_span=spec.options.anti_alias.span,
        drop_path_span=spec.options.drop_path.span,
        shortcut_kernel=spec.options.shortcut_kernel.value,
        shortcut_kernel_span=spec.options.shortcut_kernel.span,
        norm_groups=spec.options.norm.groups,
        norm_groups_span=spec.options.norm.span,
    )
    _check_preact(spec, options)
    _check_shortcut_kernel(options)
    stem = _stem(spec, options)
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
        norm=ir.Norm(
            name="final_bn",
            channels=channels,
            groups=options.norm_groups,
            span=spec.options.preact.span,
        )
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


def _check_preact(spec: Spec, options: ir.Options) -> None:
    """The zoo's pre-activation networks (timm's ResNetV2) have no attention or anti-aliasing."""
    if not options.preact:
        return
    if options.anti_alias != "none":
        raise fail(
            "anti_alias is not available with preact: true",
            options.anti_alias_span,
            help="anti-aliased downsampling (timm's aa_layer) is written for post-activation"
            " blocks; leave one of the two options out",
        )
    for cell in (c for stage in spec.stages for c in stage.cell):
        if cell.attention is not None:
            raise fail(
                "an attention row (fc or eca) is not available with preact: true",
                cell.attention.span,
                help="squeeze-and-excitation and ECA are written for post-activation blocks"
                " (timm's SE-ResNets); leave the row or the option out",
            )
    if isinstance(spec.stem.pool, StemConv):
        raise fail(
            "a convolution in place of the pool (ResNet-RS) is not available with preact: true",
            spec.stem.pool.span,
            help="write the pool as `3x3 max, /2`, or leave preact out",
        )


def _check_shortcut_kernel(options: ir.Options) -> None:
    """A projection's kernel other than 1x1 needs projections written as conv and norm: options
    B and C, post-activation (timm's down_kernel_size, which ResNet-D's avg_down ignores)."""
    if options.shortcut_kernel == 1:
        return
    k = options.shortcut_kernel
    if options.shortcut in ("A", "D") or options.preact:
        what = "preact: true" if options.preact else f"shortcut {options.shortcut}"
        why = {
            "A": "option A has no projection",
            "D": "option D's projection is an unstrided 1x1 after the average pool",
        }.get(options.shortcut, "a pre-activation projection is a lone 1x1 conv")
        raise fail(
            f"shortcut_kernel {k}x{k} is not available with {what}",
            options.shortcut_kernel_span,
            help=f"{why}; a {k}x{k} projection (SENet-154's) is written with shortcut B or C",
        )


def _stem(spec: Spec, options: ir.Options) -> ir.Stem:
    """conv1 (deep stems named as timm's `conv1.0`, `conv1.1`, ...), bn1, and the pool."""
    first = spec.stem.conv1
    convs = first.convs
    deep: list[ir.Conv | ir.Norm] = []
    channels = spec.input.c
    for j, c in enumerate(convs):
        conv = ir.Conv(
            name="conv1" if len(convs) == 1 else f"conv1.{3 * j}",
            in_channels=channels,
            out_channels=c.filters,
            kernel=c.kernel,
            stride=c.stride,
            padding=padding(c.kernel),
            span=c.span,
        )
        channels = c.filters
        if j < len(convs) - 1:
            deep += [conv, _norm(f"conv1.{3 * j + 1}", c.filters, options, c.span)]
    last = convs[-1]
    norm = None if options.preact else _norm("bn1", last.filters, options, last.span)
    pool, layers = _stem_pool(spec.stem.pool, channels, options)
    return ir.Stem(
        conv=conv,
        norm=norm,
        pool=pool,
        deep=tuple(deep),
        pool_layers=layers,
        pool_span=spec.stem.pool.span if spec.stem.pool is not None else None,
    )


def _norm(name: str, channels: int, options: ir.Options, span: Span | None) -> ir.Norm:
    """A BatchNorm, or the GroupNorm `norm: GN` asks for, over `channels`."""
    return ir.Norm(name=name, channels=channels, groups=options.norm_groups, span=span)


def _stem_pool(p, channels: int, options: ir.Options) -> tuple[ir.Pool | None, tuple]:
    """The stem's pool, or the layers that replace it: ResNet-RS's strided conv and BN
    (`maxpool.0`, `maxpool.1`), and with anti-aliasing timm's `aa_layer` in the stem."""
    aa = options.anti_alias
    if p is None:
        return None, ()
    if isinstance(p, StemConv):  # ResNet-RS: conv, [aa,] BN, ReLU
        conv = ir.Conv(
            name="maxpool.0",
            in_channels=channels,
            out_channels=p.filters,
            kernel=p.kernel,
            stride=1 if aa != "none" and p.stride != 1 else p.stride,
            padding=padding(p.kernel),
            span=p.span,
        )
        layers: list = [conv]
        if conv.stride != p.stride:
            layers.append(_aa("maxpool.1", aa, p.filters, p.stride, p.span))
        layers.append(_norm(f"maxpool.{len(layers)}", p.filters, options, p.span))
        return None, tuple(layers)
    if aa == "avg" and p.kind == "max" and p.stride != 1:  # timm: the max pool becomes aa_layer(2)
        return ir.Pool(name="pool", kind="avg", kernel=2, stride=2, padding=0, span=p.span), ()
    if aa == "blur" and p.kind == "max" and p.stride != 1:  # a max pool /1, then the blur /2
        return None, (
            ir.Pool(name="maxpool.0", kind="max", kernel=p.kernel, stride=1,
                    padding=padding(p.kernel), span=p.span),
            _aa("maxpool.1", aa, channels, p.stride, p.span),
        )  # fmt: skip
    pool = ir.Pool(
        name="maxpool" if p.kind == "max" else "pool",  # the head owns `avgpool`
        kind=p.kind,
        kernel=p.kernel,
        stride=p.stride,
        padding=padding(p.kernel),
        span=p.span,
    )
    return pool, ()


def _aa(name: str, aa: str, channels: int, stride: int, span: Span | None):
    """timm's anti-aliasing layer: a BlurPool2d, or an AvgPool2d(stride) (kernel = stride)."""
    return blocks.anti_alias_layer(name, aa, channels, stride, span)


def _cell(cell: CellSpec) -> ir.Cell:
    """A cell as the IR keeps it; squeeze-and-excitation must come back to the block's width."""
    rows = tuple(
        ir.Row(
            kernel=r.kernel,
            filters=r.filters,
            groups=r.groups,
            span=r.span,
            groups_span=r.groups_span,
        )
        for r in cell.rows
    )
    a = cell.attention
    attention = None
    if a is not None:
        out = rows[-1].filters
        if a.kind == "se" and a.channels != out:
            raise fail(
                f"the fc row goes back to {a.channels} channels, but the block outputs {out}",
                a.span,
                help=f"squeeze-and-excitation reduces the block's width and restores it: write"
                f" fc, [{a.width}, {out}] (SENet's Table 1: fc, [16, 256] after a 256-wide block)",
            )
        attention = ir.Attention(
            kind=a.kind, width=a.width, channels=a.channels, kernel=a.kernel, span=a.span
        )
    return ir.Cell(
        rows=rows,
        attention=attention,
        count=cell.repeats,
        span=cell.span,
        repeats_span=cell.repeats_span,
    )


def _stage(i: int, spec: StageSpec, in_channels: int, options: ir.Options) -> ir.Stage:
    stride = spec.stride.value if spec.stride is not None else (1 if i == 0 else 2)
    cells = tuple(_cell(c) for c in spec.cell)
    _check_cells_end_alike(cells)
    blocks: list[ir.Block] = []
    index, channels = 0, in_channels
    for j, cell in enumerate(cells):
        out_channels = cell.rows[-1].filters
        first_stride = stride if index == 0 else 1
        if (
            first_stride == 1 and channels == out_channels
        ):  # the cell's first block is like the rest
            blocks.append(_block(index, cell.count, channels, 1, j, cell, options))
        else:
            blocks.append(_block(index, 1, channels, first_stride, j, cell, options))
            if cell.count > 1:
                blocks.append(_block(index + 1, cell.count - 1, out_channels, 1, j, cell, options))
        index += cell.count
        channels = out_channels
    return ir.Stage(
        name=spec.name.value,
        attr=f"layer{i + 1}",
        cells=cells,
        stride=stride,
        stride_span=spec.stride.span if spec.stride is not None else None,
        blocks=tuple(blocks),
        span=spec.name.span,
    )


def _check_cells_end_alike(cells: tuple[ir.Cell, ...]) -> None:
    """A pruned stage's cells end at one width: after its first block, each block adds its
    output to its input through an identity shortcut (timm prunes every block of a stage to the
    same output width for this reason)."""
    width = cells[0].rows[-1].filters
    for cell in cells[1:]:
        last = cell.rows[-1]
        if last.filters != width:
            raise fail(
                f"this cell ends at {last.filters} channels, the stage's first cell at {width}",
                last.span,
                help="every block of a stage after the first adds its output to its input, so"
                f" the cells of one stage end at one width: write {width} here, or start a new"
                " stage",
            )


def _layout(options: ir.Options) -> blocks.Layout:
    return blocks.Layout(
        preact=options.preact,
        downsample_at=options.downsample_at,
        anti_alias=options.anti_alias,
        drop_path=options.drop_path > 0,
        norm_groups=options.norm_groups,
    )


def _block(
    index: int,
    count: int,
    in_channels: int,
    stride: int,
    cell_index: int,
    cell: ir.Cell,
    options: ir.Options,
) -> ir.Block:
    rows, attention, span = cell.rows, cell.attention, cell.span
    layers = blocks.choose(rows).layers(rows, in_channels, stride, _layout(options))
    layers = blocks.with_extras(layers, rows, stride, attention, _layout(options))
    out_channels = rows[-1].filters
    return ir.Block(
        index=index,
        count=count,
        cell=cell_index,
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
    if changes and options.shortcut == "D":
        return _avg_down(in_channels, out_channels, stride, options, span)
    if options.shortcut == "C" or (changes and options.shortcut == "B"):
        # Pre-activation projects the already normalised input with a lone conv (`downsample`);
        # otherwise the projection is conv + BN (`downsample.0`, `downsample.1`), as torchvision.
        # `shortcut_kernel` widens a projection that strides (timm: 1x1 where it does not).
        kernel = options.shortcut_kernel if stride != 1 else 1
        conv = ir.Conv(
            name="downsample" if options.preact else "downsample.0",
            in_channels=in_channels,
            out_channels=out_channels,
            kernel=kernel,
            stride=stride,
            padding=padding(kernel),
            span=options.shortcut_kernel_span if kernel != 1 else span,
        )
        layers: tuple[ir.Conv | ir.Norm, ...] = (conv,)
        if not options.preact:
            layers += (_norm("downsample.1", out_channels, options, span),)
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


def _avg_down(in_channels: int, out_channels: int, stride: int, options: ir.Options,
              span) -> ir.Shortcut:  # fmt: skip
    """Option D ("Bag of Tricks" ResNet-D, timm's avg_down): a 2x2 average pool /stride (ceil
    mode, padding left out; `downsample.0`, an identity where the block keeps its map size), an
    unstrided 1x1 conv (`.1`) and, unless pre-activation, its BatchNorm (`.2`)."""
    layers: list = []
    if stride != 1:
        layers.append(
            ir.Pool(name="downsample.0", kind="avg", kernel=2, stride=stride, padding=0,
                    ceil=True, count_include_pad=False, span=span)
        )  # fmt: skip
    layers.append(
        ir.Conv(name="downsample.1", in_channels=in_channels, out_channels=out_channels, kernel=1,
                span=span)
    )  # fmt: skip
    if not options.preact:
        layers.append(_norm("downsample.2", out_channels, options, span))
    return ir.Shortcut(
        kind="projection",
        in_channels=in_channels,
        out_channels=out_channels,
        stride=stride,
        layers=tuple(layers),
    )
