"""The geometry of the network figure, computed once and drawn by two renderers (SVG and TikZ).

Everything is in millimetres, x to the right and y downwards from the top-left corner. The
figure reads left to right: the input, conv1, the pool, each stage, the classifier. Every
feature map is a box **drawn to scale**, by one rule the legend states: the box is as tall as the
map (`px_per_mm` pixels of map height per millimetre) and as wide as its channels
(`channels_per_mm` channels per millimetre), never thinner than `MIN_SIDE`. Both scales are
powers of two, the smallest that keep the tallest box under `MAX_BOX_HEIGHT` and all the boxes
together under `MAX_BOXES_WIDTH`, so a figure is as wide for ResNet-152 as for ResNet-50.

A stage is a shaded column holding its blocks, with its name, its cell as Table 1 prints it
(the block's rows in brackets, `× n`) and its output size underneath. Each run of identical
blocks (the IR's `Block` with its `count`) is one box with its count under it, so a stage of 36
blocks is drawn as its entry block and one box marked `×35`. Over every drawn block arcs its
shortcut: solid for the identity, dashed with a square (a 1x1 convolution) for a projection,
dotted and marked `A` for option A's zero padding.

`layout(network)` returns a `Figure`; `diagram.svg()` and `tikz.document()` render it and decide
nothing about where anything goes. Text widths are estimated (`text_width`) generously enough for
the renderers' sans-serif faces at the sizes of `FONT_PT`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core import costs, ir
from ..front import notation
from .figure_model import (
    BOLD,
    FONT_PT,
    HEAD_COLOUR,
    INPUT_COLOUR,
    MIN_SIDE,
    PT,
    STAGE_COLOURS,
    STEM_COLOUR,
    Arc,
    Arrow,
    Box,
    Figure,
    Label,
    Part,
    Scale,
)

LINE = 3.0  # baseline to baseline of 7 pt text
EM_PER_CHAR = 0.53

MARGIN = 3.0
COL_GAP = 3.5
ARC_PAD = 2.5  # an arc leaves the main line this far before its box, and lands this far after
UNIT_GAP = 2 * ARC_PAD + 1.5
ARC_RISE = 3.0  # the apex of an arc above its box
FRAME_PAD = 1.5
BRACKET = 1.0  # width of a bracket's serifs
CELL_GAP = 1.2  # between the stacked cells of a pruned stage
MAX_STACKED = 4  # a pruned stage's cells stacked in one column of matrices; more start another
STACK_GAP = 2.5  # between two such columns

MAX_BOX_HEIGHT = 30.0
MAX_BOXES_WIDTH = 50.0

SHORTCUT_WORDS = {
    "identity": "identity shortcut",
    "projection": "projection shortcut (1×1 conv)",
    "zeropad": "option A: zero-padding shortcut",
}

WIDE_PROJECTION_WORDS = "projection shortcut (3×3 conv where it strides, else 1×1)"
"""The projections' words with `shortcut_kernel: 3x3` (SENet-154's)."""

AVG_DOWN_WORDS = "projection shortcut (ResNet-D: 2×2 avg pool where the map halves, 1×1 conv)"

FOLD_WORDS = (
    "A run of identical blocks is drawn once with its count; a shaded column is one stage,"
    " its cell as Table 1 writes it."
)

PRUNED_WORDS = (
    "A pruned stage is written as several cells, read down (then across), each a run of blocks with"
    " widths of its own; all end at one width."
)
"""The legend's line for a network with a pruned stage."""


# ---------------------------------------------------------------- text


def figure_text(text: str) -> str:
    """The notation with a times sign: `7x7, 64, /2` -> `7×7, 64, /2`, `64x56x56` -> `64×56×56`."""
    return re.sub(r"(?<=[0-9])x(?=[0-9])", "×", text)


def text_width(text: str, role: str = "text") -> float:
    """About how wide `text` is in millimetres (generous, so that labels keep their room)."""
    em = FONT_PT[role] * PT * (1.1 if role in BOLD else 1.0)
    return sum(1.4 if ch == "×" else 1.0 for ch in text) * EM_PER_CHAR * em


def _ascent(role: str) -> float:
    return 0.75 * FONT_PT[role] * PT


# ---------------------------------------------------------------- columns, before placement


@dataclass(frozen=True)
class _Unit:
    """A box of a column: a map, and over it the shortcut of the blocks it stands for."""

    shape: ir.Shape
    shortcut: str | None = None
    count: int = 0


