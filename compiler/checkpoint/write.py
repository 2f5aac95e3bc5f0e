"""From a recognised network to spec YAML in the paper's notation, every assumption commented.

The weights fix every kernel, width, group count and repeat, the input channels, the shortcuts and
the classes. Strides, pooling and the input size leave no trace in them, so they come from the
convention the stem points to: a 7x7 (or 5x5) stem is ImageNet's (224x224, conv1 /2, a 3x3 max
pool /2), a 3x3 stem is CIFAR's (32x32, stride 1, no pool). Every later stage halves the map in its
first block, and a stage's stride sits on the 3x3 (torchvision's "v1.5"). Each assumed line of the
written spec carries a comment naming the flag that changes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.blocks import stride_row
from ..core.ir import Row
from ..core.spec_writer import SpecWriter
from ..front import notation
from .foreign import Mismatch
from .recognize import Found, FoundStage


@dataclass(frozen=True)
class Choices:
    """What the caller decided; None leaves it to the weights or the convention."""

    name: str | None = None
    input: tuple[int, int] | None = None
    downsample_at: str | None = None
    pool: bool | None = None
    stem_stride: int | None = None
    classes: int | None = None
    anti_alias: str | None = None
    drop_path: float | None = None
    strides: tuple[int, ...] | None = None
    norm_groups: int | None = None
    seen: tuple[str, ...] = ()
    """What a live module showed that its weights cannot (`anti_alias`, `drop_path`, `strides`,
    ...): those lines say 'from the module' rather than 'from --flag'."""


@dataclass(frozen=True)
class Convention:
    """The layout that the stem points to, for what the weights cannot tell."""

    name: str
    input: tuple[int, int]
    stem_stride: int
    pool: bool


IMAGENET = Convention("ImageNet", (224, 224), 2, True)
CIFAR = Convention("CIFAR", (32, 32), 1, False)


def convention(found: Found) -> Convention:
    """ImageNet's layout for a large stem kernel (7x7, 5x5) or a deep stem, CIFAR's for a small
    one (3x3)."""
    return IMAGENET if found.stem_kernel >= 5 or found.deep else CIFAR


@dataclass(frozen=True)
class Shortcuts:
    """The shortcut option the projections show, and the stage strides they imply."""

    option: str
    why: str
    strides: dict[int, tuple[int, str]]


def shortcuts(found: Found) -> Shortcuts:
    """A, B or C from where the projections are; stride overrides that option B implies."""
    stages = found.stages
    every = {(s, i) for s, st in enumerate(stages) for i in range(st.repeats)}
    projects = {(s, i) for s, st in enumerate(stages) for i in st.projections}
    widens = {(s, 0) for s, st in enumerate(stages) if st.in_channels != st.out_channels}
    changes = widens | {(s, 0) for s in range(1, len(stages))}
    if projects and projects == every and projects != changes:
        return Shortcuts("C", f"a projection ({_proj(found)}) in every block", {})
    if not projects and changes:
        _no_shrinking_pad(found)
        why = "no projection anywhere: identity shortcuts, zero-padded where the shape changes"
        return Shortcuts("A", why, {})
    _only_where_the_shape_changes(found, projects, widens)
    option, why = "B", f"a projection ({_proj(found)}) in each block that changes shape"
    avg = [st.attr for st in stages if st.projections and st.avg_down]
    if avg:
        plain = next((st.attr for st in stages if st.projections and not st.avg_down), None)
        if plain is not None:
            raise Mismatch(
                f"{avg[0]}.0's projection is ResNet-D's (downsample.1, .2) and {plain}.0's a"
                " strided 1x1 (downsample.0, .1): resnetc's option D puts the average-pool"
                " shortcut in every block that changes shape"
            )
        option = "D"
        why = (
            "ResNet-D's average-pool projection (the 1x1 conv at downsample.1, its BN at .2;"
            " the pool at .0 has no weights) in each block that changes shape"
        )
    strides: dict[int, tuple[int, str]] = {}
    for s, stage in enumerate(stages):
        if (s, 0) in widens or ((s, 0) in projects) == (s > 0):
            continue
        block = f"{stage.attr}.0"
        if s == 0:
            strides[s] = (
                2,
                f"{block} keeps {stage.in_channels} channels yet has a projection:"
                " under option B its map halves",
            )
        else:
            strides[s] = (
                1,
                f"{block} keeps {stage.in_channels} channels and has no projection:"
                " under option B its map keeps its size",
            )
    return Shortcuts(option, why, strides)


def _proj(found: Found) -> str:
    return "downsample" if found.preact else "downsample.0/.1"


def _weight(found: Found, block: str) -> str:
    return f"{block}.downsample.weight" if found.preact else f"{block}.downsample.0.weight"


def _no_shrinking_pad(found: Found) -> None:
    for stage in found.stages:
        if stage.out_channels < stage.in_channels:
            raise Mismatch(
                f"{_weight(found, stage.attr + '.0')} is missing: {stage.attr}.0 reduces"
                f" {stage.in_channels} channels to {stage.out_channels}, which needs a projection"
                " shortcut (a zero-padded identity, option A, can only add channels)"
            )


def _only_where_the_shape_changes(found: Found, projects: set, widens: set) -> None:
    """Option B's projections: every block that changes its channels, no non-entry block."""
    have = next((f"{found.stages[s].attr}.{i}" for s, i in sorted(projects)), None)
    for s, stage in enumerate(found.stages):
        if (s, 0) in widens and (s, 0) not in projects:
            raise Mismatch(
                f"{_weight(found, stage.attr + '.0')} is missing: {stage.attr}.0 changes"
                f" {stage.in_channels} channels to {stage.out_channels} with no projection, while"
                f" {have} has one; resnetc's shortcuts project nowhere (option A), where the shape"
                " changes (B) or in every block (C)"
            )
        extra = next((i for i in stage.projections if i > 0), None)
        if extra is not None:
            block = f"{stage.attr}.{extra}"
            raise Mismatch(
                f"{_weight(found, block)} exists: {block} keeps its shape and yet has a"
                " projection, though not every block has one; resnetc's shortcuts project"
                " nowhere (option A), where the shape changes (B) or in every block (C)"
            )


