"""A pasted table's layers -> what each model column says: stem, pool, stages, sizes, classes.

Each model column becomes a `Column` of located texts (a cell shared by all models, as the paper's
`\\multicolumn{5}{c}{7×7, 64, stride 2}`, lands in every column). Its network name comes from its
header (`18-layer` -> resnet18, `ResNeXt-50 (32×4d)` -> resnext50_32x4d) or from `--names`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from ..front.diagnostics import fail
from ..front.notation import BY_SIGN
from ..front.source import Source, Span
from ..front.yamlsrc import Scalar
from .layout import NO_NAMES, Layer, Layout, duplicate_names, is_size, no_name_column
from .text import Cell, Row, Text, clean


@dataclass
class Column:
    """What one model column of the table says, as located text."""

    title: Text
    name: Scalar
    stem: Text | None = None
    pool: Text | None = None
    stages: list[tuple[Text, Text]] = field(default_factory=list)
    sizes: list[tuple[Scalar, Text]] = field(default_factory=list)
    classes: Text | None = None
    printed: list[tuple[str, str]] = field(default_factory=list)
    preact: bool = False
    """Whether the column is the Wide ResNet paper's (written in k and N): pre-activation."""
    bound: str = ""
    """What the column's symbols were bound to, and from where, for the spec's comment."""
    named: bool = False
    """Whether `--names` named the column (else its name was made from its header)."""


# ---------------------------------------------------------------- columns and their names

_HEADER_DEPTH = re.compile(r"([0-9]+)[-\s]*layers?", re.I)


def named_columns(source: Source, lay: Layout, names: list[Scalar] | None) -> list[Column]:
    """One `Column` per model column, named by `--names` or after its header."""
    if names is not None and len(names) != len(lay.models):
        option = names[0].source
        raise fail(
            f"--names gives {len(names)} name(s), but the table has {len(lay.models)} model"
            f" columns ({', '.join(t.text for t in lay.titles)})",
            option.span(0, len(option.text)),
        )
    given = names is not None
    if names is None:
        names = [_slug(source, t) for t in lay.titles]
    duplicate_names([(s.text, s.span) for s in names], "model columns")
    return [Column(t, s, named=given) for t, s in zip(lay.titles, names, strict=True)]


def option_names(names: str) -> list[Scalar]:
    """The `--names a,b,c` option, each name located in the option's own text."""
    option = Source("--names", names)
    whole = Text.of(names, 0, len(names))
    cuts = [(m.start(), m.end()) for m in re.finditer(",", names)]
    return [piece.strip().scalar(option) for piece in whole.split(cuts)]


def _slug(source: Source, title: Text) -> Scalar:
    """`18-layer` -> resnet18, `ResNet-50` -> resnet50, `ResNeXt-50 (32×4d)` -> resnext50_32x4d."""
    text = " ".join(title.text.split())
    m = _HEADER_DEPTH.fullmatch(text)
    if m:
        slug = f"resnet{m.group(1)}"
    else:
        slug = re.sub(r"([A-Za-z])[-\s]+([0-9])", r"\1\2", re.sub(BY_SIGN, "x", text)).lower()
        slug = re.sub(r"[^a-z0-9]+", "_", slug).strip("_")
    if not slug.isidentifier() or not slug.isascii():
        raise fail(
            f"cannot make a network name out of the column header {text!r}",
            title.span(source),
            help="name the columns' models with --names (e.g. --names resnet18,resnet34,...)",
        )
    return Scalar(slug, title.span(source), source, None, None)


# ---------------------------------------------------------------- reading the layers

_SUPERSCRIPT = "[⁰¹²³⁴⁵⁶⁷⁸⁹]+"
_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_PRINTED = re.compile(r".*?(flops|mult-?adds|madds|macs|params|parameters).*", re.I)
_HEAD = re.compile(r"\bfc\b(?!\s*,?\s*\[)|softmax|fully[- ]connected", re.I)
"""The head row (`1000-d fc, softmax`); not a block's `fc, [16, 256]` (squeeze-and-excitation)."""
_POOL = re.compile(r"pool", re.I)
_GLOBAL_POOL = re.compile(r"(?:global\s*)?(?:avg|average)[-\s]*pool(?:ing)?", re.I)
"""A row of its own for the head's global average pool (the Wide ResNet paper's `avg-pool`)."""
_CLASSES = re.compile(r"([0-9]+)\s*-?\s*d\s*-?\s*fc\b|\bfc\s*[-,]?\s*([0-9]+)", re.I)


