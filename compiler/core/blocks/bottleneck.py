"""The bottleneck block: a 1x1 that reduces, a 3x3, a 1x1 that expands (ResNet-50 and deeper).

As in torchvision, a block is built from `planes` and the class's `expansion` (4): its output is
`planes * expansion` channels. ResNeXt and Wide ResNet give the 3x3 a width of its own (`width`,
128 where planes is 64 in ResNeXt-50 32x4d's first stage), which torchvision computes from
`groups` and `base_width`; here it comes straight from the table.
"""

from __future__ import annotations

from .. import ir
from .base import BlockDef, Layout, class_name, described, kind_rows

EXPANSION = 4
"""torchvision's `Bottleneck.expansion`: a block outputs `planes * 4` channels."""

_KERNELS = (1, 3, 1)


class Bottleneck(BlockDef):
    """torchvision's `Bottleneck(in_channels, planes, stride, groups)` (with `width` if needed)."""

    pattern = "bottleneck"

    def match(self, rows: tuple[ir.Row, ...]) -> bool:
        """1x1, 3x3, 1x1; the first two of one width; only the 3x3 may be grouped."""
        return (
            tuple(r.kernel for r in rows) == _KERNELS
            and rows[0].groups == rows[2].groups == 1
            and rows[0].filters == rows[1].filters
        )

    def kind(
        self, cells: list[tuple[ir.Row, ...]], layout: Layout, taken: set[str]
    ) -> ir.BlockKind | None:
        """One class for every bottleneck of the network, or None if their expansions differ."""
        expansion = _expansion(cells)
        if expansion is None:
            return None
        own_width = any(_planes(rows, expansion) != rows[1].filters for rows in cells)
        grouped = any(rows[1].groups != 1 for rows in cells)
        width = "width" if own_width else "planes"
        params = [ir.Param("in_channels", "int"), ir.Param("planes", "int")]
        notes = []
        if own_width:
            params.append(ir.Param("width", "int"))
            notes.append(
                "`width` is conv1's and conv2's width, read from the table (torchvision computes"
                " it as planes * base_width / 64 * groups)."
            )
        params.append(ir.Param("stride", "int", "1"))
        if grouped:
            params.append(ir.Param("groups", "int", "1"))
            notes.append("`groups` > 1 makes a convolution grouped (C in the ResNeXt paper).")
        return ir.BlockKind(
            class_name=class_name("Bottleneck", layout),
            pattern=self.pattern,
            **described(
                # "Pre-activation bottleneck block: ..." would not fit a docstring's first line
                f"Bottleneck{'' if layout.preact else ' block'}: [[1x1, {width}], [3x3, {width}],"
                f" [1x1, {expansion} * planes]].",
                _KERNELS,
                layout,
                *notes,
            ),
            params=tuple(params),
            attributes=(ir.Param("expansion", "int", str(expansion)),),
            setup=("out_channels = planes * self.expansion",),
            rows=kind_rows(
                _KERNELS,
                layout,
                ["in_channels", width, width],
                [width, width, "out_channels"],
                [None, "groups" if grouped else None, None],
            ),
            preact=layout.preact,
            expansion=expansion,
        )

    def args(self, block: ir.Block, kind: ir.BlockKind) -> tuple[str, ...]:
        """`(in_channels, planes[, width=w][, stride=s][, groups=g])`."""
        rows = block.convs
        expansion = kind.expansion or EXPANSION
        out = [str(block.in_channels), str(rows[2].out_channels // expansion)]
        if any(p.name == "width" for p in kind.params):
            out.append(f"width={rows[1].out_channels}")
        if block.stride != 1:
            out.append(f"stride={block.stride}")
        if rows[1].groups != 1:
            out.append(f"groups={rows[1].groups}")
        return tuple(out)


def _planes(rows: tuple[ir.Row, ...], expansion: int) -> int:
    return rows[2].filters // expansion


def _expansion(cells: list[tuple[ir.Row, ...]]) -> int | None:
    """torchvision's 4 where every output divides by it; else the one ratio of output to width
    that all cells share; else None (no single class fits)."""
    if all(rows[2].filters % EXPANSION == 0 for rows in cells):
        return EXPANSION
    ratios = {rows[2].filters // rows[1].filters for rows in cells}
    exact = all(rows[2].filters % rows[1].filters == 0 for rows in cells)
    return ratios.pop() if exact and len(ratios) == 1 else None


DEFINITION = Bottleneck()
