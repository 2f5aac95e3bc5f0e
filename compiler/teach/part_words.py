"""What each part of a network means, in sentences computed from the shape-annotated IR.

Every number in these sentences is read off the IR (shapes, strides, shortcut kinds, block kinds);
nothing is assumed from the paper's own tables, so a user's custom table reads as correctly as
ResNet-50.
"""

from __future__ import annotations

import itertools

from ..core import costs, ir
from ..front import notation

_STRIDE_DOC = {
    "3x3": "`downsample_at: 3x3`, the default: torchvision's ResNet v1.5",
    "1x1": "`downsample_at: 1x1`: the paper's ResNet v1",
}


def hw(shape: ir.Shape) -> str:
    """`56` for a square map, `56x48` otherwise."""
    return str(shape.h) if shape.h == shape.w else f"{shape.h}x{shape.w}"


def plural(n: int, word: str) -> str:
    """`1 block`, `3 blocks`."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _inputs(n: int) -> str:
    """`all 3 input channels`, `the 1 input channel`."""
    return "the 1 input channel" if n == 1 else f"all {n:,} input channels"


def block_names(attr: str, block: ir.Block) -> str:
    """`layer2.0`, or `layer2.1` to `layer2.3` for a run of identical blocks."""
    last = block.index + block.count - 1
    if block.count == 1:
        return f"`{attr}.{block.index}`"
    return f"`{attr}.{block.index}` to `{attr}.{last}`"


def ordinal(n: int) -> str:
    """`1st`, `2nd`, `3rd`, `4th`, `11th`, `22nd`."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ---------------------------------------------------------------- stem, pool, head


def stem_words(net: ir.Network) -> list[str]:
    """conv1: what its cell means and what follows it."""
    if net.stem.deep:
        return _deep_stem_words(net)
    conv = net.stem.conv
    stride = f"stride {conv.stride}" if conv.stride != 1 else "stride 1"
    effect = "which keeps the size" if conv.stride == 1 else "so that only the stride shrinks it"
    out = [
        f"One {conv.kernel}x{conv.kernel} convolution with {conv.out_channels} filters and"
        f" {stride}, padded by {conv.padding} ({conv.kernel} // 2) on every side, {effect}:"
        f" {net.input} -> {conv.output}. Each filter sees {_inputs(conv.in_channels)}"
        " and gives one output channel.",
    ]
    if net.stem.norm is not None:
        out.append(f"{norm_name(net)} and ReLU follow it (`bn1`, `relu`).")
    else:
        out.append(
            "Pre-activation: no BatchNorm or ReLU follows it; each block normalizes its own input."
        )
    return out


def _deep_stem_words(net: ir.Network) -> list[str]:
    """A deep stem (ResNet-C of "Bag of Tricks", timm's stem_type='deep')."""
    convs = net.stem.convs
    listed = ", ".join(
        f"`{c.name}` ({c.kernel}x{c.kernel}, {c.out_channels} filters"
        + (f", stride {c.stride})" if c.stride != 1 else ")")
        for c in convs
    )
    tiered = len({c.out_channels for c in convs[:-1]}) > 1
    kind = (
        "the tiered stem, timm's `stem_type='deep_tiered'`"
        if tiered
        else ("timm's `stem_type='deep'`")
    )
    out = [
        f'{len(convs)} convolutions in place of one (the deep stem of "Bag of Tricks"\' ResNet-C;'
        f" {kind}): {listed}, each padded by kernel // 2: {net.input} -> {net.stem.conv.output}."
        " Stacked 3x3s see as far as one larger kernel at a fraction of its cost.",
        f"Inside `self.conv1` (an `nn.Sequential`) {norm_name(net)} and ReLU follow every conv"
        " but the last; timm's names for them, `conv1.1`, `conv1.4`, are kept, so its weights"
        " load.",
    ]
    if net.stem.norm is not None:
        out.append(f"{norm_name(net)} and ReLU follow the last one (`bn1`, `relu`).")
    else:
        out.append(
            "Pre-activation: no BatchNorm or ReLU follows the last one; each block normalizes"
            " its own input."
        )
    return out