# ---------------------------------------------------------------- the text


class _Writer(SpecWriter):
    """The spec writer, remembering the assumptions made, for the summary."""

    def __init__(self) -> None:
        super().__init__()
        self.assumed: list[tuple[str, str]] = []

    def assume(self, what: str, flag: str, short: str, how: str) -> str:
        """The comment on an assumed value; `short` and `how` are remembered for the summary."""
        self.assumed.append((short, how))
        return f"assumed: {what}; {flag}"


def spec_text(
    found: Found, name: str, label: str, choices: Choices
) -> tuple[str, list[tuple[str, str]]]:
    """The spec YAML for `found`, and the assumptions it made: (what, how to change it)."""
    conv = convention(found)
    plan = shortcuts(found)
    w = _Writer()
    _header(w, found, name, label, conv)
    _input_and_classes(w, found, choices, conv)
    _stem(w, found, choices, conv)
    _stages(w, found, plan, choices)
    _options(w, found, choices, plan)
    return w.text(), w.assumed


def _header(w: _Writer, found: Found, name: str, label: str, conv: Convention) -> None:
    w.comment(
        f"{name}: {article(found.depth)} {found.depth}-layer {found.kind}, decompiled by resnetc"
        f" from {label}."
    )
    w.comment(
        "The weights fixed every kernel, width, group count and repeat, the input channels, the"
        " shortcuts and the classes. Strides, pooling and the input size leave no trace in"
        f" the weights: lines marked 'assumed' follow the {conv.name} convention (a"
        f" {found.stem_kernel}x{found.stem_kernel} stem) and name the flag of `resnetc"
        " decompile` that changes them."
    )
    w.entry("name", name)


