"""Any other block: its class takes the widths as a tuple (`TwoConvBlock(64, (64, 128))`)."""

from __future__ import annotations

from .. import ir
from .base import BlockDef, Layout, class_name, described, kind_rows, tuple_literal

_COUNT_WORDS = ("", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight")


class Generic(BlockDef):
    """A block of any rows; one class per kernel sequence (`ThreeConvBlock`, `TwoConvBlockK5K3`)."""

    pattern = "generic"

    def match(self, rows: tuple[ir.Row, ...]) -> bool:
        """Every cell: this is the kind of last resort."""
        return True

    def kind(
        self, cells: list[tuple[ir.Row, ...]], layout: Layout, taken: set[str]
    ) -> ir.BlockKind:
        """The class for cells of one kernel sequence, widths and groups passed as tuples."""
        kernels = tuple(r.kernel for r in cells[0])
        n = len(kernels)
        grouped = any(r.groups != 1 for rows in cells for r in rows)
        tuple_type = f"tuple[{', '.join(['int'] * n)}]"
        params = [
            ir.Param("in_channels", "int"),
            ir.Param("widths", tuple_type),
            ir.Param("stride", "int", "1"),
        ]
        notes = []
        if grouped:
            params.append(ir.Param("groups", tuple_type, tuple_literal([1] * n)))
            notes.append("`groups` > 1 makes a convolution grouped (C in the ResNeXt paper).")
        outputs = [f"widths[{i}]" for i in range(n)]
        rows = ", ".join(f"[{k}x{k}, w{i + 1}]" for i, k in enumerate(kernels))
        plural = "s" if n > 1 else ""
        return ir.BlockKind(
            class_name=_name(kernels, layout, taken),
            pattern=self.pattern,
            **described(
                f"Residual block of {n} convolution{plural}: [{rows}].", kernels, layout, *notes
            ),
            params=tuple(params),
            rows=kind_rows(
                kernels,
                layout,
                ["in_channels", *outputs[:-1]],
                outputs,
                [f"groups[{i}]" if grouped else None for i in range(n)],
            ),
            preact=layout.preact,
        )

    def args(self, block: ir.Block, kind: ir.BlockKind) -> tuple[str, ...]:
        """`(in_channels, (w1, w2, ...)[, stride=s][, groups=(g1, g2, ...)])`."""
        convs = block.convs
        out = [str(block.in_channels), tuple_literal(c.out_channels for c in convs)]
        if block.stride != 1:
            out.append(f"stride={block.stride}")
        if any(c.groups != 1 for c in convs):
            out.append(f"groups={tuple_literal(c.groups for c in convs)}")
        return tuple(out)


def _name(kernels: tuple[int, ...], layout: Layout, taken: set[str]) -> str:
    """`ThreeConvBlock`, or with the kernels spelled out where that name is taken."""
    base = (
        f"{_COUNT_WORDS[len(kernels)]}ConvBlock"
        if len(kernels) < len(_COUNT_WORDS)
        else f"Conv{len(kernels)}Block"
    )
    if class_name(base, layout) not in taken:
        return class_name(base, layout)
    return class_name(base + "K" + "K".join(str(k) for k in kernels), layout)


DEFINITION = Generic()
