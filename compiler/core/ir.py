"""The intermediate representation: every layer explicit, strides placed, shortcuts chosen.

Frozen pydantic models. `lower` builds them from a spec with every `output` left None; `shapes`
returns a copy with every output filled in. Validators check one node; relations between nodes
(does the shortcut's shape match the main path's?) belong to the shape pass.

A stage's blocks are stored run-length encoded: `Block.count` identical copies starting at
`Block.index`. A stage of 200 blocks is two `Block`s (the entry block and 199 copies), so analysis,
costs and emitted source grow with the table, not with the depth of the network.

The IR is self-sufficient: after lowering, nothing needs the front end's types. A stage keeps its
table rows (`Row`, the source of every width) and the spans of its cell and repeat count; its
repeat count is the sum of its blocks' counts and nothing else; every conv carries its padding;
each `BlockKind` describes its class (constructor, rows, widths as expressions of the
constructor's parameters) in terms any Python target can write.
"""

from __future__ import annotations

import itertools
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, model_validator

from ..front import notation
from ..front.source import Span


class Shape(NamedTuple):
    """A feature map: channels, height, width (the batch dimension is left out)."""

    c: int
    h: int
    w: int

    def __str__(self) -> str:
        return f"{self.c}x{self.h}x{self.w}"


def annotated(output: Shape | None) -> Shape:
    """A shape the shape pass fills in (a node's `output`, a block's `input`), read from an
    annotated network, where none is None; None is the compiler's own error, never the spec's."""
    if output is None:
        raise ValueError("a shape read before the shape pass ran (shapes.annotate)")
    return output


_NODE = ConfigDict(frozen=True, extra="forbid")


class Conv(BaseModel):
    """A bias-free 2-d convolution (a norm layer always follows or precedes it)."""

    model_config = _NODE

    name: str
    in_channels: int
    out_channels: int
    kernel: int
    stride: int = 1
    padding: int = 0
    groups: int = 1
    span: Span | None = None
    groups_span: Span | None = None
    output: Shape | None = None

    @model_validator(mode="after")
    def _positive(self) -> Conv:
        for field in ("in_channels", "out_channels", "kernel", "stride", "groups"):
            if getattr(self, field) < 1:
                raise ValueError(f"{field} must be positive")
        if self.padding < 0:
            raise ValueError("padding must not be negative")
        return self


class Norm(BaseModel):
    """A BatchNorm2d over `channels`, or with `groups` a GroupNorm of that many groups (Wu and
    He 2018; a weight and a bias per channel, no running statistics)."""

    model_config = _NODE

    name: str
    channels: int
    groups: int | None = None
    span: Span | None = None
    output: Shape | None = None


class Pool(BaseModel):
    """Max or average pooling (the stem's 3x3/2; ResNet-D's 2x2 average pool in a shortcut, with
    `ceil` rounding the output size up and the padding left out of each average)."""

    model_config = _NODE

    name: str
    kind: Literal["max", "avg"]
    kernel: int
    stride: int
    padding: int
    ceil: bool = False
    count_include_pad: bool = True
    span: Span | None = None
    output: Shape | None = None

    @property
    def cell_text(self) -> str:
        """The pool's cell in the spec's notation: `3x3 max, /2`."""
        return notation.pool_text(self.kernel, self.kind, self.stride)


class Linear(BaseModel):
    """The classifier: a fully connected layer with bias."""

    model_config = _NODE

    name: str
    in_features: int
    out_features: int
    span: Span | None = None
    output: Shape | None = None


class SqueezeExcite(BaseModel):
    """Squeeze-and-excitation (Hu et al., SENet's `fc, [16, 256]`): a global average, an fc to
    `width` channels, ReLU, an fc back to `channels`, a sigmoid that scales each channel. Both fcs
    have a bias (1x1 convolutions in the module, as timm's `se.fc1` and `se.fc2`)."""

    model_config = _NODE

    name: str
    channels: int
    width: int
    span: Span | None = None
    output: Shape | None = None