def pool_words(net: ir.Network) -> list[str]:
    """The stem's pooling layer (or what replaces it)."""
    stem = net.stem
    before = ir.annotated(stem.conv.output)
    aa = net.options.anti_alias
    if stem.pool_layers and isinstance(stem.pool_layers[0], ir.Conv):
        conv = stem.pool_layers[0]
        stride = max(getattr(x, "stride", 1) for x in stem.pool_layers)
        how = (
            f"stride 1, then `{stem.pool_layers[1].name}` anti-aliases (`anti_alias: {aa}`) with"
            f" stride {stride},"
            if conv.stride != stride
            else f"stride {stride},"
        )
        return [
            f"A {conv.kernel}x{conv.kernel} convolution of {conv.out_channels} filters in place of"
            f" the max pool (ResNet-RS, timm's `replace_stem_pool`): {how} then {norm_name(net)}"
            " and ReLU:"
            f" {before} -> {stem.pool_output}. Unlike a pool it has weights:"
            f" {costs.layer_cost(conv).params:,}.",
        ]
    if stem.pool_layers:  # anti-aliased max pool: max /1, then the blur /2
        first, blur = stem.pool_layers
        # lower's only pool_layers that do not start with a conv: the max pool /1, then the blur
        assert isinstance(first, ir.Pool) and isinstance(blur, ir.Blur)
        return [
            f"A {first.kernel}x{first.kernel} max pool with stride 1, then a 3x3 blur with stride"
            f" {blur.stride} (`anti_alias: blur`, Zhang 2019): the max is taken densely and"
            f" blurred before subsampling, so a shift of the input shifts the output instead of"
            f" aliasing: {before} -> {stem.pool_output}. Neither has parameters.",
        ]
    pool = stem.pool
    if pool is None:  # pragma: no cover - only called for a network with a pool
        return []
    if aa == "avg" and pool.kind == "avg" and pool.kernel == 2:
        return [
            f"`anti_alias: avg` replaces the table's max pool by a 2x2 average pool with stride"
            f" {pool.stride} (timm's resnetaa): {before} -> {pool.output}, no parameters.",
        ]
    kind = "max" if pool.kind == "max" else "average"
    return [
        f"{pool.kernel}x{pool.kernel} {kind} pooling with stride {pool.stride} and padding"
        f" {pool.padding}: {before} -> {pool.output}. It keeps the {before.c} channels and has no"
        " parameters; it is the only pooling before the head, every later reduction is a"
        " strided convolution.",
    ]


def head_words(net: ir.Network) -> list[str]:
    """average pool, fc."""
    last = ir.annotated(net.stages[-1].output)
    fc = net.head.fc
    out = []
    if net.head.norm is not None:
        out.append(
            f"Pre-activation: `{net.head.norm.name}` ({norm_name(net)}) and ReLU first, since the"
            " last block ends with an addition."
        )
    out += [
        f"`nn.AdaptiveAvgPool2d((1, 1))` averages each of the {last.c:,} channels over its"
        f" {last.h}x{last.w} map ({last} -> {last.c}x1x1); being adaptive, it accepts any"
        " input size.",
        f"A fully connected layer maps {fc.in_features:,} features to {fc.out_features:,}"
        f" classes: {fc.in_features:,} x {fc.out_features:,} weights + {fc.out_features:,}"
        f" biases = {costs.layer_cost(fc).params:,} parameters. The softmax of the paper's table"
        " is left to the loss function.",
    ]
    return out


# ---------------------------------------------------------------- stages


def _attention_words(net: ir.Network, stage: ir.Stage) -> list[str]:
    """The attention row: squeeze-and-excitation (SENet's fc row) or ECA."""
    att = stage.attention
    if att is None:
        return []
    return [
        _attention_sentence(
            net, att, stage.blocks[-1], f"The row `{notation.attention_words(att)}`"
        )
    ]