@dataclass(frozen=True)
class _Column:
    """A part before placement: its boxes and its words."""

    key: str
    title: str
    colour: str
    units: tuple[_Unit, ...]
    name: str
    lines: tuple[str, ...] = ()
    cells: tuple[tuple[tuple[str, ...], str], ...] = ()
    """A stage's cells, each its bracketed rows and `×n`: one, or a pruned stage's several,
    stacked in order."""
    output: str = ""
    stage: bool = False


def part_colours(net: ir.Network) -> dict[str, str]:
    """The colour of each part (`input`, `conv1`, `pool`, `layer1`..., `head`) in the figure."""
    out = {"input": INPUT_COLOUR, "conv1": STEM_COLOUR, "pool": STEM_COLOUR, "head": HEAD_COLOUR}
    for i, stage in enumerate(net.stages):
        out[stage.attr] = STAGE_COLOURS[i % len(STAGE_COLOURS)]
    return out


def _row_text(row: ir.Row) -> str:
    """`3×3, 64`: a row as Table 1 typesets it (the notation's `3x3, 64` with a times sign)."""
    return notation.row_words(row).replace("x", "×", 1)


def _matrix(cell: ir.Cell) -> tuple[str, ...]:
    """A cell's bracketed rows as the figure prints them, its attention row (SENet's `fc, [16,
    256]`, ECA's `eca, k=5`) last, as the table writes it."""
    rows = tuple(_row_text(r) for r in cell.rows)
    if cell.attention is None:
        return rows
    return (*rows, figure_text(notation.attention_words(cell.attention)))


def _columns(net: ir.Network) -> list[_Column]:
    colours = part_colours(net)
    stem = net.stem
    conv = stem.conv_text
    cols = [
        _Column("input", f"input, {net.input}", colours["input"], (_Unit(net.input),), "input",
                output=figure_text(str(net.input))),
        _Column("conv1", f"conv1: {conv}, output {stem.conv.output}", colours["conv1"],
                (_Unit(ir.annotated(stem.conv.output)),), "conv1", (figure_text(conv),),
                output=figure_text(str(stem.conv.output))),
    ]  # fmt: skip
    if stem.pool is not None:
        pool = stem.pool.cell_text
        cols.append(_Column("pool", f"pool: {pool}, output {stem.pool.output}", colours["pool"],
                            (_Unit(ir.annotated(stem.pool.output)),), "pool", (figure_text(pool),),
                            output=figure_text(str(stem.pool.output))))  # fmt: skip
    for stage in net.stages:
        units = tuple(_Unit(ir.annotated(b.output), b.shortcut.kind, b.count) for b in stage.blocks)
        cols.append(
            _Column(
                stage.attr,
                f"{stage.name}: {stage.cell_text}, output {stage.output}",
                colours[stage.attr],
                units,
                stage.name,
                cells=tuple((_matrix(cell), f"×{cell.count:,}") for cell in stage.cells),
                output=figure_text(str(stage.output)),
                stage=True,
            )
        )
    head = net.head.cell_text
    cols.append(_Column("head", f"head: {head}, output {net.classes}", colours["head"],
                        (_Unit(ir.annotated(net.head.output)),), "fc", tuple(head.split(", ")),
                        output=str(net.classes)))  # fmt: skip
    return cols


# ---------------------------------------------------------------- the scale


def _power_of_two(total: float, limit: float) -> float:
    """The smallest 2**k (k >= -3) with total / 2**k <= limit."""
    k = -3
    while total / 2.0**k > limit:
        k += 1
    return 2.0**k


def _scale(cols: list[_Column]) -> Scale:
    shapes = [u.shape for c in cols for u in c.units]
    return Scale(
        px_per_mm=_power_of_two(max(s.h for s in shapes), MAX_BOX_HEIGHT),
        channels_per_mm=_power_of_two(sum(s.c for s in shapes), MAX_BOXES_WIDTH),
    )


def _size(shape: ir.Shape, scale: Scale) -> tuple[float, float]:
    """(width, height) of the box of `shape`, in millimetres."""
    w = max(MIN_SIDE, shape.c / scale.channels_per_mm)
    return w, max(MIN_SIDE, shape.h / scale.px_per_mm)


# ---------------------------------------------------------------- placement


@dataclass(frozen=True)
class _Rows:
    """The heights every column shares: the main line, and where the words begin and end."""

    mid: float
    frame_top: float
    words_top: float
    words_bottom: float