class ChannelAttention(BaseModel):
    """Efficient channel attention (Wang et al., ECA-Net): a global average, a bias-free 1-d
    convolution of `kernel` taps across the channels, a sigmoid that scales each channel."""

    model_config = _NODE

    name: str
    channels: int
    kernel: int
    span: Span | None = None
    output: Shape | None = None


class Blur(BaseModel):
    """Anti-aliased downsampling (Zhang 2019, timm's BlurPool2d): a fixed 3x3 binomial blur of
    each channel (reflect-padded by 1), keeping every `stride`-th pixel; no parameters."""

    model_config = _NODE

    name: str
    channels: int
    stride: int
    kernel: int = 3
    span: Span | None = None
    output: Shape | None = None


Layer = Conv | Norm | Pool | Linear | SqueezeExcite | ChannelAttention | Blur

BlockLayer = Conv | Norm | Pool | Blur | SqueezeExcite | ChannelAttention
"""What a block, a shortcut or a stem may hold besides its convolutions and BatchNorms."""

NODE_KINDS: tuple[type[BaseModel], ...] = (
    Conv,
    Norm,
    Pool,
    Linear,
    SqueezeExcite,
    ChannelAttention,
    Blur,
)
"""Every kind of layer node. The shape pass and the costs each have one rule per kind (and refuse
a kind they do not know); a target has one way of writing each."""


class Shortcut(BaseModel):
    """The residual branch of a block.

    `identity`: x itself. `projection`: 1x1 conv + BN (`downsample.0`, `downsample.1`), the paper's
    options B and C (a 3x3 conv where it strides with `shortcut_kernel: 3x3`, SENet-154's).
    `zeropad`: option A, parameter free: every `stride`-th pixel, new channels zero.
    """

    model_config = _NODE

    kind: Literal["identity", "projection", "zeropad"]
    in_channels: int
    out_channels: int
    stride: int = 1
    layers: tuple[Conv | Norm | Pool, ...] = ()
    output: Shape | None = None

    @property
    def avg_down(self) -> bool:
        """Whether the projection is ResNet-D's: a 2x2 average pool (where it strides), then an
        unstrided 1x1 conv (`downsample.1`)."""
        return self.kind == "projection" and any(
            layer.name.endswith(".1") and isinstance(layer, Conv) for layer in self.layers
        )

    @property
    def kernel(self) -> int:
        """The kernel of the projection's conv (1 where there is none)."""
        return next((layer.kernel for layer in self.layers if isinstance(layer, Conv)), 1)


class Param(NamedTuple):
    """A constructor parameter of a block class (`stride: int = 1`), or a class attribute."""

    name: str
    type: str
    default: str | None = None


class KindRow(BaseModel):
    """One row of a block class: its conv and BatchNorm, with widths as parameter expressions."""

    model_config = _NODE

    kernel: int
    padding: int
    conv: str
    norm: str
    in_width: str
    out_width: str
    groups: str | None = None
    strided: bool = False


class KindAttention(BaseModel):
    """A block class's attention module (`se`): squeeze-and-excitation reducing the block's output
    (`channels`, a width expression) to the constructor parameter `param`, or ECA whose 1-d
    kernel is `param`."""

    model_config = _NODE

    kind: Literal["se", "eca"]
    attr: str = "se"
    channels: str
    param: str