def _attention_sentence(net: ir.Network, att: ir.Attention, block: ir.Block, subject: str) -> str:
    """What the attention row `att` of `block`'s cell is and costs, `subject` naming the row."""
    node = next(x for x in block.layers if isinstance(x, (ir.SqueezeExcite, ir.ChannelAttention)))
    cost = costs.layer_cost(node)
    if att.kind == "se":
        return (
            f"{subject} is squeeze-and-excitation (Hu et al.,"
            f" SENet's Table 1 writes it so): after the last {norm_name(net)}, each of the"
            f" {att.channels:,} channels is averaged over the map, an fc (a 1x1 conv with bias,"
            f" `se.fc1`) reduces them to {att.width:,} (ratio 1/{att.channels // att.width}"
            f" here), ReLU, an fc (`se.fc2`) restores {att.channels:,}, and a sigmoid of each"
            f" scales that channel before the shortcut is added: {cost.params:,} parameters,"
            f" {cost.macs:,} multiply-adds per block."
        )
    return (
        f"{subject} is efficient channel attention (Wang et al.,"
        f" ECA-Net): after the last {norm_name(net)}, each channel is averaged over the map, one"
        f" 1-d convolution of {att.kernel} taps slides along the {node.channels:,} averages"
        f" (`se.conv`, no bias), and a sigmoid of each scales that channel: {cost.params}"
        f" parameters, {cost.macs:,} multiply-adds per block."
    )


def _extras_words(net: ir.Network, stage: ir.Stage) -> list[str]:
    """Anti-aliasing (in a stage that has a strided block) and stochastic depth, where asked."""
    out = []
    strided = any(block.stride != 1 for block in stage.blocks)
    if net.options.anti_alias != "none" and not strided:
        out.append(
            f"Anti-aliasing (`anti_alias: {net.options.anti_alias}`) does not touch this stage:"
            " none of its blocks is strided."
        )
    elif net.options.anti_alias == "blur":
        out.append(
            "Anti-aliasing (`anti_alias: blur`, Zhang 2019): the strided convolution keeps"
            " stride 1 and `aa`, a fixed 3x3 binomial blur that then keeps every 2nd pixel,"
            " follows its ReLU; the convolution works at the full resolution, which costs more."
        )
    elif net.options.anti_alias == "avg":
        out.append(
            "Anti-aliasing (`anti_alias: avg`, timm's resnetaa): the strided convolution keeps"
            " stride 1 and `aa`, a 2x2 average pool with the stride, follows its ReLU."
        )
    if net.options.drop_path > 0:
        out.append(
            f"Stochastic depth (`drop_path: {notation.rate_text(net.options.drop_path)}`): in"
            " training each block drops its residual branch for a sample at the rate"
            " `rates[k]` of the network's linear schedule; in eval nothing is dropped."
        )
    return out


def _block_kind_words(net: ir.Network, stage: ir.Stage) -> str:
    block = stage.blocks[-1]
    kind = net.kind(block.kind)
    convs = block.convs
    rows = "; ".join(notation.row_words(r) for r in stage.rows)
    if kind.pattern == "basic":
        return (
            f"Each bracketed row is one convolution (kernel, filters). The two rows `{rows}` make"
            f" a basic block (class `{kind.class_name}`): two 3x3 convolutions of"
            f" {convs[0].out_channels} filters; its `expansion` is 1, it outputs as many channels"
            " as its convolutions have filters."
        )
    if kind.pattern == "bottleneck":
        w, out = convs[1].out_channels, convs[2].out_channels
        planes = out // (kind.expansion or 1)
        words = (
            f"Each bracketed row is one convolution (kernel, filters). The three rows `{rows}`"
            f" make a bottleneck block (class `{kind.class_name}`): the first 1x1 reduces the"
            f" channels to {w}, the 3x3 works at {w}, and the last 1x1 expands them to {out} ="
            f" {kind.expansion} x {planes}"
        )
        if planes == w:
            return words + f" (the class's `expansion` is {kind.expansion})."
        return words + (
            f": as in torchvision, the class's `expansion` is {kind.expansion} and the block's"
            f" `planes` {planes}, and the width of the first two rows, {w}, is passed as `width`."
        )
    words = (
        f"Each bracketed row is one convolution (kernel, filters). The {len(convs)} rows"
        f" `{rows}` make a block of {len(convs)} convolutions that is neither the paper's basic"
        f" nor its bottleneck block, so it gets its own class, `{kind.class_name}`."
    )
    if [c.kernel for c in convs] == [1, 3, 1] and convs[0].out_channels < convs[1].out_channels:
        first, middle = convs[0].out_channels, convs[1].out_channels
        ratio = f"={middle // first}" if middle % first == 0 else ""
        words += (
            f" It is a bottleneck whose first 1x1 is narrower than its 3x3 ({first} filters, not"
            f" {middle}; timm's `block_reduce_first{ratio}`, as in SENet-154); its layers have the"
            " bottleneck's names, so such weights load."
        )
    return words


