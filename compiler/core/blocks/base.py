"""What a block kind defines, and the lowering every kind shares.

A block kind (`BlockDef`) turns the rows of a table cell into residual blocks: it says which rows
it takes (`match`), builds each block's layers (`layers`), describes the class that implements it
(`kind`, an `ir.BlockKind` that every target writes) and the arguments that build one block of it
(`args`). The shape and cost of a block come from its layers, one rule per node kind (core.shapes,
core.costs), so a kind whose layers are the usual nodes needs no rule of its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal, TypedDict

from .. import ir


def stride_row(kernels: tuple[int, ...], downsample_at: str) -> int:
    """Which row of a block carries the stage's stride.

    With `downsample_at: 1x1` (the paper's ResNet v1) the block's first conv; otherwise
    (torchvision's v1.5) its first conv larger than 1x1, or its first if it has none.
    """
    if downsample_at == "1x1":
        return 0
    return next((i for i, k in enumerate(kernels) if k > 1), 0)


def padding(kernel: int) -> int:
    """The padding of a convolution: kernel // 2, so that only strides change the map size."""
    return kernel // 2


@dataclass(frozen=True)
class Layout:
    """How one kind of block is built and described: `preact`, where the stride sits, and the
    zoo's tweaks (`core.blocks.features`): anti-aliasing, drop path, the cells' attention kind."""

    preact: bool
    downsample_at: str
    anti_alias: str = "none"
    drop_path: bool = False
    attention: Literal["se", "eca"] | None = None
    norm_groups: int | None = None
    """GroupNorm's groups (`norm: GN, G=32`); None: BatchNorm."""


class BlockDef(ABC):
    """One kind of residual block: its row pattern, lowering, class and constructor arguments."""

    pattern: str
    """The kind's name (`basic`, `bottleneck`, `generic`), as `ir.BlockKind.pattern` says it."""

    @abstractmethod
    def match(self, rows: tuple[ir.Row, ...]) -> bool:
        """Whether a cell of these rows can be a block of this kind."""

    @abstractmethod
    def kind(
        self, cells: list[tuple[ir.Row, ...]], layout: Layout, taken: set[str]
    ) -> ir.BlockKind | None:
        """The one class for every cell in `cells` (all matched), or None if they cannot share
        one (they then fall to the next kind). `taken` holds the class names already used."""

    @abstractmethod
    def args(self, block: ir.Block, kind: ir.BlockKind) -> tuple[str, ...]:
        """The constructor arguments (before `downsample`) that build `block` as a `kind`."""

    def layers(
        self, rows: tuple[ir.Row, ...], in_channels: int, stride: int, layout: Layout
    ) -> tuple[ir.Conv | ir.Norm, ...]:
        """The block's layers: per row a conv and a BatchNorm over its output (with `preact`, a
        BatchNorm over its input, before it), the stride on the row `stride_row` picks."""
        at = stride_row(tuple(row.kernel for row in rows), layout.downsample_at)
        layers: list[ir.Conv | ir.Norm] = []
        channels = in_channels
        for j, row in enumerate(rows):
            conv = ir.Conv(
                name=f"conv{j + 1}",
                in_channels=channels,
                out_channels=row.filters,
                kernel=row.kernel,
                stride=stride if j == at else 1,
                padding=padding(row.kernel),
                groups=row.groups,
                span=row.span,
                groups_span=row.groups_span,
            )
            width = channels if layout.preact else row.filters  # bnJ: convJ's input or output
            norm = ir.Norm(name=f"bn{j + 1}", channels=width, groups=layout.norm_groups,
                           span=row.span)  # fmt: skip
            layers += [norm, conv] if layout.preact else [conv, norm]
            channels = row.filters
        return tuple(layers)


def kind_rows(
    kernels: tuple[int, ...],
    layout: Layout,
    inputs: list[str],
    outputs: list[str],
    groups: list[str | None] | None = None,
) -> tuple[ir.KindRow, ...]:
    """The rows of a block class: conv J and bn J per kernel, widths named by the expressions."""
    at = stride_row(kernels, layout.downsample_at)
    return tuple(
        ir.KindRow(
            kernel=k,
            padding=padding(k),
            conv=f"conv{j + 1}",
            norm=f"bn{j + 1}",
            in_width=inputs[j],
            out_width=outputs[j],
            groups=groups[j] if groups else None,
            strided=j == at,
        )
        for j, k in enumerate(kernels)
    )


_STRIDE_AT = {
    "3x3": "the first 3x3 (torchvision's ResNet v1.5)",
    "1x1": "the first 1x1 (the paper's ResNet v1)",
}

_PREACT_NOTE = (
    "Each BatchNorm and ReLU comes before its conv (He et al. 2016, Identity Mappings in Deep"
    " Residual Networks); nothing follows the addition."
)


class Description(TypedDict):
    """The docstring fields of an `ir.BlockKind`, as `described` gives them."""

    summary: str
    notes: tuple[str, ...]


def described(summary: str, kernels: tuple[int, ...], layout: Layout, *notes: str) -> Description:
    """A class's `summary` and `notes` (for `ir.BlockKind`): where its stride goes, `notes`, and
    for pre-activation blocks what that means."""
    where = (
        _STRIDE_AT[layout.downsample_at]
        if kernels[0] == 1
        else f"conv{stride_row(kernels, layout.downsample_at) + 1}"
    )
    body = (f"A stride other than 1 goes on {where}.", *notes)
    if layout.preact:
        return {
            "summary": "Pre-activation " + summary[0].lower() + summary[1:],
            "notes": (_PREACT_NOTE, *body),
        }
    return {"summary": summary, "notes": body}


def class_name(base: str, layout: Layout) -> str:
    """`Bottleneck`, or `PreActBottleneck` for pre-activation blocks."""
    return "PreAct" + base if layout.preact else base


def tuple_literal(values) -> str:
    """A Python tuple literal of `values`: `(1,)`, `(64, 64, 256)`."""
    values = [str(v) for v in values]
    return f"({values[0]},)" if len(values) == 1 else f"({', '.join(values)})"
