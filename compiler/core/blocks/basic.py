"""The basic block: two 3x3 convolutions of one width (`[[3x3, 64], [3x3, 64]]`, ResNet-18/34)."""

from __future__ import annotations

from .. import ir
from .base import BlockDef, Layout, class_name, described, kind_rows


class Basic(BlockDef):
    """torchvision's `BasicBlock(in_channels, width, stride)`, expansion 1."""

    pattern = "basic"

    def match(self, rows: tuple[ir.Row, ...]) -> bool:
        """Two ungrouped 3x3 rows of the same width."""
        return (
            tuple(r.kernel for r in rows) == (3, 3)
            and all(r.groups == 1 for r in rows)
            and rows[0].filters == rows[1].filters
        )

    def kind(
        self, cells: list[tuple[ir.Row, ...]], layout: Layout, taken: set[str]
    ) -> ir.BlockKind:
        """`BasicBlock`, the same class for every stage of basic blocks."""
        return ir.BlockKind(
            class_name=class_name("BasicBlock", layout),
            pattern=self.pattern,
            **described("Basic block: [[3x3, width], [3x3, width]].", (3, 3), layout),
            params=(
                ir.Param("in_channels", "int"),
                ir.Param("width", "int"),
                ir.Param("stride", "int", "1"),
            ),
            attributes=(ir.Param("expansion", "int", "1"),),
            rows=kind_rows((3, 3), layout, ["in_channels", "width"], ["width", "width"]),
            preact=layout.preact,
            expansion=1,
        )

    def args(self, block: ir.Block, kind: ir.BlockKind) -> tuple[str, ...]:
        """`(in_channels, width[, stride=s])`."""
        stride = (f"stride={block.stride}",) if block.stride != 1 else ()
        return (str(block.in_channels), str(block.widths[0]), *stride)


DEFINITION = Basic()