def _groups_words(block: ir.Block, row: str = "Row") -> list[str]:
    """The grouped convolutions of `block`, each as `row` and its number (`Row 2`)."""
    out = []
    for j, conv in enumerate(block.convs):
        if conv.groups == 1:
            continue
        per = conv.in_channels // conv.groups
        weights = costs.layer_cost(conv).params
        dense = conv.in_channels * conv.out_channels * conv.kernel**2
        out.append(
            f"{row} {j + 1} is a grouped convolution (C={conv.groups}, ResNeXt's cardinality): its"
            f" {conv.in_channels} input channels are split into {conv.groups} groups of {per},"
            f" each convolved on its own, so each filter sees {per} channels: {weights:,} weights"
            f" instead of an ungrouped {conv.kernel}x{conv.kernel}'s {dense:,}."
        )
    return out


def norm_name(net: ir.Network) -> str:
    """What every norm layer of `net` is, in words: BatchNorm, or GroupNorm (`norm: GN`)."""
    return "BatchNorm" if net.options.norm_groups is None else "GroupNorm"


def _norm_words(net: ir.Network) -> str:
    norm = norm_name(net)
    groups = net.options.norm_groups
    gn = (
        f" Each norm is a GroupNorm of {groups} groups (`norm: GN, G={groups}`; Wu and He 2018,"
        " timm's resnet50_gn): it normalizes each sample's channels in groups of C/G, with a"
        " learned weight and bias per channel, so it keeps no running statistics and behaves"
        " alike in training and eval, at any batch size."
        if groups is not None
        else ""
    )
    if net.options.preact:
        return (
            f"Pre-activation: {norm} and ReLU come before each convolution, and nothing"
            " follows the addition, so the identity path stays clean." + gn
        )
    return (
        f"{norm} follows every convolution; ReLU follows each but the last, which comes after"
        " the shortcut has been added." + gn
    )


def _shortcut_words(net: ir.Network, block: ir.Block) -> str:
    x, y, sc = ir.annotated(block.input), ir.annotated(block.output), block.shortcut
    why = []
    if x.c != y.c:
        why.append(f"{x.c}->{y.c} channels")
    if (x.h, x.w) != (y.h, y.w):
        why.append(f"{hw(x)}->{hw(y)}")
    because = " because " + " and ".join(why) if why else ""
    if sc.kind == "identity":
        return "keeps the shape and adds the identity (its input x, unchanged)"
    if sc.kind == "zeropad":
        return (
            f"has a parameter-free shortcut (option A, `ZeroPadShortcut`){because}: it keeps"
            f" every {ordinal(sc.stride)} pixel of each row and column and appends"
            f" {y.c - x.c} channels of zeros"
        )
    stride = f"/{sc.stride}" if sc.stride != 1 else ""
    norm = any(isinstance(x, ir.Norm) for x in sc.layers)
    if sc.avg_down and sc.stride != 1:
        what = f"2x2 average pool /{sc.stride}, then conv 1x1"
        what += f" + {norm_name(net)}" if norm else ", pre-activated input"
        what += "; ResNet-D, `shortcut: D`"
        return f"has an average-pool projection shortcut (`downsample`: {what}){because}"
    if sc.avg_down:
        what = "conv 1x1" + (f" + {norm_name(net)}" if norm else ", pre-activated input")
        what += "; `shortcut: D` pools only where the map shrinks, and this block keeps it"
        return f"has a 1x1 projection shortcut (`downsample`: {what}){because}"
    k = sc.kernel
    what = f"conv {k}x{k}" + stride + (f", padding {k // 2}," if k != 1 else "")
    what += f" + {norm_name(net)}" if norm else ", pre-activated input"
    if k != 1:
        what += f"; SENet-154's, `shortcut_kernel: {k}x{k}`"
    if not why:
        return (
            f"keeps the shape but still has a {k}x{k} projection shortcut ({what}):"
            f" `shortcut: {net.options.shortcut}` projects in every block"
        )
    return f"has a {k}x{k} projection shortcut (`downsample`: {what}){because}"