class BlockKind(BaseModel):
    """A block class of the generated module, described so that any Python target can write it.

    `summary` and `notes` are its docstring's first line and sentences; `params` the constructor's
    parameters before `downsample` (`in_channels: int`, `planes: int`, `stride: int = 1`, ...);
    `attributes` its class attributes (`expansion: int = 4`); `setup` the statements that derive
    widths before the rows are built (`out_channels = planes * self.expansion`); and `rows` each
    convolution with its widths written in those names.
    """

    model_config = _NODE

    class_name: str
    pattern: str
    summary: str
    notes: tuple[str, ...] = ()
    params: tuple[Param, ...]
    attributes: tuple[Param, ...] = ()
    setup: tuple[str, ...] = ()
    rows: tuple[KindRow, ...]
    preact: bool = False
    expansion: int | None = None
    attention: KindAttention | None = None
    anti_alias: Literal["blur", "avg"] | None = None
    norm_groups: int | None = None
    """With GroupNorm (`norm: GN`), its groups: the class's norms are nn.GroupNorm."""
    drop_path: bool = False
    """Whether the class takes a `drop_path` rate (stochastic depth on its residual branch)."""

    @property
    def kernels(self) -> tuple[int, ...]:
        """The kernel of each row."""
        return tuple(row.kernel for row in self.rows)

    @property
    def stride_row(self) -> int:
        """Which row carries the block's stride."""
        return next(i for i, row in enumerate(self.rows) if row.strided)

    @property
    def grouped(self) -> bool:
        """Whether the class takes groups (some row is a grouped convolution somewhere)."""
        return any(row.groups is not None for row in self.rows)


class Block(BaseModel):
    """`count` identical residual blocks, the first at position `index` of its stage.

    `kind` names its class (an `ir.BlockKind`), `args` the constructor arguments that build it
    (`"256"`, `"128"`, `"stride=2"`), before its `downsample`.
    """

    model_config = _NODE

    index: int
    count: int = 1
    cell: int = 0
    """Which of its stage's cells the run comes from (`Stage.cells`)."""
    kind: str
    args: tuple[str, ...] = ()
    in_channels: int
    out_channels: int
    stride: int
    layers: tuple[Conv | Norm | Pool | Blur | SqueezeExcite | ChannelAttention, ...]
    shortcut: Shortcut
    preact: bool = False
    span: Span | None = None
    input: Shape | None = None
    output: Shape | None = None

    @property
    def layer_count(self) -> int:
        """The layers of one block of the run: its main path's and its shortcut's."""
        return len(self.layers) + len(self.shortcut.layers)

    @property
    def convs(self) -> tuple[Conv, ...]:
        """The main path's convolutions, in order."""
        return tuple(layer for layer in self.layers if isinstance(layer, Conv))

    @property
    def widths(self) -> tuple[int, ...]:
        """The main path's filters per row."""
        return tuple(conv.out_channels for conv in self.convs)


class Row(BaseModel):
    """A row of a table cell as the user wrote it: kernel, filters, groups (`[3x3, 128, C=32]`)."""

    model_config = _NODE

    kernel: int
    filters: int
    groups: int = 1
    span: Span | None = None
    groups_span: Span | None = None


class Attention(BaseModel):
    """A cell's attention row as the user wrote it: `fc, [16, 256]` (`se`) or `eca, k=5`."""

    model_config = _NODE

    kind: Literal["se", "eca"]
    width: int = 0
    channels: int = 0
    kernel: int = 0
    span: Span | None = None


class Cell(BaseModel):
    """A table cell as the user wrote it: one block's rows (and attention row), `count` times."""

    model_config = _NODE

    rows: tuple[Row, ...]
    attention: Attention | None = None
    count: int
    span: Span | None = None
    repeats_span: Span | None = None

    @property
    def text(self) -> str:
        """The cell in the canonical notation: `[[1x1,64],[3x3,64],[1x1,256]] x 3`."""
        return notation.cell_text(self.rows, self.count, self.attention)