class Found(NamedTuple):
    """What the table says beyond its model columns."""

    input: Text | None
    """The input size, if the table has an input row."""
    head: bool
    """Whether the table has a head row (average pool, 1000-d fc, softmax)."""


def read_columns(source: Source, found: list[Layer], lay: Layout, columns: list[Column]) -> Found:
    """Fill each column from the table's layers, in table order."""
    input_text = None
    head = False
    stem: Layer | None = None
    stages: list[Layer] = []
    for layer in found:
        if lay.name == NO_NAMES and not _is_head(layer):  # named in order, as Table 1 would
            if layer.size is None or not is_size(layer.size.text):
                raise no_name_column(source, lay.header)
            word = "conv1" if stem is None else f"conv{len(stages) + 2}_x"
            layer.name = Text.synthetic(word, layer.first.text.strip().at)
        title = " ".join(layer.name.text.split())
        printed = _PRINTED.fullmatch(title)
        if printed:
            _printed(layer, columns, printed.group(1))
        elif title.lower() in ("input", "image", "input image"):
            input_text = layer.size or _first_cell(layer)
        elif title.lower() in ("conv1", "stem"):
            stem = layer
            _stem(source, layer, lay, columns)
        elif _is_head(layer):
            _head(source, layer, lay, columns)
            head = True
        elif stages and _GLOBAL_POOL.fullmatch(title):
            continue  # the head's average pool (`avg-pool`, `[8×8]`): every network has it
        elif not title:
            raise fail(
                "this row has no layer name",
                layer.first.text.strip().span(source),
                help="name it in the layer-name column (conv2_x, conv3_x, ...)",
            )
        else:
            _stage(source, layer, lay, columns, first=not stages)
            stages.append(layer)
    if stem is None:
        raise fail(
            "the table has no conv1 row (the stem: 7×7, 64, stride 2)",
            lay.header.cells[0].text.span(source),
        )
    if not any(col.stages for col in columns):
        raise fail("the table has no stage rows (conv2_x, conv3_x, ...)", stem.name.span(source))
    duplicate_names([(n.text, n.span(source)) for n, _ in columns[0].stages], "stages")
    return Found(input_text, head)


def _first_cell(layer: Layer) -> Text | None:
    for _, models in layer.rows:
        for cell in models:
            if cell is not None and cell.text:
                return clean(cell.text)
    return None


def _is_head(layer: Layer) -> bool:
    texts = [c.text.text for _, models in layer.rows for c in models if c is not None and c.text]
    return bool(texts) and all(_HEAD.search(t) for t in texts)


def _cells(source: Source, layer: Layer, lay: Layout, spans: bool) -> list[list[Text]]:
    """Each model column's cells in this layer, in row order (a lone cell may span them all)."""
    per_column: list[list[Text]] = [[] for _ in lay.models]
    for row, models in layer.rows:
        for j, text in enumerate(_row_cells(source, row, models, lay, spans)):
            if text is not None:
                per_column[j].append(text)
    return per_column


def _row_cells(source, row: Row, models: list[Cell | None], lay: Layout, spans: bool):
    cells = {j: c for j, c in enumerate(models) if c is not None and c.text}
    filled = list(cells)
    if not filled:
        return [None] * len(models)
    first = clean(cells[filled[0]].text)
    if (
        filled == [0]
        and len(models) > 1
        and (spans or _POOL.search(first.text) or _HEAD.search(first.text))
    ):
        return [first] * len(models)  # one cell for every model, as \multicolumn would say
    missing = [lay.titles[j].text for j, c in enumerate(models) if c is None]
    if missing:
        raise fail(
            f"this row has {len(models) - len(missing)} model cell(s), but the header has"
            f" {len(models)} model columns: none for {', '.join(missing)}",
            _end(source, row),
            help="give each model column its cell (in LaTeX, \\multicolumn{n}{c}{...} shares one)",
        )
    present = [c for c in models if c is not None]  # every model's cell: none is missing
    for j, c in enumerate(present):
        if not c.text:
            raise fail(f"the {lay.titles[j].text} cell of this row is empty", c.text.span(source))
    return [clean(c.text) for c in present]