def _entry_words(net: ir.Network, stage: ir.Stage, block: ir.Block, first: bool) -> str:
    names = block_names(stage.attr, block)
    if first and block.count == 1:
        subject = f"The first block, {names},"
    elif first and len(stage.blocks) == 1:
        subject = f"All {block.count:,} blocks, {names},"
    elif first:
        subject = f"The first {block.count:,} blocks, {names},"
    elif block is stage.blocks[-1] and len(stage.blocks) == 2:
        count = f" {block.count:,}" if block.count > 1 else ""
        subject = f"The other{count}, {names},"
    else:
        subject = f"Blocks {names}"
    return _entry_sentence(net, subject, block, block.count)


def _entry_sentence(net: ir.Network, subject: str, block: ir.Block, count: int) -> str:
    """`subject` (`count` blocks like `block`) take its input, enter with its stride, and have
    its shortcut."""
    verb = "take" if count > 1 else "takes"
    shortcut = _shortcut_words(net, block)
    if count > 1:
        shortcut = shortcut.replace("keeps", "keep", 1).replace("adds", "add", 1)
        shortcut = shortcut.replace("has ", "have ", 1)
    if block.stride != 1:
        enter = "enter" if count > 1 else "enters"
        return f"{subject} {verb} {block.input}, {enter} with stride {block.stride} and {shortcut}."
    joint = ", " if block.shortcut.kind == "identity" else " and "
    return f"{subject} {verb} {block.input}{joint}{shortcut}."


def _stride_words(net: ir.Network, stage: ir.Stage, index: int) -> list[str]:
    block = stage.blocks[0]
    if stage.stride_span is not None:
        why = f"Its stride, {stage.stride}, is set in the spec (`stride: {stage.stride}`)."
    elif index == 0:
        stem = net.stem.pool.output if net.stem.pool is not None else net.stem.conv.output
        already = ": the stem has already downsampled" if ir.annotated(stem).h < net.input.h else ""
        return [
            f"As the first stage it keeps the map size, {hw(ir.annotated(block.input))}{already}."
        ]
    else:
        why = (
            f"Like every stage after the first, it enters with stride {stage.stride}: the paper"
            " downsamples with a strided convolution at a stage's entry, not with pooling."
        )
    if block.stride == 1:
        return [why]
    if all(c.stride == 1 for c in block.convs):  # anti-aliased: the stride is on `aa`
        aa = next(x for x in block.layers if x.name == "aa")
        return [
            why,
            f"The stride sits on `{stage.attr}.{block.index}.aa`, the anti-aliasing layer"
            f" ({costs.layer_op(aa)}), after the row that would carry it.",
        ]
    at = next(i for i, c in enumerate(block.convs) if c.stride != 1)
    conv = block.convs[at]
    name = f"`{stage.attr}.{block.index}.{conv.name}`"
    k = f"{conv.kernel}x{conv.kernel}"
    if block.convs[0].kernel > 1:
        where = (
            f"The stride sits on the block's first {k}, {name}: in a block that begins with a"
            " 3x3 both `downsample_at` settings put it there."
        )
    elif net.options.downsample_at == "1x1":
        where = (
            f"The stride sits on the first 1x1, {name} ({_STRIDE_DOC['1x1']}): that 1x1 reads"
            f" only 1 of every {conv.stride**2} input pixels. torchvision's v1.5"
            " (`downsample_at: 3x3`) moves it to the 3x3, which sees every pixel."
        )
    else:
        where = (
            f"The stride sits on the {k}, {name} ({_STRIDE_DOC['3x3']}). The paper's v1"
            " (`downsample_at: 1x1`) puts it on the first 1x1, which then reads only 1 of every"
            f" {conv.stride**2} input pixels before any {k} has seen them."
        )
    return [why, where]


