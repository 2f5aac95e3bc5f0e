"""The intermediate representation: every layer explicit, strides placed, shortcuts chosen.

Frozen pydantic models. `lower` builds them from a spec with every `output` left None; `shapes`
returns a copy with every output filled in. Validators check one node; relations between nodes
(does the shortcut's shape match the main path's?) belong to the shape pass.

A stage's blocks are stored run-length encoded: `Block.count` identical copies starting at
`Block.index`. A stage of 200 blocks is two `Block`s (the entry block and 199 copies), so analysis,
costs and emitted source grow with the table, not with the depth of the network.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, model_validator

from ..front.cells import Cell
from ..front.source import Span


class Shape(NamedTuple):
    """A feature map: channels, height, width (the batch dimension is left out)."""

    c: int
    h: int
    w: int

    def __str__(self) -> str:
        return f"{self.c}x{self.h}x{self.w}"


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
    """A BatchNorm2d over `channels`."""

    model_config = _NODE

    name: str
    channels: int
    span: Span | None = None
    output: Shape | None = None


class Pool(BaseModel):
    """Max or average pooling (the stem's 3x3/2)."""

    model_config = _NODE

    name: str
    kind: Literal["max", "avg"]
    kernel: int
    stride: int
    padding: int
    span: Span | None = None
    output: Shape | None = None


class Linear(BaseModel):
    """The classifier: a fully connected layer with bias."""

    model_config = _NODE

    name: str
    in_features: int
    out_features: int
    span: Span | None = None
    output: Shape | None = None


Layer = Conv | Norm | Pool | Linear


class Shortcut(BaseModel):
    """The residual branch of a block.

    `identity`: x itself. `projection`: 1x1 conv + BN (`downsample.0`, `downsample.1`), the paper's
    options B and C. `zeropad`: option A, parameter free: every `stride`-th pixel, new channels
    zero.
    """

    model_config = _NODE

    kind: Literal["identity", "projection", "zeropad"]
    in_channels: int
    out_channels: int
    stride: int = 1
    layers: tuple[Conv | Norm, ...] = ()
    output: Shape | None = None


class BlockKind(BaseModel):
    """A block class of the generated module: which rows it has and where its stride sits."""

    model_config = _NODE

    class_name: str
    pattern: Literal["basic", "bottleneck", "generic"]
    kernels: tuple[int, ...]
    stride_row: int
    preact: bool = False
    expansion: int | None = None
    grouped: bool = False


class Block(BaseModel):
    """`count` identical residual blocks, the first at position `index` of its stage."""

    model_config = _NODE

    index: int
    count: int = 1
    kind: str
    in_channels: int
    out_channels: int
    stride: int
    layers: tuple[Conv | Norm, ...]
    shortcut: Shortcut
    preact: bool = False
    span: Span | None = None
    input: Shape | None = None
    output: Shape | None = None

    @property
    def convs(self) -> tuple[Conv, ...]:
        """The main path's convolutions, in order."""
        return tuple(layer for layer in self.layers if isinstance(layer, Conv))

    @property
    def widths(self) -> tuple[int, ...]:
        """The main path's filters per row."""
        return tuple(conv.out_channels for conv in self.convs)


class Stage(BaseModel):
    """One row of Table 1 (`conv3_x`), emitted as `layerN`."""

    model_config = _NODE

    name: str
    attr: str
    cell: Cell
    stride: int
    stride_span: Span | None = None
    blocks: tuple[Block, ...]
    span: Span | None = None
    output: Shape | None = None

    @property
    def repeats(self) -> int:
        """How many blocks the stage has."""
        return sum(block.count for block in self.blocks)


class Stem(BaseModel):
    """conv1 (+ bn1 + relu unless pre-activation), then the optional pool."""

    model_config = _NODE

    conv: Conv
    norm: Norm | None
    pool: Pool | None = None
    output: Shape | None = None


class Head(BaseModel):
    """The paper's "average pool, 1000-d fc" (+ the final BN-ReLU of pre-activation nets)."""

    model_config = _NODE

    norm: Norm | None = None
    fc: Linear
    output: Shape | None = None


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
    shortcut: Literal["A", "B", "C"] = "B"
    zero_init_residual: bool = False
    preact: bool = False
    shortcut_span: Span | None = None


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
    def annotated(self) -> bool:
        """Whether the shape pass has filled in every output."""
        return self.head.output is not None

    def kind(self, class_name: str) -> BlockKind:
        """The block kind called `class_name`."""
        for kind in self.block_kinds:
            if kind.class_name == class_name:
                return kind
        raise KeyError(class_name)
