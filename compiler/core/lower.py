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
"""

from __future__ import annotations

from ..front.cells import Row
from ..front.diagnostics import fail
from ..front.spec import Spec
from ..front.spec import Stage as StageSpec
from . import ir

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
    )
    stem = _stem(spec, options.preact)
    channels = stem.conv.out_channels
    stages: list[ir.Stage] = []
    for i, stage_spec in enumerate(spec.stages):
        stage = _stage(i, stage_spec, channels, options)
        stages.append(stage)
        channels = stage.blocks[-1].out_channels
    stages, kinds = _assign_kinds(stages, options)
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
        block_kinds=tuple(kinds),
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
        padding=c1.kernel // 2,
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
            padding=p.kernel // 2,
            span=p.span,
        )
    return ir.Stem(conv=conv, norm=norm, pool=pool)


def stride_row(kernels: tuple[int, ...], downsample_at: str) -> int:
    """Which row of a block carries the stage's stride (see the module docstring)."""
    if downsample_at == "1x1":
        return 0
    return next((i for i, k in enumerate(kernels) if k > 1), 0)


def _stage(i: int, spec: StageSpec, in_channels: int, options: ir.Options) -> ir.Stage:
    stride = spec.stride.value if spec.stride is not None else (1 if i == 0 else 2)
    rows = spec.cell.rows
    out_channels = rows[-1].filters
    repeats = spec.cell.repeats
    if stride == 1 and in_channels == out_channels:  # the entry block is like the others
        blocks = [_block(0, repeats, in_channels, 1, rows, options, spec.cell.span)]
    else:
        blocks = [_block(0, 1, in_channels, stride, rows, options, spec.cell.span)]
        if repeats > 1:
            blocks.append(_block(1, repeats - 1, out_channels, 1, rows, options, spec.cell.span))
    return ir.Stage(
        name=spec.name.value,
        attr=f"layer{i + 1}",
        cell=spec.cell,
        stride=stride,
        stride_span=spec.stride.span if spec.stride is not None else None,
        blocks=tuple(blocks),
        span=spec.name.span,
    )


def _block(
    index: int,
    count: int,
    in_channels: int,
    stride: int,
    rows: tuple[Row, ...],
    options: ir.Options,
    span,
) -> ir.Block:
    at = stride_row(tuple(row.kernel for row in rows), options.downsample_at)
    layers: list[ir.Conv | ir.Norm] = []
    channels = in_channels
    for j, row in enumerate(rows):
        conv = ir.Conv(
            name=f"conv{j + 1}",
            in_channels=channels,
            out_channels=row.filters,
            kernel=row.kernel,
            stride=stride if j == at else 1,
            padding=row.kernel // 2,
            groups=row.groups,
            span=row.span,
        )
        if options.preact:  # bnJ normalises convJ's input
            layers += [ir.Norm(name=f"bn{j + 1}", channels=channels, span=row.span), conv]
        else:
            layers += [conv, ir.Norm(name=f"bn{j + 1}", channels=row.filters, span=row.span)]
        channels = row.filters
    return ir.Block(
        index=index,
        count=count,
        kind="",
        in_channels=in_channels,
        out_channels=channels,
        stride=stride,
        layers=tuple(layers),
        shortcut=_shortcut(in_channels, channels, stride, options, span),
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


# ---------------------------------------------------------------- block classes


def _pattern(block: ir.Block) -> tuple[str, int | None]:
    """('basic', 1), ('bottleneck', expansion) or ('generic', None) for one block's rows."""
    convs = block.convs
    kernels = tuple(c.kernel for c in convs)
    widths = block.widths
    groups = tuple(c.groups for c in convs)
    if kernels == (3, 3) and groups == (1, 1) and widths[0] == widths[1]:
        return "basic", 1
    if (
        kernels == (1, 3, 1)
        and groups[0] == groups[2] == 1
        and widths[0] == widths[1]
        and widths[2] % widths[1] == 0
    ):
        return "bottleneck", widths[2] // widths[1]
    return "generic", None


_COUNT_WORDS = ("", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight")


def _generic_name(kernels: tuple[int, ...], taken: set[str]) -> str:
    base = (
        f"{_COUNT_WORDS[len(kernels)]}ConvBlock"
        if len(kernels) < len(_COUNT_WORDS)
        else f"Conv{len(kernels)}Block"
    )
    if base not in taken:
        return base
    return base + "K" + "K".join(str(k) for k in kernels)


def _assign_kinds(
    stages: list[ir.Stage], options: ir.Options
) -> tuple[list[ir.Stage], list[ir.BlockKind]]:
    """Give every block its class; bottlenecks of mixed expansions fall back to generic classes."""
    blocks = [b for s in stages for b in s.blocks]
    patterns = {id(b): _pattern(b) for b in blocks}
    expansions = {e for p, e in patterns.values() if p == "bottleneck"}
    kinds: dict[tuple, ir.BlockKind] = {}
    taken: set[str] = set()

    def kind_of(block: ir.Block) -> str:
        pattern, expansion = patterns[id(block)]
        if pattern == "bottleneck" and len(expansions) > 1:
            pattern, expansion = "generic", None
        kernels = tuple(c.kernel for c in block.convs)
        at = next((i for i, c in enumerate(block.convs) if c.stride != 1), None)
        key = (pattern, kernels)
        if key not in kinds:
            if pattern == "basic":
                name = "BasicBlock"
            elif pattern == "bottleneck":
                name = "Bottleneck"
            else:
                name = _generic_name(kernels, taken)
            taken.add(name)
            kinds[key] = ir.BlockKind(
                class_name="PreAct" + name if options.preact else name,
                pattern=pattern,
                kernels=kernels,
                stride_row=stride_row(kernels, options.downsample_at),
                preact=options.preact,
                expansion=expansion,
                grouped=False,
            )
        kind = kinds[key]
        if (
            at is not None and at != kind.stride_row
        ):  # pragma: no cover - lowering places strides by the same rule
            raise AssertionError("stride placed off the block kind's stride row")
        if any(c.groups != 1 for c in block.convs) and not kind.grouped:
            kinds[key] = kind.model_copy(update={"grouped": True})
        return kind.class_name

    out = []
    for stage in stages:
        new_blocks = tuple(b.model_copy(update={"kind": kind_of(b)}) for b in stage.blocks)
        out.append(stage.model_copy(update={"blocks": new_blocks}))
    return out, list(kinds.values())
