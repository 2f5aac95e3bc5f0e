"""Source text and positions: `Span`, `Source` and caret rendering.

Every stage of the compiler keeps the `Span` of the text it was built from, so that a problem found
late (a shape mismatch in conv4_x) still points at the line and column the user wrote.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from typing import NamedTuple

_LINE_BREAK = re.compile("\r\n?|[\n\x85\u2028\u2029]")
"""Where a line ends: as PyYAML counts lines (its marks' `line`), so that a position computed here
and one PyYAML reports name the same line. NEL (U+0085) and the Unicode line and paragraph
separators (U+2028, U+2029) end a line too; editors differ on them, the YAML reader does not."""
_BREAK_CHARS = "\r\n\x85\u2028\u2029"


class Span(NamedTuple):
    """A range of source text: 1-based line and column (in characters), end exclusive."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class Source:
    """One input file's text, with fast index -> (line, column) conversion."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self._starts = [0]
        # Lines end at \n, \r\n, a lone \r, NEL, U+2028 or U+2029, as YAML reads them.
        self._starts.extend(m.end() for m in _LINE_BREAK.finditer(text))

    def position(self, index: int) -> tuple[int, int]:
        """Return the 1-based (line, column) of character `index` (clamped into the text).

        An index inside a line break (the \n of \r\n) is the column just past the line's text.
        """
        index = max(0, min(index, len(self.text)))
        row = bisect.bisect_right(self._starts, index) - 1
        col = min(index - self._starts[row], len(self.line_text(row + 1))) + 1
        return row + 1, col

    def span(self, start: int, end: int | None = None) -> Span:
        """The span covering characters `start` to `end` (exclusive; one character if omitted)."""
        if end is None or end <= start:
            end = start + 1
        line, col = self.position(start)
        end_line, end_col = self.position(end)
        return Span(self.name, line, col, end_line, end_col)

    def index(self, line: int, col: int) -> int:
        """The character index of 1-based (`line`, `col`)."""
        return self._starts[max(0, min(line, len(self._starts)) - 1)] + col - 1

    def line_text(self, line: int) -> str:
        """The text of 1-based `line`, without its line break ('' outside the file)."""
        if not 1 <= line <= len(self._starts):
            return ""
        start = self._starts[line - 1]
        end = self._starts[line] if line < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip(_BREAK_CHARS)

    @property
    def line_count(self) -> int:
        """How many lines the text has (at least 1)."""
        return len(self._starts)


def display_width(text: str) -> int:
    """Terminal columns that `text` takes: wide East Asian characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


UNSAFE_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"))
"""The Unicode categories never printed raw: control, format (bidi overrides, zero-width),
surrogate, private-use and unassigned characters, line and paragraph separators."""


def printable(text: str) -> str:
    """`text` with control and bidi characters shown as escapes, safe to print in a terminal."""
    out = []
    for ch in text:
        if ch == "\t":
            out.append("    ")
        elif unicodedata.category(ch) in UNSAFE_CATEGORIES:
            out.append(f"\\u{ord(ch):04x}" if ord(ch) > 0xFF else f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def describe(ch: str) -> str:
    """One character named for a message: `'/' (U+002F)`, `U+202E (right-to-left override)`."""
    code = f"U+{ord(ch):04X}"
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}' ({code})"
    name = "NUL" if ch == "\x00" else unicodedata.name(ch, "").lower()
    return f"{code} ({name or 'a control character'})"


def shorten(text: str, limit: int = 48) -> str:
    """`text`, cut in the middle to at most `limit` characters, for quoting in a message."""
    if len(text) <= limit:
        return text
    half = (limit - 3) // 2
    return f"{text[:half]}...{text[len(text) - half :]}"


EXCERPT_CHARS = 100
"""Longest source line shown whole under a diagnostic; longer lines are cut around the caret."""


def excerpt_window(line_text: str, col: int, end_col: int) -> tuple[str, int, int]:
    """The part of `line_text` shown around columns `col`..`end_col`, `...` marking each cut.

    Returns the text and the two columns moved into it, so that `caret_line` marks the same
    characters; a line of up to `EXCERPT_CHARS` characters comes back unchanged.
    """
    if len(line_text) <= EXCERPT_CHARS:
        return line_text, col, end_col
    start = max(0, min(col - 1 - EXCERPT_CHARS // 4, len(line_text) - EXCERPT_CHARS))
    stop = start + EXCERPT_CHARS
    lead = "..." if start else ""
    tail = "..." if stop < len(line_text) else ""
    shift = len(lead) - start
    end_col = min(max(end_col, col + 1), stop + 1)
    return lead + line_text[start:stop] + tail, col + shift, end_col + shift


def caret_line(line_text: str, col: int, end_col: int) -> str:
    """Spaces then `^~~~` under columns `col` .. `end_col` (exclusive) of `line_text`."""
    before = printable(line_text[: col - 1])
    marked = printable(line_text[col - 1 : max(end_col, col + 1) - 1]) or " "
    return " " * display_width(before) + "^" + "~" * (display_width(marked) - 1)


def safe_label(label: str) -> str:
    """The spec's path as shown in comments: printable ASCII only, forward slashes."""
    label = label.replace("\\", "/")
    return "".join(ch if 32 <= ord(ch) < 127 and ch not in "\"'" else "?" for ch in label)