def stage_words(net: ir.Network, stage: ir.Stage, index: int) -> list[str]:
    """A stage: its block kind, what `x N` means, how each block enters, where the stride goes
    (a pruned stage, written as several cells: each cell, its blocks and rows, and why they all
    end at one width)."""
    if stage.pruned:
        return _pruned_stage_words(net, stage, index)
    n = stage.repeats
    convs = len(stage.blocks[-1].convs)
    first, last = stage.blocks[0], stage.blocks[-1]
    span = f"`{stage.attr}.0`" if n == 1 else f"`{stage.attr}.0` to `{stage.attr}.{n - 1}`"
    out = [
        _block_kind_words(net, stage),
        *_groups_words(stage.blocks[-1]),
        *_attention_words(net, stage),
    ]
    out += [_norm_words(net), *_extras_words(net, stage)]
    out.append(
        f"`x {n:,}` means {plural(n, 'block')}, {span}: {n:,} x {convs} ="
        f" {plural(n * convs, 'convolution')} in the main path."
    )
    why, *where = _stride_words(net, stage, index)
    out += [why, _entry_words(net, stage, first, True), *where]
    out += [_entry_words(net, stage, b, False) for b in stage.blocks[1:]]
    if first.shortcut.kind != "identity" and last is not first and last.shortcut.kind == "identity":
        out.append(
            "Only the first block changes the shape, so only its shortcut has to change shape"
            " too (the dotted arrow of the paper's figure); the others add their input as it is."
        )
    return out


# ---------------------------------------------------------------- pruned stages


def _cell_blocks(stage: ir.Stage, j: int) -> tuple[int, int]:
    """The first and the last block of cell `j` of `stage`."""
    runs = stage.cell_runs(j)
    return runs[0].index, runs[-1].index + runs[-1].count - 1


def cell_block_names(stage: ir.Stage, j: int) -> str:
    """`layer1.2`, or `layer1.2` to `layer1.3`: the blocks of cell `j` of `stage`."""
    first, last = _cell_blocks(stage, j)
    if first == last:
        return f"`{stage.attr}.{first}`"
    return f"`{stage.attr}.{first}` to `{stage.attr}.{last}`"


def _cells_of(stage: ir.Stage, js: list[int]) -> str:
    """`cell 2`, `cells 1 and 3`, `cells 1, 2 and 3`, `every cell`."""
    if len(js) == len(stage.cells):
        return "every cell"
    if len(js) == 1:
        return f"cell {js[0] + 1}"
    numbers = [str(j + 1) for j in js]
    return "cells " + ", ".join(numbers[:-1]) + " and " + numbers[-1]


def _cell_block(stage: ir.Stage, j: int) -> ir.Block:
    """The last run of blocks of cell `j` (its blocks' rows are the cell's)."""
    return stage.cell_runs(j)[-1]


def _pruned_cell_words(stage: ir.Stage, j: int) -> str:
    """Cell `j`: its text, its blocks, its rows."""
    cell = stage.cells[j]
    rows = "; ".join(notation.row_words(r) for r in cell.rows)
    convs = len(cell.rows)
    each = "each with" if cell.count > 1 else "with"
    total = plural(cell.count * convs, "convolution")
    product = f"{cell.count:,} x {convs} = {total}" if cell.count > 1 else total
    return (
        f"Cell {j + 1} of {len(stage.cells)}, `{cell.text}`: its `x {cell.count:,}` means"
        f" {plural(cell.count, 'block')}, {cell_block_names(stage, j)}, {each} the rows"
        f" `{rows}` ({product})."
    )