class Stage(BaseModel):
    """One row of Table 1 (`conv3_x`), emitted as `layerN`.

    `cells` are the table's cell for the stage, the source of every width in `blocks`: one, or
    for a stage whose blocks differ (a pruned network's) several, each a run of the stage's
    blocks in order. Each block names the cell it comes from (`Block.cell`); a run of blocks
    never spans two cells. The repeat count is the sum of the cells' counts and of the blocks'.
    """

    model_config = _NODE

    name: str
    attr: str
    cells: tuple[Cell, ...]
    stride: int
    stride_span: Span | None = None
    blocks: tuple[Block, ...]
    span: Span | None = None
    output: Shape | None = None

    @model_validator(mode="after")
    def _blocks_follow_the_cells(self) -> Stage:
        if not self.cells:
            raise ValueError(f"{self.attr}: a stage has at least one cell")
        index = 0
        ends = list(itertools.accumulate(c.count for c in self.cells))
        for block in self.blocks:
            if block.index != index or block.count < 1:
                raise ValueError(f"{self.attr}: block runs must start at 0 and follow each other")
            if not 0 <= block.cell < len(self.cells):
                raise ValueError(f"{self.attr}.{block.index}: its cell {block.cell} is not one")
            start = ends[block.cell] - self.cells[block.cell].count
            if not (start <= index and index + block.count <= ends[block.cell]):
                raise ValueError(f"{self.attr}.{block.index}: the run is not inside its cell")
            index += block.count
            convs = [(c.kernel, c.out_channels, c.groups) for c in block.convs]
            rows = self.cells[block.cell].rows
            if convs != [(r.kernel, r.filters, r.groups) for r in rows]:
                raise ValueError(f"{self.attr}.{block.index}: its convolutions are not the rows")
        if index != ends[-1]:
            raise ValueError(f"{self.attr}: the blocks are not the cells' {ends[-1]}")
        return self

    @property
    def rows(self) -> tuple[Row, ...]:
        """The rows of the stage's first cell (its only one, unless the stage is pruned)."""
        return self.cells[0].rows

    @property
    def attention(self) -> Attention | None:
        """The attention row of the stage's first cell."""
        return self.cells[0].attention

    @property
    def pruned(self) -> bool:
        """Whether the stage's blocks come from more than one cell (their widths differ)."""
        return len(self.cells) > 1

    @property
    def cell_span(self) -> Span | None:
        """Where the stage's cell is written: from its first cell to its last."""
        first, last = self.cells[0].span, self.cells[-1].span
        if first is None or last is None or first is last:
            return first
        return first._replace(end_line=last.end_line, end_col=last.end_col)

    @property
    def repeats_span(self) -> Span | None:
        """Where the first cell's repeat count is written."""
        return self.cells[0].repeats_span

    @property
    def repeats(self) -> int:
        """How many blocks the stage has."""
        return sum(block.count for block in self.blocks)

    @property
    def cell_text(self) -> str:
        """The table cell in the canonical notation: `[[1x1,64],[3x3,64],[1x1,256]] x 3`, the
        cells of a pruned stage joined by ` + `."""
        return " + ".join(self.cell_texts)

    @property
    def cell_texts(self) -> tuple[str, ...]:
        """Each cell in the canonical notation, as a spec writes them (a list where several)."""
        return tuple(cell.text for cell in self.cells)

    def cell_of(self, block: Block) -> Cell:
        """The cell `block` comes from."""
        return self.cells[block.cell]

    def cell_runs(self, j: int) -> tuple[Block, ...]:
        """The runs of blocks that cell `j` makes, in order (one, or its entry block and the
        copies after it)."""
        return tuple(block for block in self.blocks if block.cell == j)


