"""A pasted table's rows -> its columns (layer name, output size, one per model) and its layers.

The header row says which column is which. Each later row is lined up with the header (a web copy
leaves out the cells a rowspan covers), and rows are grouped into layers: a row with a layer name
starts one (`conv2_x`), a row without continues it (the paper's `\\multirow`), and a row with only
an output size starts an unnamed one (the head row: `1×1`, `average pool, 1000-d fc, softmax`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..front.diagnostics import CompileError, Diagnostic, fail, note
from ..front.notation import BY_SIGN
from ..front.source import Source, Span
from ..front.yamlsrc import Scalar
from .text import MAX_TABLE_CELLS, Cell, Row, Text, clean

_NAME_HEADER = re.compile(
    r"(?:layers?|stages?|blocks?|groups?)?\s*names?|layers?|stages?|groups?", re.I
)
_SIZE_HEADER = re.compile(
    r"(?:output|feature\s*map|map)?\s*(?:size|shape|resolution)s?|output", re.I
)
_LAYER_NAME = re.compile(r"[A-Za-z][\w.\- ]*")
_SIZE = re.compile(rf"[0-9]+\s*(?:{BY_SIGN}\s*[0-9]+\s*){{0,2}}")


@dataclass(frozen=True)
class Layout:
    """Which column is which, from the header row."""

    header: Row
    count: int
    name: int
    size: int
    models: tuple[int, ...]
    titles: tuple[Text, ...]
    """Each model column's header text, cleaned (`18-layer`)."""


NO_NAMES = -1
"""`Layout.name` of a table without a layer-name column (SENet's Table 1): each row that gives an
output size starts a layer, named as the ResNet paper would (conv1, conv2_x, ...)."""


@dataclass
class Layer:
    """A layer of the table: its name and output-size cells and its rows' model cells."""

    name: Text
    size: Text | None
    first: Row
    rows: list[tuple[Row, list[Cell | None]]] = field(default_factory=list)


_DATA_NAME = re.compile(r"conv\s*[0-9]+\w*|stem|input|image", re.I)


def table_layout(
    source: Source, rows: list[Row], names: list[Scalar] | None
) -> tuple[Layout, list[Row]]:
    """The columns and the data rows. A table without a header row needs `--names`."""
    first = rows[0]
    lead = clean(first.cells[0].text) if first.cells else first.text.slice(0, 0)
    if not _DATA_NAME.fullmatch(lead.text):
        return layout(source, first), rows[1:]
    if names is None:
        raise fail(
            f"this table has no header row: its first row is {lead.text}'s",
            lead.span(source),
            help="paste the header row too (layer name, output size, 18-layer, 34-layer, ...),"
            " or name the model columns with --names (e.g. --names resnet18,resnet34)",
        )
    count = 2 + len(names)
    titles = tuple(Text.synthetic(n.text, lead.at) for n in names)
    return Layout(first, count, 0, 1, tuple(range(2, count)), titles), rows


def layout(source: Source, header: Row) -> Layout:
    """The columns the header row names; refuses a header without them."""
    titles: list[tuple[int, Text]] = []
    pos = 0
    for cell in header.cells:
        titles.append((pos, clean(cell.text)))
        pos += cell.columns
    if pos > MAX_TABLE_CELLS:
        raise fail(
            f"the header has {pos} columns; a table may have at most {MAX_TABLE_CELLS}"
            " (MAX_TABLE_CELLS)",
            header.cells[-1].text.span(source),
        )
    name, size = _roles(source, header, titles)
    models = [(p, t) for p, t in titles if p not in (name, size)]
    for _, t in models:
        if not t:
            raise fail(
                "this column has no header: name the model it holds (e.g. 50-layer)", t.span(source)
            )
    if not models:
        raise fail(
            "the header names no model columns: after 'layer name' and 'output size' it should"
            " name each model (18-layer, 34-layer, ...)",
            header.cells[-1].text.span(source),
        )
    return Layout(header, pos, name, size, tuple(p for p, _ in models), tuple(t for _, t in models))


def _roles(source: Source, header: Row, titles: list[tuple[int, Text]]) -> tuple[int, int]:
    """The positions of the layer-name and output-size columns; refuses a header without them."""
    name = _role(titles, _NAME_HEADER, allow_empty_first=True)
    size = _role(titles, _SIZE_HEADER)
    if name is None and size is not None and titles[0][0] == size:
        return NO_NAMES, size  # SENet's Table 1: the output size names each row
    missing = [
        what
        for what, found in (
            ("layer-name column ('layer name': conv1, conv2_x, ...)", name),
            ("output-size column ('output size': 112×112, 56×56, ...)", size),
        )
        if found is None
    ]
    if name is None or size is None:
        raise fail(
            f"the header row has no {' and no '.join(missing)}",
            header.cells[0].text.span(source),
            help="the first row of the table names its columns: layer name, output size, then one"
            " column per model (18-layer, 34-layer, ...)",
        )
    return name, size


