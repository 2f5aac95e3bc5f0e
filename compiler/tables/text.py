"""Located text for `import-table`: every character remembers where it stood in the table file.

A pasted table is cut into rows and cells, LaTeX wrappers are peeled off, unicode bracket pieces are
turned into brackets; through all of that each remaining character keeps its index in the file, so
that a `Scalar` built from a cell points the cell parser's diagnostics at the right characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..front import limits
from ..front.diagnostics import fail
from ..front.notation import BY_SIGN, digit_message, nonascii_digit
from ..front.source import Source, Span
from ..front.yamlsrc import Scalar


@dataclass(frozen=True)
class Text:
    """Characters of the table file (possibly edited), each with its index in the file."""

    text: str
    offsets: tuple[int, ...]
    at: int
    """Where the text starts in the file (the position of an empty text)."""

    @staticmethod
    def of(source: str, start: int, end: int) -> Text:
        """The characters `start`..`end` of the file text `source`, unedited."""
        return Text(source[start:end], tuple(range(start, end)), start)

    @staticmethod
    def synthetic(text: str, at: int) -> Text:
        """Text that is not in the file (a default value), located at file index `at`."""
        return Text(text, (at,) * len(text), at)

    def __len__(self) -> int:
        return len(self.text)

    def __bool__(self) -> bool:
        return bool(self.text.strip())

    def __str__(self) -> str:
        return self.text

    def slice(self, start: int, end: int | None = None) -> Text:
        """Characters `start`..`end` (Python slice bounds)."""
        start, end, _ = slice(start, end).indices(len(self.text))
        end = max(start, end)
        at = self.offsets[start] if start < len(self.offsets) else self.end
        return Text(self.text[start:end], self.offsets[start:end], at)

    @property
    def end(self) -> int:
        """The file index just past the last character."""
        return self.offsets[-1] + 1 if self.offsets else self.at

    def __add__(self, other: Text) -> Text:
        return Text(self.text + other.text, self.offsets + other.offsets, self.at)

    @staticmethod
    def join(pieces: list[Text], at: int) -> Text:
        """The pieces one after the other (located at `at` if all are empty)."""
        offsets: list[int] = []
        for p in pieces:
            offsets.extend(p.offsets)
        return Text("".join(p.text for p in pieces), tuple(offsets), at)

    def strip(self) -> Text:
        """Without leading and trailing whitespace."""
        left = len(self.text) - len(self.text.lstrip())
        right = len(self.text.rstrip())
        return self.slice(left, max(left, right))

    def split(self, positions: list[tuple[int, int]]) -> list[Text]:
        """The pieces between the separators at `positions` ((start, end) pairs, in order)."""
        pieces, last = [], 0
        for start, end in positions:
            pieces.append(self.slice(last, start))
            last = end
        pieces.append(self.slice(last))
        return pieces

    def edit(self, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str]) -> Text:
        """Replace every match of `pattern` by `replace(match)`; new characters sit at the match."""
        chars: list[str] = []
        offsets: list[int] = []
        last = 0
        for m in pattern.finditer(self.text):
            chars.append(self.text[last : m.start()])
            offsets.extend(self.offsets[last : m.start()])
            new = replace(m)
            chars.append(new)
            where = self.offsets[m.start()] if m.start() < len(self.offsets) else self.end
            offsets.extend([where] * len(new))
            last = m.end()
        chars.append(self.text[last:])
        offsets.extend(self.offsets[last:])
        return Text("".join(chars), tuple(offsets), self.at)

    def span(self, source: Source) -> Span:
        """The file span this text covers (one character at `at` if it is empty)."""
        if not self.offsets:
            return source.span(self.at)
        return source.span(self.offsets[0], self.offsets[-1] + 1)

    def scalar(self, source: Source) -> Scalar:
        """A `Scalar` of this text whose sub-spans point into the table file."""
        return Scalar(self.text, self.span(source), source, None, self.offsets or None)


@dataclass(frozen=True)
class Cell:
    """One cell of a row: its text and how many columns it spans."""

    text: Text
    columns: int = 1
    spanned: Text | None = None
    """The `\\multicolumn{n}` that says how many columns the cell spans, if one does."""


@dataclass(frozen=True)
class Row:
    """One row of the table: its cells and the text it was read from."""

    cells: tuple[Cell, ...]
    text: Text
    positional: bool = True
    """Whether cell i stands in column i (LaTeX); a web copy drops the cells a rowspan covers."""


MAX_TABLE_CELLS = 64
"""Most cells in one row of a table (Table 1 has 7)."""

MAX_TABLE_ROWS = 1_000
"""Most rows in one table (Table 1 as the paper typesets it has 18)."""


def checked_split(source: Source, text: Text, cuts: list[tuple[int, int]], what: str) -> list[Text]:
    """`text` cut at `cuts` into cells (`what` = "cell") or rows, refusing too many pieces."""
    if what == "cell":
        limit, noun, name = MAX_TABLE_CELLS, "cells in a row", "MAX_TABLE_CELLS"
    else:
        limit, noun, name = MAX_TABLE_ROWS, "rows", "MAX_TABLE_ROWS"
    if len(cuts) >= limit:
        at = cuts[limit - 1][0]
        raise fail(
            f"a table may have at most {limit:,} {noun} ({name})",
            text.slice(at, at + 1).span(source),
        )
    return text.split(cuts)


def checked_cell(source: Source, text: Text) -> Text:
    """`text`, if it is not longer than a table cell may be."""
    if len(text) > limits.MAX_CELL_CHARS:
        raise fail(
            f"a table cell may be at most {limits.MAX_CELL_CHARS:,} characters, not {len(text):,}",
            text.slice(0, 1).span(source),
        )
    return text


def ascii_digits(source: Source, text: Text) -> Text:
    """`text`, if its decimal digits are all ASCII 0-9: a digit of another script (`২০-layer`,
    `\\multicolumn{২}`), which Python's `int` and `\\d` would read, is refused at its own
    character and named (`U+09E8 BENGALI DIGIT TWO`), as in a spec."""
    i = nonascii_digit(text.text)
    if i is not None:
        raise fail(digit_message(text.text[i], "a table"), text.slice(i, i + 1).span(source))
    return text


# ---------------------------------------------------------------- cell clean-up

_TRANSPARENT = (
    "text|textrm|textnormal|textsf|textup|mathrm|mathit|mathsf|mathnormal|operatorname|mbox|hbox"
    "|textbf|mathbf|boldsymbol|bf|rm|it|emph|textit|texttt|underline|displaystyle|textstyle"
    "|scriptstyle|tiny|scriptsize|footnotesize|small|normalsize|large|Large|centering|raggedright"
    "|raggedleft|quad|qquad|hfill|makecell|shortstack|strut|vphantom|hphantom|phantom|relax"
)
_CLEAN = re.compile(
    r"(?P<keep>\\(?:begin\s*\{\s*array\s*\}\s*\{[^{}]*\}|(?:begin|end)\s*\{[^{}]*\}|[{}]))"
    r"|(?P<rowsep>\\\\(?:\s*\[[^\]\n]*\])?)"
    r"|(?P<multirow>\\multirow\s*(?:\[[^\]]*\]\s*)?\{[^{}]*\}\s*(?:\[[^\]]*\]\s*)?(?:\{[^{}]*\}|\*)"
    r"(?:\s*\[[^\]]*\])?)"
    rf"|(?P<drop>\\(?:{_TRANSPARENT})(?![A-Za-z])\*?|\\[()\[\]]|\$|[{{}}`]|\*\*"
    r"|[\u200b-\u200f\u2060-\u2064\ufeff\u00ad])"
    r"|(?P<times>\\(?:times|cdot)(?![A-Za-z]))"
    r"|(?P<escaped>\\[_%#&])"
    r"|(?P<br><br\s*/?>)"
    r"|(?P<open>[\u23a1\u23a2\u23a3]+)"
    r"|(?P<close>[\u23a4\u23a5\u23a6]+)"
)


def _clean_one(m: re.Match[str]) -> str:
    kind = m.lastgroup
    if kind == "keep":
        return m.group()
    if kind == "rowsep":
        return "\\\\"
    if kind in ("multirow", "drop"):
        return ""
    if kind == "times":
        return "×"
    if kind == "escaped":
        return m.group()[1]
    if kind == "br":
        return "\n"
    return "[" if kind == "open" else "]"


def clean(text: Text) -> Text:
    """A cell without its LaTeX wrappers, math delimiters, HTML breaks and invisible characters.

    `\\text{3$\\times$3, 64}` becomes `3×3, 64`; `\\multirow{3}{*}{...}` its content; the bracket
    pieces MathJax draws tall brackets with (`⎡⎢⎣`, `⎤⎥⎦`) become `[` and `]`; matrix environments
    and `\\\\` row breaks stay, for the cell parser.
    """
    return text.edit(_CLEAN, _clean_one).strip()


# ---------------------------------------------------------------- flattened matrix rows

_BRACKET_BODY = re.compile(r"\[((?:[^\[\];\\]|\[[^\[\];\\]*\])*)\]")
"""A one-level bracket, with at most SENet's `fc, [16, 256]` inside it."""
_ROW_JOIN = re.compile(rf"[,=]\s*([0-9]{{1,18}})(\s*)([0-9]{{0,9}})\s*{BY_SIGN}\s*([0-9]{{1,9}})")