def _input_and_classes(w: _Writer, found: Found, choices: Choices, conv: Convention) -> None:
    h, wd = choices.input or conv.input
    why: str | None
    if choices.input:
        why = f"from --input {h}x{wd}"
    else:
        why = w.assume(
            f"{article(h)} {h}x{wd} input, the {conv.name} size",
            "change it with --input HxW",
            f"input {h}x{wd}",
            "--input HxW",
        )
    w.entry("input", notation.input_text(h, wd, found.in_channels), why)
    why = None
    if found.classes is None:
        why = (
            "from --classes: the checkpoint has no fc (a backbone without its classifier), so it"
            " loads with strict=False, missing only fc.weight and fc.bias"
        )
    w.entry("classes", found.classes or choices.classes, why)


def _from(choices: Choices, what: str, flag: str) -> str:
    """Where a chosen value came from: the live module, or the flag."""
    return "from the module" if what in choices.seen else f"from {flag}"


def _stem(w: _Writer, found: Found, choices: Choices, conv: Convention) -> None:
    w.entry("stem")
    stride = choices.stem_stride or conv.stem_stride
    if found.deep:
        w.comment(
            "from the weights: a deep stem (conv1.0, conv1.3, ...: timm's stem_type 'deep' or"
            " 'deep_tiered', \"Bag of Tricks\" ResNet-C)",
            2,
        )
    if choices.stem_stride:
        why = f"{_from(choices, 'stem_stride', '--stem-stride')} {stride}"
    else:
        why = w.assume(
            f"conv1 stride {stride}, the {conv.name} stem",
            "change it with --stem-stride N",
            f"conv1 stride {stride}",
            "--stem-stride N",
        )
    w.entry("conv1", found.stem_text(stride), why, 2)
    if found.pool_conv is not None:
        _pool_conv(w, found.pool_conv)
        return
    pool = conv.pool if choices.pool is None else choices.pool
    if choices.pool is not None:
        w.comment("from --no-pool: no pooling after conv1" if not pool else "from pool=True", 2)
    if pool:
        if choices.pool is None:
            why = w.assume(
                "a 3x3 max pool /2 after conv1 (a pool has no weights)",
                "leave it out with --no-pool",
                "a 3x3 max pool /2 after conv1",
                "--no-pool",
            )
            w.comment(why, 2)
        w.entry("pool", notation.pool_text(3, "max", 2), None, 2)
    elif choices.pool is None:
        w.comment(
            w.assume(
                f"no pool after conv1, as in the {conv.name} stem",
                "add `pool: 3x3 max, /2` here if yours had one",
                "no pool after conv1",
                "edit the spec's stem",
            ),
            2,
        )


def _pool_conv(w: _Writer, row: Row) -> None:
    """ResNet-RS's stem: a strided conv (and BN, ReLU) in place of the max pool (`row`)."""
    w.comment(
        "from the weights: a conv and a BatchNorm in place of the pool (maxpool.0, maxpool.1:"
        " ResNet-RS, timm's replace_stem_pool)",
        2,
    )
    w.comment(
        w.assume(
            "it has stride 2, as the pool it replaces",
            "edit its /2 if yours differs",
            "the pool conv's stride 2",
            "edit the spec's stem",
        ),
        2,
    )
    w.entry("pool", notation.stem_text(row.kernel, row.filters, 2), None, 2)


def _stages(w: _Writer, found: Found, plan: Shortcuts, choices: Choices | None = None) -> None:
    if choices is not None and choices.strides is not None:
        _chosen_strides(w, found, choices, choices.strides)
        return
    if len(found.stages) > 1:
        w.comment(
            w.assume(
                "each stage after the first halves the map in its first block",
                "give a stage `stride: 1` to keep its size, or pass --strides S,S,... (HF's"
                " downsample_in_first_stage: 2,2,2,2)",
                "stride 2 entering each stage after the first",
                "--strides S,S,...",
            )
        )
    _pruned(w, found)
    w.entry("stages")
    for s, stage in enumerate(found.stages):
        key = f"conv{s + 2}_x"
        if s not in plan.strides:
            w.cell(key, stage.cell_texts)
            continue
        stride, why = plan.strides[s]
        w.entry(key, None, None, 2)
        w.cell("cell", stage.cell_texts, 4)
        w.entry("stride", stride, f"from the weights: {why}", 4)