def is_size(text: str) -> bool:
    """Whether a cell is an output size (`56×56`), as a name-less table's rows begin."""
    return _SIZE.fullmatch(" ".join(text.split())) is not None


def no_name_column(source: Source, header: Row) -> CompileError:
    """A header without a layer-name column, whose rows do not begin with output sizes."""
    return fail(
        "the header row has no layer-name column ('layer name': conv1, conv2_x, ...)",
        header.cells[0].text.span(source),
        help="the first row of the table names its columns: layer name, output size, then one"
        " column per model (18-layer, 34-layer, ...)",
    )


def _role(
    titles: list[tuple[int, Text]], pattern: re.Pattern[str], allow_empty_first: bool = False
) -> int | None:
    for pos, title in titles:
        if pattern.fullmatch(" ".join(title.text.split())):
            return pos
    if allow_empty_first and titles and not titles[0][1]:
        return titles[0][0]
    return None


# ---------------------------------------------------------------- lining rows up


def place(source: Source, row: Row, lay: Layout) -> dict[int, tuple[Cell, bool]]:
    """Each column's cell in `row` (and whether the cell starts there or is spanned into it)."""
    cells = list(row.cells)
    start = 0
    if not row.positional and 0 < len(cells) < lay.count:
        start = _shift(cells, lay)
    placed: dict[int, tuple[Cell, bool]] = {}
    pos = start
    for i, cell in enumerate(cells):
        at = pos if start >= 0 else (lay.models[i] if i < len(lay.models) else lay.count)
        if at >= lay.count:
            if cell.text:
                raise fail(
                    f"this row has more cells than the header's {lay.count} columns",
                    cell.text.span(source),
                )
            continue
        if at + cell.columns > lay.count and cell.text:
            raise fail(
                f"this cell spans {cell.columns} columns, but only {lay.count - at} of the"
                f" header's {lay.count} are left",
                (cell.spanned or cell.text).span(source),
            )
        for k in range(cell.columns):
            placed[at + k] = (cell, k == 0)
        pos += cell.columns
    return placed


def _shift(cells: list[Cell], lay: Layout) -> int:
    """Where a short web row starts: at the name column, the size column, or (-1) the models."""
    first = clean(cells[0].text).text
    if not first or (_LAYER_NAME.fullmatch(first) and not _is_content(first)):
        return 0
    if _SIZE.fullmatch(first) and lay.size == lay.name + 1:
        return lay.size
    return -1


def _is_content(text: str) -> bool:
    """Whether a cell holds a model's content (a pool or head line) rather than a name."""
    return re.search(r"pool|\bfc\b|softmax", text, re.I) is not None


# ---------------------------------------------------------------- grouping rows into layers


def layers(source: Source, rows: list[Row], lay: Layout) -> list[Layer]:
    """The table's layers, in order: each named row with the unnamed rows under it."""
    out: list[Layer] = []
    for row in rows:
        placed = place(source, row, lay)
        name = _own(placed, lay.name, row)
        size = _own(placed, lay.size, row)
        models = [placed[p][0] if p in placed else None for p in lay.models]
        last = out[-1].size if out else None
        if not name and size and last is not None and _same_size(size.text, last.text):
            size = size.slice(0, 0)  # the size repeated on a continuation row
        if name or size:
            out.append(Layer(name, size or None, row))
        elif not out:
            if not any(c is not None and c.text for c in models):
                continue
            out.append(Layer(name, None, row))
        out[-1].rows.append((row, models))
    return out


def _same_size(a: str, b: str) -> bool:
    by = rf"(?:\s|{BY_SIGN})+"
    return re.sub(by, "x", a) == re.sub(by, "x", b)


def _own(placed: dict[int, tuple[Cell, bool]], pos: int, row: Row) -> Text:
    """The cleaned text of the cell in column `pos` ('' where it is missing or spanned into)."""
    cell, origin = placed.get(pos, (None, False))
    if cell is None or not origin:
        return row.text.strip().slice(0, 0)
    return clean(cell.text)


def duplicate_names(names: list[tuple[str, Span]], what: str) -> None:
    """Refuse two entries with one name (`what` says what they name)."""
    seen: dict[str, Span] = {}
    for name, span in names:
        if name in seen:
            raise CompileError(
                [
                    Diagnostic(
                        "error",
                        f"two {what} are named {name}",
                        span,
                        notes=(note(f"{name} is also the name here", seen[name]),),
                    )
                ]
            )
        seen[name] = span
