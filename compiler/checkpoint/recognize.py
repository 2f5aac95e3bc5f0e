"""Recognising a ResNet from a state_dict's names and shapes (never from its values).

Two layouts are read. torchvision's (timm's ResNet, ResNeXt and Wide ResNet use the same names),
post-activation: `conv1`, `bn1`, `layerN.i.convJ` and `bnJ` (bnJ over convJ's filters),
`layerN.i.downsample.0` (1x1 conv) and `.1` (BatchNorm), `fc`; with timm's additions to it: a deep
stem (`conv1.0`, `.1`, `.3`, `.4`, `.6`), ResNet-RS's pool conv (`maxpool.0`, `.1`), ResNet-D's
average-pool shortcut (`downsample.1` conv, `.2` BatchNorm, the pool `.0` holding nothing) and an
attention module per block (`se.fc1`/`se.fc2`: squeeze-and-excitation; `se.conv`: ECA). And
resnetc's pre-activation layout (He et al. 2016): `conv1` alone in the stem, `bnJ` before `convJ`
(over its input channels), one bias-free 1x1 conv `downsample`, then `final_bn` and `fc`. The walk
follows the network in order; the first name or shape that does not fit stops it with a
`Mismatch` naming that key and what was expected there. Keys the walk never used make a
`Leftover`, which keeps what was recognised. A stage's blocks are read into cells: a block that
differs from the one before it (its rows or attention row: a pruned network's, timm's
ecaresnet50d_pruned) starts a new cell, equal ones repeat it; every block ends at the stage's
width.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from ..core.ir import Attention, Cell, Row
from ..front import limits
from ..front.notation import stem_convs_text
from .foreign import BLOCK_KEY, Mismatch, dims, no_stem


def input_channels(n: int) -> str:
    """`3 input channels`, `1 input channel`."""
    return f"{n:,} input channel" + ("" if n == 1 else "s")


@dataclass(frozen=True)
class FoundStage:
    """One stage as the weights show it: its cells (one, or for a stage whose blocks differ, a
    pruned network's, one per run of identical blocks) and which blocks project."""

    attr: str
    in_channels: int
    cells: tuple[Cell, ...]
    """Its runs of identical blocks as table cells (no spans: they come from no spec)."""
    projections: tuple[int, ...]
    avg_down: bool = False
    """Whether its projections are ResNet-D's (an average pool, then an unstrided 1x1 conv)."""
    projection_kernel: int = 1
    """The kernel of its first block's projection (3: SENet-154's, timm's down_kernel_size)."""

    @property
    def rows(self) -> tuple[Row, ...]:
        """The rows of its first cell (the first block's, which carries the stage's stride)."""
        return self.cells[0].rows

    @property
    def attention(self) -> Attention | None:
        """The attention row of its first cell."""
        return self.cells[0].attention

    @property
    def repeats(self) -> int:
        """How many blocks the stage has."""
        return sum(cell.count for cell in self.cells)

    @property
    def pruned(self) -> bool:
        """Whether its blocks differ (more than one cell)."""
        return len(self.cells) > 1

    @property
    def out_channels(self) -> int:
        """The channels the stage gives (every cell ends at them)."""
        return self.rows[-1].filters

    @property
    def cell_texts(self) -> tuple[str, ...]:
        """Each cell in the canonical notation, as the spec lists them."""
        return tuple(cell.text for cell in self.cells)

    @property
    def cell_text(self) -> str:
        """The stage's cells in the canonical notation, joined by ` + ` where several (as
        `ir.Stage.cell_text`)."""
        return " + ".join(self.cell_texts)


@dataclass(frozen=True)
class Found:
    """Everything the weights say about a network."""

    preact: bool
    in_channels: int
    stem_kernel: int
    stem_filters: int
    stages: tuple[FoundStage, ...]
    classes: int | None
    keys: int
    deep: tuple[Row, ...] = ()
    """A deep stem's convolutions before its last (whose kernel and filters are the stem's)."""
    pool_conv: Row | None = None
    """ResNet-RS's strided conv in place of the stem's pool."""
    group_norm: bool = False
    """Whether its norms are GroupNorms (a weight and a bias, no running statistics: timm's
    resnet50_gn); their group count leaves no trace in the weights."""

    @property
    def pruned(self) -> bool:
        """Whether some stage's blocks differ (a pruned network's: timm's *_pruned)."""
        return any(stage.pruned for stage in self.stages)

    @property
    def kind(self) -> str:
        """`ResNet`, `pre-activation ResNet`, `pruned ResNet`: what the summary calls it."""
        kind = "pre-activation ResNet" if self.preact else "ResNet"
        return f"pruned {kind}" if self.pruned else kind

    @property
    def depth(self) -> int:
        """Weighted layers on the main path as the names count them: the stem conv (a deep
        stem's as one, as resnet50d is a 50), every block's convs, the fc."""
        return 2 + sum(len(c.rows) * c.count for s in self.stages for c in s.cells)

    def stem_text(self, stride: int) -> str:
        """conv1's cell with the first conv's `stride`: `7x7, 64, /2`, `3x3, 32, /2; 3x3, ...`."""
        convs = [(r.kernel, r.filters, 1) for r in (*self.deep, Row(kernel=self.stem_kernel,
                 filters=self.stem_filters))]  # fmt: skip
        convs[0] = (convs[0][0], convs[0][1], stride)
        return stem_convs_text(convs)


class Leftover(Exception):  # noqa: N818
    """A whole network was recognised, but some keys are not part of it."""

    def __init__(self, found: Found, keys: list[str]) -> None:
        super().__init__(f"{len(keys)} keys not recognised")
        self.found, self.keys = found, keys


class _Keys:
    """The state_dict's shapes, which keys the walk has used, and the keys of each block
    (`layerN.i`), grouped in one pass so that nothing the walk asks about a block costs more
    than that block's keys: the walk is linear in the number of keys."""

    def __init__(self, shapes: dict[str, tuple[int, ...]]) -> None:
        self.shapes = shapes
        self.used: set[str] = set()
        self.norm_kind: tuple[str, str] | None = None
        """The first norm's name and kind (`BatchNorm`, `GroupNorm`): every other is the same."""
        self.blocks: dict[str, list[str]] = {}
        for key in shapes:
            m = BLOCK_KEY.match(key)
            if m:
                self.blocks.setdefault(m.group(0)[:-1], []).append(key)

    def under(self, prefix: str) -> list[str]:
        """The keys of the block `prefix` (`layer2.0`), in the state_dict's order."""
        return self.blocks.get(prefix, [])

    def has(self, key: str) -> bool:
        return key in self.shapes

    def take(self, key: str, expected: str) -> tuple[int, ...]:
        if key not in self.shapes:
            raise Mismatch(f"{key} is missing: expected {expected}")
        self.used.add(key)
        return self.shapes[key]

    def conv(self, name: str, channels: int | None, after: str) -> Row:
        """`name.weight` as one row; `channels` arrive from `after` (None: the input)."""
        key = f"{name}.weight"
        shape = self.take(key, f"a convolution's weight [filters, input channels, k, k] {after}")
        if len(shape) != 4 or min(shape) < 1:
            raise Mismatch(f"{key} has shape {dims(shape)}: expected a 2-d convolution's weight")
        out, per_group, kh, kw = shape
        if kh != kw:
            raise Mismatch(f"{key} has shape {dims(shape)}: resnetc's kernels are square")
        if f"{name}.bias" in self.shapes:
            raise Mismatch(
                f"{name}.bias exists: resnetc's convolutions have no bias (a BatchNorm follows"
                " or precedes each)"
            )
        if channels is None:
            return Row(kernel=kh, filters=out)
        if channels % per_group:
            raise Mismatch(
                f"{key} has shape {dims(shape)}: a {kh}x{kh} conv of {out} filters {after}"
                f" ({channels} channels) needs {channels} or {channels}/groups input channels,"
                f" not {per_group}"
            )
        groups = channels // per_group
        if out % groups:
            raise Mismatch(
                f"{key} has shape {dims(shape)}: its {groups} groups ({channels} channels"
                f" {after}, {per_group} per group) do not divide its {out} filters"
            )
        return Row(kernel=kh, filters=out, groups=groups)

    def norm(self, name: str, channels: int, where: str) -> None:
        """A BatchNorm2d over `channels` (weight, bias and running statistics), or a GroupNorm
        (weight and bias only), as every other norm of the network."""
        if name + ".weight" not in self.shapes and name + ".running_mean" in self.shapes:
            raise Mismatch(
                f"{name}.weight is missing, but {name}.running_mean exists: a BatchNorm without"
                " affine parameters; resnetc's BatchNorm2d has them"
            )
        affine = all(f"{name}.{part}" in self.shapes for part in ("weight", "bias"))
        stats = f"{name}.running_mean" in self.shapes or not affine  # else a GroupNorm's keys
        kind = "BatchNorm" if stats else "GroupNorm"
        self._same_norms(name, kind)
        parts = ("weight", "bias", "running_mean", "running_var") if stats else ("weight", "bias")
        for part in parts:
            key = f"{name}.{part}"
            shape = self.take(key, f"the {kind} {where}, [{channels}]")
            if shape != (channels,):
                raise Mismatch(
                    f"{key} has shape {dims(shape)}: the {kind} {where} needs [{channels}]"
                )
        tracked = f"{name}.num_batches_tracked"
        if tracked in self.shapes:  # optional: checkpoints older than PyTorch 0.4.1 lack it
            if self.shapes[tracked] != ():
                raise Mismatch(f"{tracked} has shape {dims(self.shapes[tracked])}: expected []")
            self.used.add(tracked)

    def _same_norms(self, name: str, kind: str) -> None:
        """Every norm is of the first one's kind (resnetc's `norm:` is one for the network)."""
        if self.norm_kind is None:
            self.norm_kind = (name, kind)
            return
        first, was = self.norm_kind
        if kind != was:
            said = "has no" if kind == "GroupNorm" else "has"
            raise Mismatch(
                f"{name}.running_mean {'is missing' if kind == 'GroupNorm' else 'exists'}:"
                f" {name} {said} running statistics, so it is a {kind}, but {first} is a {was};"
                " resnetc's norms are all BatchNorm or all GroupNorm (`norm:`)"
            )

    def fc(self, channels: int, after: str) -> int | None:
        """The classifier `fc` over `channels`; None if the checkpoint has no head."""
        if "fc.weight" not in self.shapes:
            parts = [k for k in self.shapes if k.startswith("fc.")]
            if parts:
                raise Mismatch(
                    f"fc.weight is missing, but {parts[0]} {dims(self.shapes[parts[0]])} exists:"
                    " a head of several layers; resnetc's head is one nn.Linear named fc"
                )
            return None
        shape = self.take("fc.weight", "")
        if len(shape) != 2 or shape[1] != channels:
            raise Mismatch(
                f"fc.weight has shape {dims(shape)}: {after} gives {channels} channels, so the fc"
                f" (an nn.Linear) needs [classes, {channels}]"
            )
        bias = self.take("fc.bias", f"the fc's bias, [{shape[0]}]")
        if bias != (shape[0],):
            raise Mismatch(f"fc.bias has shape {dims(bias)}: the fc needs [{shape[0]}]")
        return shape[0]


# ---------------------------------------------------------------- the two layouts


class _PostAct:
    """torchvision's layout: conv -> bn in every row, projection = downsample.0 + .1."""

    preact = False

    def stem(self, k: _Keys) -> Row:
        row = k.conv("conv1", None, "at the input")
        k.norm("bn1", row.filters, f"after conv1 ({row.filters} filters)")
        return row

    def deep_stem(self, k: _Keys) -> tuple[Row, ...]:
        """timm's deep stem: conv1.0, BN conv1.1, conv1.3, BN conv1.4, ..., the last conv alone
        (then bn1, unless pre-activation)."""
        rows: list[Row] = []
        channels = None
        j = 0
        while k.has(f"conv1.{3 * j}.weight"):
            name = f"conv1.{3 * j}"
            after = "at the input" if channels is None else f"after conv1.{3 * j - 3}"
            row = k.conv(name, channels, after)
            if row.groups != 1:
                raise Mismatch(f"{name}.weight: a stem convolution is not grouped")
            channels = row.filters
            rows.append(row if j else Row(kernel=row.kernel, filters=row.filters))
            if not k.has(f"conv1.{3 * j + 3}.weight"):
                break
            k.norm(f"conv1.{3 * j + 1}", row.filters, f"after {name} ({row.filters} filters)")
            j += 1
        if not self.preact:
            assert channels is not None  # `_walk` calls this only where conv1.0.weight exists
            k.norm("bn1", channels, f"after conv1.{3 * j} ({channels} filters)")
        return tuple(Row(kernel=r.kernel, filters=r.filters) for r in rows)

    def row(self, k: _Keys, name: str, channels: int, after: str) -> Row:
        conv, norm = name, re.sub(r"conv(\d+)$", r"bn\1", name)
        row = k.conv(conv, channels, after)
        k.norm(norm, row.filters, f"after {conv} ({row.filters} filters)")
        return row

    def projection(self, k: _Keys, prefix: str, channels: int, out: int) -> bool | str:
        """False, True (a 1x1), "3x3" (SENet-154's), or "avg" for ResNet-D's projection
        (`downsample.1` the conv)."""
        name = f"{prefix}.downsample" if self.preact else f"{prefix}.downsample.0"
        avg = f"{prefix}.downsample.1"
        if not k.has(f"{name}.weight") and len(k.shapes.get(f"{avg}.weight", ())) == 4:
            _check_projection(k, avg, channels, out, prefix)
            if not self.preact:
                k.norm(f"{prefix}.downsample.2", out, f"after {avg} ({out} filters)")
            return "avg"
        if not k.has(f"{name}.weight"):
            _refuse_other_shortcut(k, prefix, f"{name}.weight")
            return False
        kernel = _check_projection(k, name, channels, out, prefix, wide=not self.preact)
        if not self.preact:  # a pre-activation projection is the conv alone
            k.norm(f"{prefix}.downsample.1", out, f"after {name} ({out} filters)")
        return "3x3" if kernel == 3 else True

    def head(self, k: _Keys, channels: int, last: str) -> int | None:
        return k.fc(channels, last)


class _PreAct(_PostAct):
    """He et al. 2016: bn -> conv in every row, projection = one conv, final_bn before fc."""

    preact = True

    def stem(self, k: _Keys) -> Row:
        return k.conv("conv1", None, "at the input")

    def row(self, k: _Keys, name: str, channels: int, after: str) -> Row:
        norm = re.sub(r"conv(\d+)$", r"bn\1", name)
        k.norm(norm, channels, f"before {name} ({channels} channels {after})")
        return k.conv(name, channels, after)

    def head(self, k: _Keys, channels: int, last: str) -> int | None:
        k.norm("final_bn", channels, f"after {last} ({channels} channels)")
        return k.fc(channels, "final_bn")


def _check_projection(
    k: _Keys, name: str, channels: int, out: int, prefix: str, wide: bool = False
) -> int:
    """The projection conv's kernel: 1, or with `wide` (conv + norm, no pool) 1 or 3."""
    row = k.conv(name, channels, f"at {prefix}'s input")
    kernels = (1, 3) if wide else (1,)
    if row.kernel not in kernels or row.groups != 1 or row.filters != out:
        also = f" (or a 3x3, [{out}, {channels}, 3, 3]: SENet-154's)" if wide else ""
        raise Mismatch(
            f"{name}.weight has shape {dims(k.shapes[name + '.weight'])}: a projection shortcut"
            f" from {channels} to {out} channels is a 1x1 conv of shape [{out}, {channels}, 1, 1]"
            + also
        )
    return row.kernel


def _refuse_other_shortcut(k: _Keys, prefix: str, expected: str) -> None:
    """A shortcut with parameters under other names than resnetc's projection."""
    others = [key for key in k.under(prefix) if key.startswith(f"{prefix}.downsample.")]
    if not others:
        return
    key = f"{prefix}.downsample.1.weight"
    if len(k.shapes.get(key, ())) == 4:
        raise Mismatch(
            f"{key} has shape {dims(k.shapes[key])}, where {expected} was expected: an"
            " average-pool shortcut (downsample.0 an AvgPool2d, then a 1x1 conv and a BatchNorm:"
            " timm's resnet*d 'avg-down'); resnetc's projection is a strided 1x1 conv"
            " (downsample.0) and a BatchNorm (downsample.1)"
        )
    key = others[0]
    raise Mismatch(
        f"{key} has shape {dims(k.shapes[key])}, where {expected} was expected: a shortcut laid"
        " out differently from resnetc's projection"
    )


# ---------------------------------------------------------------- the walk


def recognise(shapes: dict[str, tuple[int, ...]]) -> Found:
    """Read the network the keys and shapes describe; raise `Mismatch` or `Leftover`."""
    k = _Keys(shapes)
    progress: list[str] = []
    try:
        found = _walk(k, progress)
    except Mismatch as exc:
        exc.recognised = tuple(progress)
        raise
    unused = [key for key in shapes if key not in k.used]
    if unused:
        raise Leftover(found, unused)
    return found


def _walk(k: _Keys, progress: list[str]) -> Found:
    deep_stem = not k.has("conv1.weight") and k.has("conv1.0.weight")
    if not k.has("conv1.weight") and not deep_stem:
        raise no_stem(k.shapes)
    layout = _PreAct() if not k.has("bn1.weight") and k.has("final_bn.weight") else _PostAct()
    deep: tuple[Row, ...] = ()
    if deep_stem:
        *deep_rows, stem = layout.deep_stem(k)
        deep = tuple(deep_rows)
        in_channels = k.shapes["conv1.0.weight"][1]
    else:
        stem = layout.stem(k)
        in_channels = k.shapes["conv1.weight"][1]
    convs = ", ".join(f"{r.kernel}x{r.kernel}, {r.filters}" for r in (*deep, stem))
    progress.append(f"conv1 {convs} from {input_channels(in_channels)}")
    pool_conv = _pool_conv(k, stem.filters)
    stages: list[FoundStage] = []
    channels, last = stem.filters, "conv1"
    cells = 0
    for n, repeats in enumerate(_stage_sizes(k.shapes), start=1):
        stage = _stage(k, layout, f"layer{n}", repeats, channels, last)
        stages.append(stage)
        cells += len(stage.cells)
        if cells > limits.MAX_CELLS:
            raise Mismatch(
                f"{stage.attr} takes the table to {cells:,} cells, more than the limit of"
                f" {limits.MAX_CELLS:,} (MAX_CELLS): the blocks differ in their widths so often"
                " that each run of identical blocks is a cell of its own"
            )
        progress.append(f"{stage.attr} {stage.cell_text}")
        channels, last = stage.out_channels, f"{stage.attr}.{repeats - 1}"
    classes = layout.head(k, channels, last)
    return Found(
        layout.preact,
        in_channels,
        stem.kernel,
        stem.filters,
        tuple(stages),
        classes,
        len(k.used),
        deep,
        pool_conv,
        k.norm_kind is not None and k.norm_kind[1] == "GroupNorm",
    )


def _pool_conv(k: _Keys, channels: int) -> Row | None:
    """ResNet-RS's stem: `maxpool.0` a conv, `maxpool.1` its BatchNorm (timm's
    replace_stem_pool; an anti-aliasing layer between them holds nothing)."""
    if not k.has("maxpool.0.weight"):
        return None
    row = k.conv("maxpool.0", channels, "after the stem")
    norm = next((f"maxpool.{i}" for i in (1, 2) if k.has(f"maxpool.{i}.weight")), "maxpool.1")
    k.norm(norm, row.filters, f"after maxpool.0 ({row.filters} filters)")
    return Row(kernel=row.kernel, filters=row.filters, groups=row.groups)


def _attention(k: _Keys, prefix: str, channels: int) -> Attention | None:
    """A block's `se`: squeeze-and-excitation (se.fc1, se.fc2: 1x1 convs with bias) or ECA
    (se.conv, a bias-free 1-d conv)."""
    se = f"{prefix}.se"
    if k.has(f"{se}.fc1.weight"):
        fc1 = k.take(f"{se}.fc1.weight", "")
        if len(fc1) != 4 or fc1[1:] != (channels, 1, 1):
            raise Mismatch(
                f"{se}.fc1.weight has shape {dims(fc1)}: squeeze-and-excitation after"
                f" {channels} channels needs [width, {channels}, 1, 1]"
            )
        width = fc1[0]
        for key, want in (
            (f"{se}.fc1.bias", (width,)),
            (f"{se}.fc2.weight", (channels, width, 1, 1)),
            (f"{se}.fc2.bias", (channels,)),
        ):
            shape = k.take(key, f"{dims(want)}")
            if shape != want:
                raise Mismatch(f"{key} has shape {dims(shape)}: expected {dims(want)}")
        return Attention(kind="se", width=width, channels=channels)
    if k.has(f"{se}.conv.weight"):
        shape = k.take(f"{se}.conv.weight", "")
        if len(shape) != 3 or shape[:2] != (1, 1) or shape[2] % 2 == 0:
            raise Mismatch(
                f"{se}.conv.weight has shape {dims(shape)}: ECA is one 1-d conv of an odd"
                " number of taps, [1, 1, k]"
            )
        if k.has(f"{se}.conv.bias"):
            raise Mismatch(f"{se}.conv.bias exists: ECA's 1-d conv has no bias")
        return Attention(kind="eca", kernel=shape[2])
    return None


def _stage_sizes(shapes: dict[str, tuple[int, ...]]) -> list[int]:
    """Blocks per stage, from the `layerN.i.` keys; numbering gaps are refused."""
    blocks: dict[int, set[int]] = {}
    for key in shapes:
        m = BLOCK_KEY.match(key)
        if m:
            blocks.setdefault(int(m.group(1)), set()).add(int(m.group(2)))
    if not blocks:
        after = next((k for k in shapes if not re.match(r"(conv1|bn1|maxpool)\.", k)), None)
        found = f"; after the stem comes {after}" if after else ""
        raise Mismatch(
            "layer1.0.conv1.weight is missing: a ResNet's stages are layer1, layer2, ..., each"
            f" a sequence of blocks layerN.0, layerN.1, ...{found}"
        )
    sizes = []
    for n in range(1, max(blocks) + 1):
        if n not in blocks:
            raise Mismatch(
                f"layer{n}.0.conv1.weight is missing, but layer{max(blocks)}.* exists: stages"
                " are numbered layer1, layer2, ... without gaps"
            )
        top = max(blocks[n])
        gap = next((i for i in range(top) if i not in blocks[n]), None)
        if gap is not None:
            raise Mismatch(
                f"layer{n}.{gap}.conv1.weight is missing, but layer{n}.{top}.* exists: a"
                " stage's blocks are numbered 0, 1, ... without gaps"
            )
        sizes.append(top + 1)
    return sizes


def _stage(k: _Keys, layout: _PostAct, attr: str, repeats: int, channels: int, last: str):
    """The stage `attr`: a block that differs from the one before it starts a new cell."""
    rows, out, projects, attention = _block(k, layout, f"{attr}.0", channels, last)
    cells = [Cell(rows=rows, attention=attention, count=1)]
    projections = [0] if projects else []
    kernel = 3 if projects == "3x3" else 1
    kinds = {_family(projects)} - {None}
    for i in range(1, repeats):
        prefix = f"{attr}.{i}"
        again, ends, projects, seen = _block(k, layout, prefix, out, f"{attr}.{i - 1}")
        if projects == "3x3":
            raise Mismatch(
                f"{prefix}.downsample.0.weight has shape"
                f" {dims(k.shapes[prefix + '.downsample.0.weight'])}: {prefix} keeps its map size,"
                " and a 3x3 projection (SENet-154's, timm's down_kernel_size) is only where a"
                " block strides; one that keeps the map size is 1x1"
            )
        if ends != out:
            _refuse_other_width(k, prefix, len(again), ends, f"{attr}.0", out)
        if (again, seen) == (cells[-1].rows, cells[-1].attention):
            cells[-1] = cells[-1].model_copy(update={"count": cells[-1].count + 1})
        else:
            cells.append(Cell(rows=again, attention=seen, count=1))
        if projects:
            projections.append(i)
            kinds.add(_family(projects))
    if len(kinds) > 1:
        raise Mismatch(
            f"{attr}'s projections mix ResNet-D's average-pool shortcut (downsample.1/.2) with"
            " the strided 1x1 (downsample.0/.1); one stage has one kind"
        )
    avg = kinds == {"avg"}
    return FoundStage(attr, channels, tuple(cells), tuple(projections), avg, kernel)


def _family(projects: bool | str) -> str | None:
    """A block's projection, as the stage's kinds are compared: none, ResNet-D's, or a conv."""
    return None if projects is False else ("avg" if projects == "avg" else "conv")


def _block(k: _Keys, layout: _PostAct, prefix: str, channels: int, last: str):
    """(rows, output channels, has a projection) of the block at `prefix`."""
    rows: list[Row] = []
    ch, after = channels, f"from {last}"
    while k.has(f"{prefix}.conv{len(rows) + 1}.weight"):
        name = f"{prefix}.conv{len(rows) + 1}"
        row = layout.row(k, name, ch, after)
        rows.append(row)
        ch, after = row.filters, f"after {name}"
    if not rows:
        inside = next(iter(k.under(prefix)), "")
        raise Mismatch(
            f"{prefix}.conv1.weight is missing: a block's convolutions are conv1, conv2, ...;"
            f" {prefix} has {inside}"
        )
    attention = _attention(k, prefix, ch)
    return tuple(rows), ch, layout.projection(k, prefix, channels, ch), attention


def _refuse_other_width(
    k: _Keys, prefix: str, convs: int, ends: int, first: str, out: int
) -> NoReturn:
    """A later block of a stage that ends at another width than the stage's first."""
    key = f"{prefix}.conv{convs}.weight"
    raise Mismatch(
        f"{key} has shape {dims(k.shapes[key])}: {prefix} ends at {ends} channels, but {first}"
        f" at {out}; the cells of one stage end at one width (every block after a stage's first"
        " adds its output to its input, so the blocks of one stage may differ inside, as a"
        " pruned network's do, but not in what they give)",
        "resnetc's stages change their width only in their first block, where a projection can"
        " follow the change; a stage whose later blocks end at other widths fits no spec",
    )