def _words_width(col: _Column) -> float:
    widths = [text_width(col.name, "name"), text_width(col.output)]
    widths += [text_width(t) for t in col.lines]
    if col.cells:
        stacks = [_stack_widths(stack) for stack in _stacks(col)]
        widths.append(sum(w for *_, w in stacks) + STACK_GAP * (len(stacks) - 1))
    return max(widths)


_Cells = tuple[tuple[tuple[str, ...], str], ...]


def _stacks(col: _Column) -> list[_Cells]:
    """The column's cells in columns of matrices: one, or for a pruned stage of more than
    `MAX_STACKED` cells several, side by side, each read downwards."""
    return [col.cells[i : i + MAX_STACKED] for i in range(0, len(col.cells), MAX_STACKED)]


def _stack_widths(stack: _Cells) -> tuple[float, float, float]:
    """The widest row of a stack of cells, its widest `×n`, and its whole width: the brackets of
    one stack align."""
    inner = max(text_width(t) for matrix, _ in stack for t in matrix)
    rep = max(text_width(repeats) for _, repeats in stack)
    return inner, rep, inner + 2 * BRACKET + 1.6 + rep


def _stack_rows(stack: _Cells) -> tuple[int, int]:
    """The rows of a stack of cells, and the gaps between its cells."""
    return sum(len(matrix) for matrix, _ in stack), len(stack) - 1


def _words_height(col: _Column) -> float:
    rows, gaps = max(
        (_stack_rows(stack) for stack in _stacks(col)),
        key=lambda r: LINE * r[0] + CELL_GAP * r[1],
        default=(0, 0),
    )
    height = LINE * (2 + len(col.lines) + rows)
    return height + CELL_GAP * gaps if gaps else height


def _units_width(col: _Column, scale: Scale) -> float:
    widths = [_size(u.shape, scale)[0] for u in col.units]
    pad = 2 * ARC_PAD if col.stage else 0.0
    return sum(widths) + UNIT_GAP * (len(widths) - 1) + pad


def _rows(cols: list[_Column], scale: Scale) -> _Rows:
    heights = [(_size(u.shape, scale)[1], c.stage) for c in cols for u in c.units]
    tallest = max(h for h, _ in heights)
    above = max(h / 2 + (ARC_RISE + 2.8 if arced else 0) for h, arced in heights)
    below = max(h / 2 + (3.2 if arced else 0) for h, arced in heights)
    heading_room = MARGIN + LINE + 2.5
    mid = heading_room + FRAME_PAD + max(above, tallest / 2)
    words_top = mid + below + 3.0
    words = max(_words_height(c) for c in cols)
    return _Rows(mid, mid - above - FRAME_PAD, words_top, words_top + words)


def _place(col: _Column, x: float, rows: _Rows, scale: Scale) -> tuple[Part, float]:
    """The part of `col` with its left edge at `x`, and the width it takes."""
    units_w = _units_width(col, scale)
    inner = max(units_w, _words_width(col))
    width = inner + (2 * FRAME_PAD if col.stage else 0)
    part = Part(col.key, col.title, col.colour)
    if col.stage:
        h = rows.words_bottom + FRAME_PAD - 1.0 - rows.frame_top
        part.frame = Box(x, rows.frame_top, width, h, col.colour)
    bx = x + (width - units_w) / 2 + (ARC_PAD if col.stage else 0)
    for i, unit in enumerate(col.units):
        w, h = _size(unit.shape, scale)
        part.boxes.append(Box(bx, rows.mid - h / 2, w, h, col.colour))
        if i:
            prev = part.boxes[-2]
            part.arrows.append(Arrow(prev.x + prev.w, bx, rows.mid))
        if unit.shortcut is not None:
            cy = rows.mid - (h / 2 + ARC_RISE) / 0.75
            part.arcs.append(Arc(bx - ARC_PAD, bx + w + ARC_PAD, rows.mid, cy, unit.shortcut))
            count = f"×{unit.count:,}"
            part.labels.append(Label(bx + w / 2, rows.mid + h / 2 + 3.0, count, "small"))
        bx += w + UNIT_GAP
    _words(part, col, x + width / 2, rows)
    return part, width