_LINE_BREAK = re.compile(r"(?<=[0-9])[ \t]*\n")
_BARE_HEAD = re.compile(rf"\s*[0-9]{{1,9}}\s*{BY_SIGN}\s*[0-9]{{1,9}}\s*,")
_BARE_TAIL = re.compile(rf"[0-9](\s*{BY_SIGN}\s*[0-9]{{1,9}}\s*)$")


def _rebracket(text: Text) -> Text:
    """`3×3, 64 3×3, 64 ×2` -> `[3×3, 64 3×3, 64] ×2`: a cell whose brackets were lost."""
    head = _BARE_HEAD.match(text.text)
    tail = _BARE_TAIL.search(text.text)
    if (
        head is None
        or tail is None
        or tail.start() < head.end()
        or re.search(r"[\[\]\\]", text.text)
    ):
        return text
    start, end = len(text.text) - len(text.text.lstrip()), tail.start(1)
    return (
        text.slice(0, start)
        + Text.synthetic("[", text.offsets[start])
        + text.slice(start, end)
        + Text.synthetic("]", text.offsets[end - 1])
        + text.slice(end)
    )


def unflatten(text: Text) -> Text:
    """Put `;` between matrix rows that a copy from a rendered page ran together.

    Copying a typeset matrix gives `[3×3, 64\\n3×3, 64]` (rows on separate lines) or, with the line
    breaks lost, `[3×3, 643×3, 64]`. Kernels are square, so the digits before `×` end with the
    digits after it: `643×3` is filters 64, then the kernel 3×3. Only the inside of one-level
    brackets without row separators is touched; anything else is left for the cell parser. Where
    the brackets were drawn (MathJax 3) and are lost, `3×3,643×3,64×2`, they are put back.
    """
    if len(text) > limits.MAX_CELL_CHARS:
        return text  # the cell parser refuses it
    text = _rebracket(text)
    cuts: set[int] = set()
    for body in _BRACKET_BODY.finditer(text.text):
        for brk in _LINE_BREAK.finditer(text.text, body.start(1), body.end(1)):
            cuts.add(brk.start())  # a line break between rows, however the next row reads
        pos = body.start(1)
        while (m := _ROW_JOIN.search(text.text, pos, body.end(1))) is not None:
            filters, gap, kernel, after = m.group(1), m.group(2), m.group(3), m.group(4)
            if kernel and "\n" not in gap:  # `64 3×3`: the space separates the rows
                cuts.add(m.start(2))
            elif len(filters) > len(after) and filters.endswith(after) and not gap:
                cuts.add(m.start(1) + len(filters) - len(after))  # `643×3`
            pos = m.start(4)
    pieces, last = [], 0
    for cut in sorted(cuts):
        pieces += [text.slice(last, cut), Text.synthetic(";", text.offsets[cut])]
        last = cut
    return Text.join([*pieces, text.slice(last)], text.at)
