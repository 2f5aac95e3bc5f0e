"""Block kinds: the residual block classes a table cell can become, one definition each.

`DEFINITIONS` lists them in order of preference (each in its own module): a cell's blocks are of
the first kind that `match`es its rows and accepts it alongside the network's other cells of that
kind (`BlockDef.kind`: ResNet-50's four stages share one `Bottleneck` class; bottlenecks of
expansions no single class can hold fall to `generic`). To add a kind, write its module (a
`BlockDef`: match, layers, kind, args) and add it here; docs/architecture.md walks through one.
"""

from __future__ import annotations

from .. import ir
from . import features
from .base import BlockDef, Layout, stride_row
from .basic import DEFINITION as BASIC
from .bottleneck import DEFINITION as BOTTLENECK
from .features import anti_alias_layer, with_extras
from .generic import DEFINITION as GENERIC

__all__ = [
    "DEFINITIONS",
    "BlockDef",
    "Layout",
    "anti_alias_layer",
    "assign",
    "choose",
    "stride_row",
    "with_extras",
]

DEFINITIONS: tuple[BlockDef, ...] = (BASIC, BOTTLENECK, GENERIC)
"""Every block kind, most specific first; the last matches any cell."""


def choose(rows: tuple[ir.Row, ...]) -> BlockDef:
    """The first kind whose pattern the rows match (its `layers` lower the cell)."""
    return next(d for d in DEFINITIONS if d.match(rows))


def assign(
    stages: list[ir.Stage], layout: Layout
) -> tuple[list[ir.Stage], tuple[ir.BlockKind, ...]]:
    """Give every block its class and constructor arguments; return the classes in the order the
    stages first use them. Each cell is matched (a pruned stage's cells each on their own)."""
    cells = [(i, j) for i, stage in enumerate(stages) for j in range(len(stage.cells))]
    chosen: dict[tuple[int, int], tuple[BlockDef, ir.BlockKind]] = {}
    taken: set[str] = set()
    for definition in DEFINITIONS:
        groups: dict[tuple, list[tuple[int, int]]] = {}
        for i, j in cells:
            cell = stages[i].cells[j]
            if (i, j) not in chosen and definition.match(cell.rows):
                attention = cell.attention.kind if cell.attention is not None else None
                key = (tuple(r.kernel for r in cell.rows), attention)
                groups.setdefault(key, []).append((i, j))
        for members in groups.values():
            first = stages[members[0][0]].cells[members[0][1]]
            group = features.group_layout(layout, first.attention)
            kind = definition.kind([stages[i].cells[j].rows for i, j in members], group, taken)
            if kind is None:
                continue
            kind = features.described(kind, group)
            taken.add(kind.class_name)
            chosen.update(dict.fromkeys(members, (definition, kind)))
    out: list[ir.Stage] = []
    kinds: dict[str, ir.BlockKind] = {}
    for i, stage in enumerate(stages):
        updated = []
        for b in stage.blocks:
            definition, kind = chosen[(i, b.cell)]
            kinds.setdefault(kind.class_name, kind)
            args = definition.args(b, kind) + features.args(b)
            updated.append(b.model_copy(update={"kind": kind.class_name, "args": args}))
        out.append(stage.model_copy(update={"blocks": tuple(updated)}))
    return out, tuple(kinds.values())
