"""Table 1 as copied from a web page -> rows of located cells.

A rendered HTML table pastes as one line per row with the cells separated by tabs; a markdown
table by `|` (its `|---|` rule line is skipped, and so is prose pasted above or below it); other
copies use `&` or runs of spaces. A cell holding a typeset matrix may come out with its matrix
rows on separate lines: a line that leaves a bracket (`[`, MathJax's `⎡`, `\\begin{bmatrix}`) open
continues on the next one. Cells under a rowspan are not repeated in the copy, so web rows are not
positional: the importer lines them up.
"""

from __future__ import annotations

import re

from ..front.diagnostics import fail
from ..front.source import Source
from .text import (
    MAX_TABLE_CELLS,
    MAX_TABLE_ROWS,
    Cell,
    Row,
    Text,
    ascii_digits,
    checked_cell,
    checked_split,
)

_DEPTH = re.compile(
    r"\\(?:begin|end)\s*\{\s*(?:[bBpvV]?matrix|array|smallmatrix|cases)\s*\}"
    r"|\\.|[\[\]{}]|[\u23a1\u23a2\u23a3]+|[\u23a4\u23a5\u23a6]+"
)
_OPENERS = "[{\u23a1\u23a2\u23a3"
_RULE_LINE = re.compile(r"[\s|+:=-]*")
_SEPARATORS = (("\t", "tabs"), ("|", "'|'"), ("&", "'&'"))


def _depth_change(token: str) -> int:
    if token.startswith("\\begin"):
        return 1
    if token.startswith("\\end"):
        return -1
    if token.startswith("\\"):
        return 0
    return 1 if token[0] in _OPENERS else -1


def logical_lines(source: Source) -> list[Text]:
    """The table's rows: physical lines, joined while a bracket opened on them is still open."""
    text = source.text
    rows: list[Text] = []
    start = pos = 0
    stack: list[int] = []
    while pos <= len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        for m in _DEPTH.finditer(text, pos, end):
            change = _depth_change(m.group())
            if change > 0:
                stack.append(m.start())
            elif change < 0 and stack:
                stack.pop()
        if not stack:
            rows.append(Text.of(text, start, end))
            start = end + 1
            if len(rows) > 2 * MAX_TABLE_ROWS:  # blank lines count here; refused by the caller
                break
        pos = end + 1
    if stack:
        at = stack[0]
        raise fail(
            f"this {text[at]!r} is never closed: the rest of the table would be one cell",
            source.span(at, at + 1),
        )
    return [r for r in _markdown_table(rows) if r and not _is_rule(r.text)]


def _markdown_table(rows: list[Text]) -> list[Text]:
    """A markdown table is its header (the line above the `|---|` rule) and the `|` lines after
    it: prose pasted with it, a caption above or a note below, is not part of the table."""
    rule = next((i for i, r in enumerate(rows) if "|" in r.text and _is_rule(r.text)), None)
    if rule is None or rule == 0:
        return rows
    end = next((i for i in range(rule + 1, len(rows)) if "|" not in rows[i].text), len(rows))
    return rows[rule - 1 : end]


def _is_rule(line: str) -> bool:
    """A markdown `|---|:---:|` line, or a `+----+` / `====` border."""
    return _RULE_LINE.fullmatch(line) is not None and re.search(r"[-=]{3}", line) is not None


def separator(source: Source, header: Text) -> str:
    """The character (or `"  "`, a run of spaces) that separates the header's cells."""
    for sep, _ in _SEPARATORS:
        if len(_cuts(header, sep)) > 0:
            return sep
    if re.search(r"\S {2,}\S", header.text):
        return "  "
    raise fail(
        "cannot find this table's columns: the header row has no tab, '|' or '&' between cells",
        header.strip().span(source),
        help="copy the table so that its cells are separated by tabs, '|' (markdown) or '&'"
        " (LaTeX), one row per line",
    )


def _cuts(line: Text, sep: str) -> list[tuple[int, int]]:
    """Where `sep` separates cells: outside brackets, braces and matrix environments."""
    cuts: list[tuple[int, int]] = []
    depth = 0
    s = line.text
    marks = {m.start(): m for m in _DEPTH.finditer(s)}
    i = 0
    while i < len(s):
        m = marks.get(i)
        if m is not None:
            depth = max(0, depth + _depth_change(m.group()))
            i = m.end()
            continue
        if depth == 0 and sep == "  " and s.startswith("  ", i):
            j = i
            while j < len(s) and s[j] == " ":
                j += 1
            cuts.append((i, j))
            i = j
            if len(cuts) > MAX_TABLE_CELLS:
                break
            continue
        if depth == 0 and s[i] == sep:
            cuts.append((i, i + 1))
            if len(cuts) > MAX_TABLE_CELLS:
                break  # too many cells: refused by the caller
        i += 1
    return cuts


def read_rows(source: Source) -> list[Row]:
    """The rows of a table copied from a web page, each cut into its cells."""
    lines = logical_lines(source)
    if not lines:
        return []
    if len(lines) > MAX_TABLE_ROWS:
        raise fail(
            f"a table may have at most {MAX_TABLE_ROWS:,} rows (MAX_TABLE_ROWS)",
            lines[MAX_TABLE_ROWS].span(source),
        )
    sep = separator(source, lines[0])
    rows = []
    for line in lines:
        line = ascii_digits(source, line.strip())
        if sep == "|":
            line = _unframe(line)
        pieces = checked_split(source, line, _cuts(line, sep), "cell")
        cells = tuple(Cell(checked_cell(source, c.strip())) for c in pieces)
        rows.append(Row(cells, line, positional=False))
    return rows


def _unframe(line: Text) -> Text:
    """A markdown row without its outer `| ... |` frame."""
    if line.text.startswith("|"):
        line = line.slice(1)
    if line.text.endswith("|") and not line.text.endswith("\\|"):
        line = line.slice(0, len(line) - 1)
    return line
