"""How every Python target comments a stage: its cell over the stage, and a pruned stage's cells
over the blocks each one makes (`# [[1x1,47],[3x3,18],[1x1,19]] x 1` above `layer1.0`)."""

from __future__ import annotations

from collections.abc import Sequence

from ..core import ir
from .pylayout import Commented, Expr


def stage_comment_text(stage: ir.Stage, output: str) -> str:
    """`conv3_x: [[3x3,128],[3x3,128]] x 2 -> 128x28x28`; for a pruned stage its count of cells
    and blocks, each cell then commented over its blocks (`cell_comments`)."""
    if not stage.pruned:
        return f"{stage.name}: {stage.cell_text} -> {output}"
    return (
        f"{stage.name}: {len(stage.cells)} cells, {stage.repeats} blocks (a pruned stage: each"
        f" cell's blocks have widths of their own) -> {output}"
    )


def cell_comments(stage: ir.Stage, entries: Sequence[Expr]) -> list[Expr]:
    """The stage's entries (one per run of blocks), each cell's first run of a pruned stage with
    the cell written above it."""
    if not stage.pruned:
        return list(entries)
    out: list[Expr] = []
    seen: set[int] = set()
    for block, entry in zip(stage.blocks, entries, strict=True):
        if block.cell in seen:
            out.append(entry)
            continue
        seen.add(block.cell)
        out.append(Commented(stage.cell_of(block).text, entry))
    return out


def table_rows(stage: ir.Stage, output: str) -> list[tuple[str, str, str]]:
    """The stage's rows of a module docstring's table (name, cell, output): one, or one per cell
    of a pruned stage, the name on the first and the output on the last."""
    texts = stage.cell_texts
    return [
        (stage.name if i == 0 else "", text, output if i == len(texts) - 1 else "")
        for i, text in enumerate(texts)
    ]