def _one_width_words(net: ir.Network, stage: ir.Stage) -> str:
    """Why every cell of a pruned stage ends at the same width."""
    width = stage.cells[0].rows[-1].filters
    n = len(stage.cells)
    why = (
        "every block after the stage's first adds its input to its output through an identity"
        " shortcut, and that sum needs as many channels on both sides"
    )
    if any(b.shortcut.kind != "identity" for b in stage.blocks[1:]):
        why = (
            "with an identity shortcut (options A, B and D) every block after the stage's first"
            " adds its input to its output, and that sum needs as many channels on both sides;"
            f" here (`shortcut: {net.options.shortcut}`) the later blocks project instead, but"
            " the stage still passes one width from block to block"
        )
    every = "Both cells" if n == 2 else f"All {n} cells"
    return (
        f"{every} end at {width:,} channels, as the cells of one stage must: {why}. Pruning"
        " thins the rows inside each block and leaves the width the blocks pass on."
    )


def _kind_words(kind: ir.BlockKind, cells: str) -> str:
    """What the class `kind` is and takes, `cells` naming the cells of a pruned stage it builds
    (or empty)."""
    name = f"`{kind.class_name}`" + (f" ({cells})" if cells else "")
    if kind.pattern == "basic":
        what = (
            f"{name} is the paper's basic block, two 3x3 convolutions of `planes`"
            " filters each; each block gets its `planes` from its cell"
        )
    elif kind.pattern == "bottleneck":
        takes = "its `planes` (and `width`, the filters of its first two rows)"
        if all(p.name != "width" for p in kind.params):
            takes = "its `planes`"
        what = (
            f"{name} is the paper's bottleneck block: a 1x1 that reduces, a 3x3, and a"
            f" 1x1 that expands to `planes` x {kind.expansion} (its `expansion`); each block gets"
            f" {takes} from its cell"
        )
    else:
        n = len(kind.rows)
        what = (
            f"{name} is a block of {n} convolutions that is neither the paper's basic nor its"
            f" bottleneck block; it takes a block's {n} widths as one argument, `widths`, so"
            " each cell's blocks get that cell's widths"
        )
    return what + "."


def _pruned_kinds_words(net: ir.Network, stage: ir.Stage) -> str:
    """The block classes a pruned stage's cells use."""
    uses: dict[str, list[int]] = {}
    for j in range(len(stage.cells)):
        uses.setdefault(_cell_block(stage, j).kind, []).append(j)
    lead = "Each bracketed row is one convolution (kernel, filters)."
    if len(uses) == 1:
        (name,) = uses
        return (
            f"{lead} One class builds the blocks of every cell: {_kind_words(net.kind(name), '')}"
        )
    classes = [_kind_words(net.kind(name), _cells_of(stage, js)) for name, js in uses.items()]
    return " ".join([f"{lead} The cells' blocks are of {len(uses)} classes:", *classes])


def _pruned_attention_words(net: ir.Network, stage: ir.Stage) -> list[str]:
    """The cells' attention rows: one sentence for the cells that have the same one."""
    alike: dict[str, list[int]] = {}
    for j, cell in enumerate(stage.cells):
        if cell.attention is not None:
            alike.setdefault(notation.attention_words(cell.attention), []).append(j)
    out = []
    for text, js in alike.items():
        att = stage.cells[js[0]].attention
        assert att is not None  # `alike` holds the cells that have one
        subject = f"The row `{text}` of {_cells_of(stage, js)}"
        out.append(_attention_sentence(net, att, _cell_block(stage, js[0]), subject))
    return out