class Stem(BaseModel):
    """conv1 (+ bn1 + relu unless pre-activation), then the optional pool.

    A deep stem (ResNet-C, `3x3, 32, /2; 3x3, 32; 3x3, 64`) has its earlier convolutions, each
    with its BatchNorm, in `deep` (`conv1.0`, `conv1.1`, `conv1.3`, `conv1.4`: timm's names), and
    `conv` is its last (`conv1.6`). A pool that is more than one layer (ResNet-RS's strided conv
    and BatchNorm, or an anti-aliased max pool) is `pool_layers`, and `pool` is then None.
    """

    model_config = _NODE

    conv: Conv
    norm: Norm | None
    pool: Pool | None = None
    deep: tuple[Conv | Norm, ...] = ()
    pool_layers: tuple[Conv | Norm | Pool | Blur, ...] = ()
    pool_span: Span | None = None
    output: Shape | None = None

    @property
    def convs(self) -> tuple[Conv, ...]:
        """conv1's convolutions, in order (one, or a deep stem's three)."""
        return (*(x for x in self.deep if isinstance(x, Conv)), self.conv)

    @property
    def input_channels(self) -> int:
        """The channels of the network's input."""
        return self.convs[0].in_channels

    @property
    def conv_text(self) -> str:
        """The stem conv's cell in the spec's notation: `7x7, 64, /2` (`3x3, 32, /2; ...`)."""
        return notation.stem_convs_text((c.kernel, c.out_channels, c.stride) for c in self.convs)

    @property
    def pooled(self) -> bool:
        """Whether something pools after conv1 (a pool, or the layers that replace it)."""
        return self.pool is not None or bool(self.pool_layers)

    @property
    def pool_output(self) -> Shape | None:
        """The map after the pool (or the layers that replace it)."""
        if self.pool is not None:
            return self.pool.output
        return self.pool_layers[-1].output if self.pool_layers else None

    @property
    def pool_text(self) -> str:
        """The pool's cell: `3x3 max, /2`, or a conv cell for ResNet-RS's `3x3, 64, /2`."""
        if self.pool is not None:
            return self.pool.cell_text
        first = self.pool_layers[0]
        stride = max(getattr(x, "stride", 1) for x in self.pool_layers)
        if isinstance(first, Conv):
            return notation.stem_text(first.kernel, first.out_channels, stride)
        # Otherwise the layers are an anti-aliased max pool: the pool, then the blur (lower.py).
        assert isinstance(first, Pool)
        return notation.pool_text(first.kernel, first.kind, stride)


class Head(BaseModel):
    """The paper's "average pool, 1000-d fc" (+ the final BN-ReLU of pre-activation nets)."""

    model_config = _NODE

    norm: Norm | None = None
    fc: Linear
    output: Shape | None = None

    @property
    def cell_text(self) -> str:
        """The head row in the paper's words: `average pool, 1000-d fc` (after a final BN-ReLU)."""
        return notation.head_text(self.fc.out_features, self.norm is not None)


class Expectation(NamedTuple):
    """An `expect:` entry: the output size the user expects at `key`."""

    key: str
    h: int
    w: int
    key_span: Span
    span: Span


class Options(BaseModel):
    """The spec's `options:`, with the source of each (None where the default applied)."""

    model_config = _NODE

    downsample_at: Literal["3x3", "1x1"] = "3x3"
    shortcut: Literal["A", "B", "C", "D"] = "B"
    shortcut_kernel: int = 1
    """The kernel of a projection that strides (3: SENet-154's, timm's down_kernel_size=3)."""
    norm_groups: int | None = None
    """None: BatchNorm2d everywhere; G: GroupNorm of G groups everywhere (`norm: GN, G=32`)."""
    zero_init_residual: bool = False
    preact: bool = False
    anti_alias: Literal["none", "blur", "avg"] = "none"
    drop_path: float = 0.0
    shortcut_span: Span | None = None
    anti_alias_span: Span | None = None
    drop_path_span: Span | None = None
    shortcut_kernel_span: Span | None = None
    norm_groups_span: Span | None = None
    allow: tuple[str, ...] = ()
    """The lints silenced for this spec (`options: allow: [...]`, names from front.lintnames)."""


class Network(BaseModel):
    """A whole network, ready for the shape pass (and, once annotated, for costs and emission)."""

    model_config = _NODE

    name: str
    class_name: str
    span: Span | None = None
    input: Shape
    input_span: Span | None = None
    classes: int
    stem: Stem
    stages: tuple[Stage, ...]
    head: Head
    options: Options
    block_kinds: tuple[BlockKind, ...]
    expect: tuple[Expectation, ...] = ()
    expect_downsample: int | None = None
    expect_downsample_span: Span | None = None

    @property
    def pruned(self) -> bool:
        """Whether some stage is written as several cells (a pruned network's)."""
        return any(stage.pruned for stage in self.stages)

    @property
    def annotated(self) -> bool:
        """Whether the shape pass has filled in every output."""
        return self.head.output is not None

    def kind(self, class_name: str) -> BlockKind:
        """The block kind called `class_name`."""
        for kind in self.block_kinds:
            if kind.class_name == class_name:
                return kind
        raise KeyError(class_name)