def _pruned(w: _Writer, found: Found) -> None:
    """Say why a stage is a list of cells: its blocks differ (a pruned network's)."""
    pruned = [f"conv{s + 2}_x" for s, stage in enumerate(found.stages) if stage.pruned]
    if not pruned:
        return
    if len(pruned) == len(found.stages) > 1:
        which, those = "every stage", "each stage"
    elif len(pruned) == 1:
        which, those = pruned[0], "it"
    else:
        which, those = ", ".join(pruned[:-1]) + f" and {pruned[-1]}", "each of those"
    w.comment(
        f"from the weights: the blocks of {which} differ in their widths (a pruned network's,"
        f" as timm's ecaresnet50d_pruned), so {those} is a list of cells, one per run of"
        " identical blocks, every one ending at the stage's width"
    )


def _chosen_strides(w: _Writer, found: Found, choices: Choices, strides: tuple[int, ...]) -> None:
    """Every stage's stride as the caller or the live module gave it (`choices.strides`)."""
    if len(strides) != len(found.stages):
        raise Mismatch(
            f"--strides gives {len(strides)} strides, but the weights show"
            f" {len(found.stages)} stages"
        )
    w.comment(
        f"{_from(choices, 'strides', '--strides')}: each stage's stride"
        f" ({', '.join(str(s) for s in strides)})"
    )
    _pruned(w, found)
    w.entry("stages")
    for s, (stage, stride) in enumerate(zip(found.stages, strides, strict=True)):
        key = f"conv{s + 2}_x"
        if stride == (1 if s == 0 else 2):
            w.cell(key, stage.cell_texts)
            continue
        w.entry(key, None, None, 2)
        w.cell("cell", stage.cell_texts, 4)
        w.entry("stride", stride, None, 4)


_AA_WHY = {
    "blur": "a 3x3 blur /2 after each strided 3x3 and the stem's max pool (timm's resnetblur)",
    "avg": "a 2x2 average pool /2 after each strided 3x3, and for the stem's max pool (timm's"
    " resnetaa)",
}


def _unseen(w: _Writer, found: Found, choices: Choices) -> None:
    """What leaves no trace in the weights: anti-aliasing, dilation, stochastic depth."""
    if choices.anti_alias not in (None, "none"):
        flag = _from(choices, "anti_alias", "--anti-alias")
        why = f"{flag}: anti-aliased downsampling, {_AA_WHY[choices.anti_alias]}"
        w.entry("anti_alias", choices.anti_alias, why, 2)
    elif not found.preact:
        w.comment(
            w.assume(
                "no anti-aliasing: a blur or average pool after each strided conv (timm's"
                " resnetblur*, resnetaa*, aa_layer) has no weights, so the checkpoint cannot show"
                " it",
                "--anti-alias blur|avg adds it (options: anti_alias)",
                "no anti-aliasing",
                "--anti-alias blur|avg",
            ),
            2,
        )
    if choices.drop_path:
        flag = _from(choices, "drop_path", "--drop-path")
        why = f"{flag}: stochastic depth at this rate on the last block (training only)"
        w.entry("drop_path", notation.rate_text(choices.drop_path), why, 2)
    else:
        w.comment(
            w.assume(
                "no stochastic depth (drop path acts in training only and has no weights)",
                "--drop-path RATE sets timm's drop_path_rate",
                "no drop path",
                "--drop-path RATE",
            ),
            2,
        )
    w.comment(
        w.assume(
            "no dilation (timm's output_stride 32): a dilated stage has the weights of a"
            " strided one, and resnetc's convolutions are not dilated",
            "a checkpoint trained with output_stride 8 or 16 computes other features here",
            "no dilation",
            "none (resnetc has no dilated convolutions)",
        ),
        2,
    )