def _pruned_count_words(stage: ir.Stage) -> str:
    """How many blocks and convolutions the cells make together."""
    n = stage.repeats
    counts = [cell.count for cell in stage.cells]
    convs = [len(cell.rows) for cell in stage.cells]
    total = sum(c * k for c, k in zip(counts, convs, strict=True))
    repeats = [f"`x {c:,}`" for c in counts]
    written = ", ".join(repeats[:-1]) + " and " + repeats[-1]
    if len(set(convs)) == 1:
        product = f"{n:,} x {convs[0]}"
    else:
        product = " + ".join(f"{c:,} x {k}" for c, k in zip(counts, convs, strict=True))
    blocks = f"{plural(n, 'block')}, `{stage.attr}.0` to `{stage.attr}.{n - 1}`"
    if set(counts) == {1}:
        together = f"Each cell is one block (`x 1`): {blocks}"
    else:
        together = f"Together {written} make {' + '.join(f'{c:,}' for c in counts)} = {blocks}"
    return f"{together}: {product} = {plural(total, 'convolution')} in the main path."


def _later_words(net: ir.Network, stage: ir.Stage) -> list[str]:
    """How the blocks after a pruned stage's first run enter: the runs that enter alike (the
    same input, stride and shortcut), whatever their cells, in one sentence."""

    def entry(block: ir.Block) -> tuple[object, ...]:
        return block.input, block.stride, _shortcut_words(net, block)

    groups = [list(run) for _, run in itertools.groupby(stage.blocks[1:], entry)]
    out = []
    for group in groups:
        start, end = group[0].index, group[-1].index + group[-1].count - 1
        count = end - start + 1
        names = f"`{stage.attr}.{start}`"
        if count > 1:
            names += f" to `{stage.attr}.{end}`"
        cells = sorted({b.cell + 1 for b in group})
        if len(cells) == 1:
            which = f"cell {cells[0]}"
        elif len(cells) == 2:
            which = f"cells {cells[0]} and {cells[1]}"
        else:
            which = f"cells {cells[0]} to {cells[-1]}"
        if len(groups) == 1:
            subject = f"The other{f' {count:,}' if count > 1 else ''}, {names} ({which}),"
        else:
            subject = f"{'Blocks' if count > 1 else 'Block'} {names} ({which})"
        out.append(_entry_sentence(net, subject, group[0], count))
    return out


def _pruned_stage_words(net: ir.Network, stage: ir.Stage, index: int) -> list[str]:
    """A stage written as several cells (a pruned network's): the list, each cell's blocks and
    rows, why they end at one width, the classes, then the blocks as in any stage."""
    first, last = stage.blocks[0], stage.blocks[-1]
    out = [
        f"The stage is written as a list of {len(stage.cells)} cells, not one: each cell is a run"
        " of blocks with widths of its own, which is what channel pruning leaves (e.g. timm's"
        " `ecaresnet50d_pruned`): it removes filters block by block, so the blocks of a stage no"
        " longer share their widths. The cells follow each other: their blocks, in order, are"
        " the stage's.",
        *(_pruned_cell_words(stage, j) for j in range(len(stage.cells))),
        _one_width_words(net, stage),
        _pruned_kinds_words(net, stage),
    ]
    for j in range(len(stage.cells)):
        out += _groups_words(_cell_block(stage, j), f"Cell {j + 1}'s row")
    out += _pruned_attention_words(net, stage)
    out += [_norm_words(net), *_extras_words(net, stage), _pruned_count_words(stage)]
    why, *where = _stride_words(net, stage, index)
    names = f"{block_names(stage.attr, first)} (cell 1)"
    if first.count == 1:
        subject = f"The first block, {names},"
    else:
        subject = f"The first {first.count:,} blocks, {names},"
    out += [why, _entry_sentence(net, subject, first, first.count), *where]
    out += _later_words(net, stage)
    if first.shortcut.kind != "identity" and last.shortcut.kind == "identity":
        out.append(
            "Only the first block changes the shape, so only its shortcut has to change shape"
            " too (the dotted arrow of the paper's figure); the others add their input as it is."
        )
    return out