def _words(part: Part, col: _Column, cx: float, rows: _Rows) -> None:
    """The name, the cell and the output size, centred under the column from `rows.words_top`."""
    y = rows.words_top + _ascent("name")
    part.labels.append(Label(cx, y, col.name, "name"))
    for line in col.lines:
        y += LINE
        part.labels.append(Label(cx, y, line))
    stacks = _stacks(col)
    widths = [_stack_widths(stack) for stack in stacks]
    x = cx - (sum(w for *_, w in widths) + STACK_GAP * (len(widths) - 1)) / 2
    start = end = y
    for stack, (inner, _, width) in zip(stacks, widths, strict=True):
        y, left, right = start, x, x + inner + 2 * BRACKET
        for i, (matrix, repeats) in enumerate(stack):
            if i:  # a pruned stage's next cell, under the last
                y += CELL_GAP
            top = y + LINE - _ascent("text") - 0.5
            for row in matrix:
                y += LINE
                part.labels.append(Label(left + BRACKET + inner / 2, y, row))
            bottom = y + 0.9
            part.brackets.append(_bracket(left, top, bottom, 1))
            part.brackets.append(_bracket(right, top, bottom, -1))
            middle = (top + bottom) / 2 + _ascent("text") / 2
            part.labels.append(Label(right + 1.6, middle, repeats, anchor="start"))
        end = max(end, y)
        x += width + STACK_GAP
    y = end + LINE
    part.labels.append(Label(cx, y, col.output))


def _bracket(x: float, top: float, bottom: float, side: int) -> tuple[tuple[float, float], ...]:
    """A square bracket whose spine is at `x`; `side` 1 opens to the right ([), -1 to the left."""
    tip = x + side * BRACKET
    return ((tip, top), (x, top), (x, bottom), (tip, bottom))


# ---------------------------------------------------------------- the legend and the whole


def _legend(net: ir.Network, scale: Scale, top: float) -> tuple[list[Arc], list[Label], float]:
    """Samples of the shortcuts drawn, and the scale's rule; returns the width taken too."""
    kinds = [
        k
        for k in ("identity", "projection", "zeropad")
        if any(b.shortcut.kind == k for s in net.stages for b in s.blocks)
    ]
    arcs, labels = [], []
    x, y = MARGIN, top + 3.2
    avg_down = any(b.shortcut.avg_down for s in net.stages for b in s.blocks)
    wide = any(b.shortcut.kernel != 1 for s in net.stages for b in s.blocks)
    for kind in kinds:
        arcs.append(Arc(x, x + 7.0, y, y - 3.6, kind))
        words = SHORTCUT_WORDS[kind]
        if kind == "projection" and (avg_down or wide):
            words = AVG_DOWN_WORDS if avg_down else WIDE_PROJECTION_WORDS
        labels.append(Label(x + 8.5, y, words, anchor="start"))
        x += 8.5 + text_width(words) + 5.0
    right = x - 5.0
    notes: tuple[str, ...] = (scale.words(), FOLD_WORDS)
    if net.pruned:
        notes += (PRUNED_WORDS,)
    for words in notes:
        y += LINE + 0.6
        labels.append(Label(MARGIN, y, words, anchor="start"))
        right = max(right, MARGIN + text_width(words))
    return arcs, labels, right


def layout(net: ir.Network) -> Figure:
    """The figure of the shape-annotated `net`, in millimetres."""
    cols = _columns(net)
    scale = _scale(cols)
    rows = _rows(cols, scale)
    parts: list[Part] = []
    x = MARGIN
    for col in cols:
        part, width = _place(col, x, rows, scale)
        if parts:
            prev = parts[-1].boxes[-1]
            part.arrows.insert(0, Arrow(prev.x + prev.w, part.boxes[0].x, rows.mid))
        parts.append(part)
        x += width + COL_GAP
    arcs, labels, legend_right = _legend(net, scale, rows.words_bottom + 4.0)
    params, macs = costs.totals(net)
    heading = (
        f"{net.name}: {params:,} parameters, {macs:,} multiply-adds at {net.input.h}×{net.input.w}"
    )
    right = max(x - COL_GAP, legend_right, MARGIN + text_width(heading, "heading"))
    return Figure(
        width=round(right + MARGIN, 1),
        height=round(labels[-1].y + 1.5 + MARGIN, 1),
        title=f"{net.name}: the feature maps from the input to the classifier",
        desc=_desc(net),
        heading=Label(MARGIN, MARGIN + _ascent("heading") + 0.5, heading, "heading", "start"),
        scale=scale,
        parts=parts,
        legend_arcs=arcs,
        legend_labels=labels,
    )


def _desc(net: ir.Network) -> str:
    chain = " -> ".join(
        [str(net.input), str(net.stem.conv.output)]
        + ([str(net.stem.pool.output)] if net.stem.pool is not None else [])
        + [f"{s.output} ({s.name}, {s.repeats:,} blocks)" for s in net.stages]
        + [str(net.classes)]
    )
    return f"Feature maps (channels x height x width): {chain}."