def _options(w: _Writer, found: Found, choices: Choices, plan: Shortcuts) -> None:
    w.entry("options")
    if choices.downsample_at or _stride_row_matters(found, plan):
        at = choices.downsample_at or "3x3"
        why = (
            "from --downsample-at"
            if choices.downsample_at
            else w.assume(
                "a stage's stride sits on its first block's 3x3 (torchvision, 'ResNet v1.5')",
                "--downsample-at 1x1 puts it on the first 1x1 (the paper's v1)",
                "the stride on the 3x3 (v1.5)",
                "--downsample-at 1x1",
            )
        )
        w.entry("downsample_at", at, why, 2)
    w.entry("shortcut", plan.option, f"from the weights: {plan.why}", 2)
    kernel = projection_kernel(found, plan, choices)
    if kernel != 1:
        first = next(st.attr for st in found.stages if st.projection_kernel != 1)
        why = (
            f"from the weights: {first}.0.downsample.0 is a {kernel}x{kernel} conv, as is every"
            " projection that strides (SENet-154's, timm's down_kernel_size=3); one that keeps"
            " the map size is 1x1"
        )
        w.entry("shortcut_kernel", notation.kernel_text(kernel), why, 2)
    if found.group_norm:
        _group_norm(w, choices)
    _unseen(w, found, choices)
    if found.preact:
        why = (
            "from the weights: each bnJ comes before its convJ, and final_bn before fc"
            " (pre-activation, He et al. 2016)"
        )
        w.entry("preact", "true", why, 2)


def _group_norm(w: _Writer, choices: Choices) -> None:
    """`norm: GN, G=...`: the weights show GroupNorms, never how many groups they have."""
    w.comment(
        "from the weights: every norm has a weight and a bias but no running statistics, so it"
        " is a GroupNorm (timm's resnet50_gn)",
        2,
    )
    if choices.norm_groups is not None:
        why = f"{_from(choices, 'norm_groups', '--norm-groups')}: {choices.norm_groups} groups"
    else:
        why = w.assume(
            "32 groups, timm's default: the group count leaves no trace in the weights, so the"
            " checkpoint cannot show it",
            "--norm-groups G changes it (options: norm)",
            "GroupNorm of 32 groups",
            "--norm-groups G",
        )
    w.entry("norm", notation.norm_text(choices.norm_groups or 32), why, 2)


def projection_kernel(found: Found, plan: Shortcuts, choices: Choices) -> int:
    """The kernel of the projections that stride, 1 or 3; a 3x3 one where the stage keeps its
    map size, or a 1x1 one where another strided stage's is 3x3, fits no spec."""
    if all(st.projection_kernel == 1 for st in found.stages):
        return 1
    strided: dict[int, list[FoundStage]] = {1: [], 3: []}
    for s, stage in enumerate(found.stages):
        if 0 not in stage.projections:
            continue
        if choices.strides is not None and s < len(choices.strides):
            stride = choices.strides[s]
        else:
            stride = plan.strides.get(s, (2 if s else 1, ""))[0]
        if stride != 1:
            strided[stage.projection_kernel].append(stage)
        elif stage.projection_kernel != 1:
            raise Mismatch(
                f"{_projection_weight(stage)}: a 3x3 projection where the block keeps its map"
                " size (stride 1); with shortcut_kernel 3x3 (SENet-154's, timm's"
                " down_kernel_size) a projection is 3x3 where it strides and 1x1 where it does"
                " not",
                "if the stage's stride differs, say so with --strides S,S,...",
            )
    if strided[1] and strided[3]:
        wide, narrow = strided[3][0], strided[1][0]
        raise Mismatch(
            f"{_projection_weight(wide)}, but {_projection_weight(narrow)}: both blocks stride,"
            " and resnetc's shortcut_kernel is one kernel for every projection that strides"
        )
    return 3


def _projection_weight(stage: FoundStage) -> str:
    """`layer2.0.downsample.0.weight has shape [512, 256, 3, 3]`."""
    k = stage.projection_kernel
    shape = f"[{stage.out_channels}, {stage.in_channels}, {k}, {k}]"
    return f"{stage.attr}.0.downsample.0.weight has shape {shape}"