def _end(source: Source, row: Row) -> Span:
    text = row.text.strip()
    return text.slice(len(text) - 1).span(source)


def _stem(source: Source, layer: Layer, lay: Layout, columns: list[Column]) -> None:
    for j, cells in enumerate(_cells(source, layer, lay, spans=True)):
        col = columns[j]
        for text in cells:
            if _POOL.search(text.text):
                _set_pool(source, col, text)
            elif col.stem is None:
                inner = re.fullmatch(r"\s*\[(.*)\]\s*", text.text, re.S)
                col.stem = text.slice(inner.start(1), inner.end(1)).strip() if inner else text
            else:
                raise fail(
                    f"a second conv1 cell for the {col.title.text} column", text.span(source)
                )
        if col.stem is None:
            raise fail(
                f"conv1 has no cell for the {col.title.text} column", layer.name.span(source)
            )
        if layer.size:
            col.sizes.append((_key("conv1", layer.name, source), layer.size))


def _set_pool(source: Source, col: Column, text: Text) -> None:
    if col.pool is not None:
        raise fail(f"a second pool line for the {col.title.text} column", text.span(source))
    col.pool = text


def _stage(source: Source, layer: Layer, lay: Layout, columns: list[Column], first: bool) -> None:
    per_column = _cells(source, layer, lay, spans=False)
    blocks = [[t for t in cells if not _POOL.search(t.text)] for cells in per_column]
    only_pool = not any(blocks) and any(per_column)  # a row of its own for the pool line
    for col, cells, own in zip(columns, per_column, blocks, strict=True):
        for text in cells:
            if not _POOL.search(text.text):
                continue
            if not first:
                raise fail(
                    "a pool line after the first stage: resnetc builds the pool in the stem,"
                    " before conv2_x",
                    text.span(source),
                )
            _set_pool(source, col, text)
        if only_pool:
            continue
        if not own:
            raise fail(
                f"{layer.name.text} has no cell for the {col.title.text} column",
                layer.name.span(source),
            )
        if len(own) > 1:
            raise fail(
                f"a second {layer.name.text} cell for the {col.title.text} column",
                own[1].span(source),
            )
        col.stages.append((layer.name, own[0]))
        if layer.size:
            col.sizes.append((layer.name.scalar(source), layer.size))
    if only_pool and layer.size:
        for col in columns:
            col.sizes.append((_key("pool", layer.name, source), layer.size))


def _key(key: str, where: Text, source: Source) -> Scalar:
    return Scalar(key, where.span(source), source, None, None)


def _head(source: Source, layer: Layer, lay: Layout, columns: list[Column]) -> None:
    for col, cells in zip(columns, _cells(source, layer, lay, spans=True), strict=True):
        if not cells:
            continue
        m = _CLASSES.search(cells[0].text)
        if m is None:
            raise fail(
                "cannot read the number of classes in this head cell",
                cells[0].span(source),
                help="write it as the paper does: average pool, 1000-d fc, softmax",
            )
        group = 1 if m.group(1) else 2
        col.classes = cells[0].slice(m.start(group), m.end(group))


def _printed(layer: Layer, columns: list[Column], what: str) -> None:
    """The FLOPs (or parameters) row: what the table prints for each model, kept for a comment."""
    for _, models in layer.rows:
        for col, cell in zip(columns, models, strict=True):
            if cell is not None and cell.text and not any(w == what for w, _ in col.printed):
                text = " ".join(re.sub(BY_SIGN, "x", clean(cell.text).text).split())
                text = re.sub(_SUPERSCRIPT, lambda m: "^" + m.group().translate(_DIGITS), text)
                col.printed.append((what, text))