def _stride_row_matters(found: Found, plan: Shortcuts) -> bool:
    """Whether some strided block has a 1x1 before its first larger kernel."""
    for s, stage in enumerate(found.stages):
        stride = plan.strides.get(s, (2 if s else 1, ""))[0]
        kernels = tuple(row.kernel for row in stage.rows)
        if stride != 1 and stride_row(kernels, "3x3") != stride_row(kernels, "1x1"):
            return True
    return False


def article(number: int) -> str:
    """'an' before 8, 11, 18, 80-89, 800-899, 11xxx, ...; 'a' otherwise."""
    digits = str(number)
    eleven = len(digits) % 3 == 2 and digits[:2] in ("11", "18")
    return "an" if digits.startswith("8") or eleven else "a"


def default_name(found: Found) -> str:
    """`resnet50`, `resnext50_32x4d`, `wide_resnet50_2`, `preact_resnet18`, and timm's names for
    its variants (`seresnet50`, `resnet50d`, `resnet26t`, `resnetrs50`, `ecaresnet50d_pruned`):
    from the table."""
    name = _unpruned_name(found)
    return f"{name}_pruned" if found.pruned else name


def _unpruned_name(found: Found) -> str:
    attention = found.stages[0].attention
    if attention is not None and attention.kind == "se" and _senet(found):
        return f"senet{found.depth + len(found.deep)}"  # SENet-154 counts its stem's 3 convs
    base = _base_name(found)
    if attention is not None and not found.preact and found.pool_conv is None:
        base = ("se" if attention.kind == "se" else "eca") + base
    if found.group_norm:
        base += "_gn"
    if not found.deep or found.preact or found.pool_conv is not None:
        return base
    avg = any(s.avg_down for s in found.stages)
    tiered = len({r.filters for r in found.deep}) > 1
    letter = "t" if tiered else ("d" if avg else ("s" if found.deep[0].filters >= 64 else "c"))
    head, digits, tail = _split_depth(base)
    return f"{head}{digits}{letter}{tail}"


def _senet(found: Found) -> bool:
    """SENet-154's table (Hu et al.'s own network, timm's `senet154`): a deep stem, grouped
    bottlenecks whose first 1x1 is narrower than their 3x3, 3x3 projections."""
    rows = found.stages[0].rows
    kernels = tuple(row.kernel for row in rows)
    narrower = kernels == (1, 3, 1) and rows[0].filters < rows[1].filters and rows[1].groups > 1
    wide = any(s.projection_kernel != 1 for s in found.stages)
    return bool(found.deep) and narrower and wide


def _split_depth(name: str) -> tuple[str, str, str]:
    """`resnext50_32x4d` -> (`resnext`, `50`, `_32x4d`)."""
    i = next(i for i, ch in enumerate(name) if ch.isdigit())
    j = i
    while j < len(name) and name[j].isdigit():
        j += 1
    return name[:i], name[i:j], name[j:]


def _base_name(found: Found) -> str:
    if found.preact:
        return f"preact_resnet{found.depth}"
    if found.pool_conv is not None:
        return f"resnetrs{found.depth}"
    first: FoundStage = found.stages[0]
    if found.pruned:  # its widths are what pruning left: only its groups still name a family
        grouped = any(row.groups > 1 for s in found.stages for c in s.cells for row in c.rows)
        return f"resnext{found.depth}" if grouped else f"resnet{found.depth}"
    kernels = tuple(row.kernel for row in first.rows)
    if kernels == (1, 3, 1) and first.rows[0].filters == first.rows[1].filters:
        width, groups = first.rows[1].filters, first.rows[1].groups
        expansion = first.rows[2].filters // width
        if groups > 1 and width % groups == 0:
            return f"resnext{found.depth}_{groups}x{width // groups}d"
        if first.rows[2].filters % width == 0 and expansion in (1, 2):
            return f"wide_resnet{found.depth}_{4 // expansion}"
    return f"resnet{found.depth}"
