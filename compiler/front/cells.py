"""Table cells -> rows. `"[[1x1,64],[3x3,64],[1x1,256]] x 3"` becomes three `Row`s repeated 3 times.

Accepted spellings, all meaning the same:

- brackets: `[[1x1,64],[3x3,64],[1x1,256]] x 3`, commas between rows optional, spaces anywhere;
- semicolons: `[1x1, 64; 3x3, 64; 1x1, 256] x 3`;
- any "by" sign of `front.notation` (`x`, `×`, `\\times`, ...) in kernels and before the repeat
  (`x 3`, `×3`, `*3`, `\\times 3`);
- LaTeX as Table 1 is typeset: `\\begin{bmatrix} 1 \\times 1, 64 \\\\ ... \\end{bmatrix} \\times 3`,
  with or without `$...$` and `&` column separators (also pmatrix, matrix, array, `\\left[`);
- `C=32` at the end of a row: a grouped convolution (the ResNeXt paper's notation);
- `conv,` before a row's kernel, as the SENet paper prints it (`conv, 1 × 1, 64`);
- one attention row after the convolutions: `fc, [16, 256]` (squeeze-and-excitation: a reduction
  to 16 channels and back to the block's 256, the SENet paper's Table 1) or `eca, k=5` (efficient
  channel attention, a 1-d convolution of 5 taps across the channels); `\\text{fc}` in LaTeX.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict

from . import limits
from .diagnostics import fail
from .notation import BY, NUMBER, cell_text, digit_message, nonascii_digit
from .source import Span, describe, shorten
from .yamlsrc import Scalar


class Row(BaseModel):
    """One convolution of a block: `[3x3, 128, C=32]` (kernel, filters, groups)."""

    model_config = ConfigDict(frozen=True)

    kernel: int
    filters: int
    groups: int = 1
    span: Span
    groups_span: Span | None = None
    """Where `C=32` is written, if it is."""


class Attention(BaseModel):
    """A block's attention row: `fc, [16, 256]` (`se`: reduce to `width`, back to `channels`) or
    `eca, k=5` (`eca`: a 1-d convolution of `kernel` taps)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["se", "eca"]
    width: int = 0
    channels: int = 0
    kernel: int = 0
    span: Span


class Cell(BaseModel):
    """A table cell: the rows of one residual block, and how many times the block repeats."""

    model_config = ConfigDict(frozen=True)

    rows: tuple[Row, ...]
    repeats: int
    span: Span
    repeats_span: Span
    attention: Attention | None = None

    @property
    def text(self) -> str:
        """The cell in the canonical notation, `[[1x1,64],[3x3,64],[1x1,256]] x 3`."""
        return cell_text(self.rows, self.repeats, self.attention)


class _Tok(NamedTuple):
    kind: str  # num, by, lb, rb, sep, rowsep, groups, begin, end
    text: str
    start: int
    end: int


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|&|\$|\\[,;:!\ ]|~|\\left|\\right|\\big[lr]?|\\Big[lr]?|[{}](?!\w))
    |(?P<begin>\\begin\s*\{\s*(?:[bBpv]?matrix|array)\s*\}(?:\s*\{[^}]*\})?)
    |(?P<end>\\end\s*\{\s*(?:[bBpv]?matrix|array)\s*\})
    |(?P<noise>\\(?:begin|end)\s*\{\s*(?:equation|align|displaymath)\*?\s*\})
    |(?P<word>(?:\\(?:text|mathrm|textrm|mbox)\s*\{\s*)?(?i:conv|fc|eca)\b(?:\s*\})?)
    |(?P<taps>k\s*=)
    |(?P<num>"""
    + NUMBER
    + r""")
    |(?P<by>"""
    + BY
    + r""")
    |(?P<groups>[Cc]\s*=)
    |(?P<lb>\[|\\\{|\\lbrack|\()
    |(?P<rb>\]|\\\}|\\rbrack|\))
    |(?P<rowsep>\\\\|\\cr\b)
    |(?P<sep>[,;])
    """,
    re.VERBOSE,
)

_MANGLED = re.compile(r"\x08egin|\x1bnd\s*\{|\times|\r\s*ight|\x0crac|\x0b|\x07")


def tokenize(cell: Scalar) -> list[_Tok]:
    """Split a cell's text into tokens, refusing any character that has no meaning in a cell."""
    text = cell.text
    _refuse_mangled_latex(cell)
    digit = nonascii_digit(text)
    if digit is not None:
        raise fail(digit_message(text[digit]), cell.sub(digit, digit + 1))
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise _unexpected(cell, pos)
        kind = m.lastgroup or "ws"
        if kind not in ("ws", "noise"):
            tokens.append(_Tok(kind, m.group(), m.start(), m.end()))
        pos = m.end()
    return tokens


def _refuse_mangled_latex(cell: Scalar) -> None:
    """LaTeX in double quotes: YAML turned `\\t`imes into a tab and `\\b`egin into a backspace."""
    if cell.style != '"':
        return
    m = _MANGLED.search(cell.text)
    if m is None:
        return
    raise fail(
        "this LaTeX cell is in double quotes, where YAML reads backslash escapes:"
        " \\times became a tab, \\begin a backspace, \\end an escape character",
        cell.sub(m.start(), m.end()),
        help="write the cell in single quotes ('\\begin{bmatrix} ... \\end{bmatrix} \\times 3')"
        " or double every backslash",
    )


def _unexpected(cell: Scalar, pos: int):
    ch = cell.text[pos]
    if ch == "-":
        return fail("numbers in a table cell cannot be negative", cell.sub(pos, pos + 1))
    if ch == "\\":
        word = re.match(r"\\[A-Za-z]*", cell.text[pos:])
        name = word.group() if word else "\\"
        return fail(
            f"LaTeX command {name} has no meaning in a table cell",
            cell.sub(pos, pos + len(name)),
            help="a cell is rows like 3 \\times 3, 64 inside \\begin{bmatrix}...\\end{bmatrix}",
        )
    what = repr(ch) if ch.isprintable() and not ch.isspace() else describe(ch)
    return fail(f"unexpected {what} in a table cell", cell.sub(pos, pos + 1), help=_FORM_HELP)


_FORM_HELP = 'a cell looks like "[[1x1,64],[3x3,64],[1x1,256]] x 3" or "[3x3, 64; 3x3, 64] x 2"'


_LIMITS = {
    "kernel size": limits.MAX_KERNEL,
    "number of filters": limits.MAX_WIDTH,
    "group count C": limits.MAX_WIDTH,
    "attention width": limits.MAX_WIDTH,
    "1-d kernel size": limits.MAX_KERNEL,
    "repeat count": limits.MAX_REPEATS,
}
"""The largest value of each number in a cell (named as `_Parser.number` names it)."""


class _Parser:
    """Recursive-descent parser over the token list (the grammar has three levels)."""

    def __init__(self, cell: Scalar, tokens: list[_Tok]) -> None:
        self.cell = cell
        self.toks = tokens
        self.i = 0

    def span(self, start: int, end: int) -> Span:
        return self.cell.sub(start, end)

    def peek(self, offset: int = 0) -> _Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def take(self, kind: str, what: str) -> _Tok:
        tok = self.peek()
        if tok is None or tok.kind != kind:
            raise self.expected(what)
        self.i += 1
        return tok

    def expected(self, what: str):
        tok = self.peek()
        if tok is None:
            end = len(self.cell.text)
            return fail(
                f"the cell ends where {what} was expected",
                self.span(end - 1, end),
                help=_FORM_HELP,
            )
        return fail(
            f"expected {what}, found {shorten(tok.text)!r}",
            self.span(tok.start, tok.end),
            help=_FORM_HELP,
        )

    def number(self, what: str, tok: _Tok | None = None) -> tuple[int, _Tok]:
        tok = tok or self.take("num", what)
        digits = tok.text.lstrip("0") or "0"  # leading zeros count for nothing: 0064 is 64
        if len(digits) > limits.MAX_NUMBER_DIGITS:
            raise fail(
                f"{what} {shorten(tok.text)} is larger than the limit of {_LIMITS[what]:,}",
                self.span(tok.start, tok.end),
            )
        value = int(digits)
        if value <= 0:
            raise fail(f"{what} must be at least 1, not {value}", self.span(tok.start, tok.end))
        return value, tok

    def parse(self) -> Cell:
        first = self.peek()
        if first is None:  # no tokens (parsing starts at the first)
            raise fail("the table cell is empty", self.cell.span, help=_FORM_HELP)
        if first.kind == "begin":
            rows = self.matrix()
        elif first.kind == "lb":
            self.i += 1
            nxt = self.peek()
            if nxt is not None and nxt.kind == "begin":  # \left[ \begin{array} ... \right]
                rows = self.matrix()
            elif nxt is not None and nxt.kind == "lb":
                rows = self.rows_bracketed()
            else:
                rows = self.rows_separated("rb")
            self.close(first)
        else:
            raise self.expected("'[' or \\begin{bmatrix} to open the cell")
        convs, attention = self.split_attention(rows)
        repeats, repeats_span = self.repeat()
        tok = self.peek()
        if tok is not None:
            raise fail(
                f"unexpected {shorten(tok.text)!r} after the cell's repeat count",
                self.span(tok.start, tok.end),
                help=_FORM_HELP,
            )
        return Cell(
            rows=tuple(convs),
            repeats=repeats,
            span=self.cell.span,
            repeats_span=repeats_span,
            attention=attention,
        )

    def split_attention(self, rows: list[Row | Attention]) -> tuple[list[Row], Attention | None]:
        """The convolutions, and the one attention row after them (if any)."""
        convs = [r for r in rows if isinstance(r, Row)]
        found = [r for r in rows if isinstance(r, Attention)]
        if len(found) > 1:
            raise fail(
                "a block has at most one attention row (fc or eca)",
                found[1].span,
                help="squeeze-and-excitation (fc, [16, 256]) or ECA (eca, k=5) follows a block's"
                " last convolution, once",
            )
        if found and rows[-1] is not found[0]:
            raise fail(
                f"the {'fc' if found[0].kind == 'se' else 'eca'} row must come after the block's"
                " convolutions",
                found[0].span,
                help="as in the SENet paper's Table 1: conv rows first, then fc, [16, 256]",
            )
        if not convs:
            raise fail(
                "a block needs at least one convolution before its attention row", found[0].span
            )
        return convs, (found[0] if found else None)

    def matrix(self) -> list[Row | Attention]:
        """`\\begin{bmatrix} row \\\\ row \\end{bmatrix}` (the opening token is next)."""
        self.i += 1
        rows = self.rows_separated(closer="end")
        self.take("end", "\\end{bmatrix}")
        return rows

    def close(self, opener: _Tok) -> None:
        tok = self.peek()
        if tok is None or tok.kind != "rb":
            raise fail(
                "this '[' is never closed"
                if tok is None
                else f"expected ']', found {shorten(tok.text)!r}",
                self.span(opener.start, opener.end)
                if tok is None
                else self.span(tok.start, tok.end),
                help=_FORM_HELP,
            )
        self.i += 1

    def rows_bracketed(self) -> list[Row | Attention]:
        rows: list[Row | Attention] = []
        while True:
            opener = self.take("lb", "'[' to open a row")
            rows.append(self.row())
            self.close(opener)
            tok = self.peek()
            if tok is not None and tok.kind == "sep" and (nxt := self.peek(1)) and nxt.kind == "lb":
                self.i += 1
                tok = nxt
            if tok is None or tok.kind != "lb":
                return self.check_rows(rows)

    def rows_separated(self, closer: str) -> list[Row | Attention]:
        rows = [self.row()]
        while (
            (tok := self.peek()) is not None and tok.kind in ("sep", "rowsep") and tok.text != ","
        ):
            self.i += 1
            nxt = self.peek()
            if nxt is None or nxt.kind == closer:  # a trailing separator, as LaTeX allows
                break
            rows.append(self.row())
        return self.check_rows(rows)

    def check_rows(self, rows: list[Row | Attention]) -> list[Row | Attention]:
        if len(rows) > limits.MAX_ROWS:
            raise fail(
                f"a block may have at most {limits.MAX_ROWS} rows, not {len(rows)}",
                rows[limits.MAX_ROWS].span,
            )
        return rows

    def row(self) -> Row | Attention:
        start = self.peek()
        if start is not None and start.kind == "word":
            word = _word(start.text)
            self.i += 1
            if word != "conv":
                return self.attention(word, start)
            self.optional_comma()
            start = self.peek()
            if start is None:
                raise self.expected("the kernel size after 'conv,'")
        kh, kh_tok = self.number("kernel size")
        self.take("by", "'x' in the kernel size (3x3)")
        kw, kw_tok = self.number("kernel size")
        if kh != kw:
            raise fail(
                f"kernels must be square: {kh}x{kw} is not",
                self.span(kh_tok.start, kw_tok.end),
            )
        if kh > limits.MAX_KERNEL:
            raise fail(
                f"kernel {kh}x{kw} is larger than {limits.MAX_KERNEL}x{limits.MAX_KERNEL}",
                self.span(kh_tok.start, kw_tok.end),
            )
        self.optional_comma()
        filters, f_tok = self.number("number of filters")
        if filters > limits.MAX_WIDTH:
            raise fail(
                f"{filters} filters is more than the limit of {limits.MAX_WIDTH:,}",
                self.span(f_tok.start, f_tok.end),
            )
        end = f_tok.end
        groups, groups_span = 1, None
        here = self.peek()
        nxt = self.peek(1) if here is not None and here.kind == "sep" else here
        if nxt is not None and nxt.kind == "groups":
            self.optional_comma()
            self.i += 1
            groups, g_tok = self.number("group count C")
            end = g_tok.end
            groups_span = self.span(nxt.start, g_tok.end)
        return Row(
            kernel=kh,
            filters=filters,
            groups=groups,
            span=self.span(kh_tok.start, end),  # kh_tok is `start` (after any `conv,`)
            groups_span=groups_span,
        )

    def attention(self, word: str, start: _Tok) -> Attention:
        """`fc, [16, 256]` (or `fc, 16, 256`), or `eca, k=5` (or `eca, 5`); `word` is taken."""
        self.optional_comma()
        if word == "eca":
            taps = self.peek()
            if taps is not None and taps.kind == "taps":
                self.i += 1
            kernel, tok = self.number("1-d kernel size")
            if kernel % 2 == 0 or kernel > limits.MAX_KERNEL:
                raise fail(
                    f"ECA's 1-d kernel must be odd and at most {limits.MAX_KERNEL}, not {kernel}",
                    self.span(tok.start, tok.end),
                    help="ECA-Net's kernels are 3, 5, 7, ...: the conv keeps the channel count",
                )
            return Attention(kind="eca", kernel=kernel, span=self.span(start.start, tok.end))
        nxt = self.peek()
        opener = nxt if nxt is not None and nxt.kind == "lb" else None
        if opener is not None:
            self.i += 1
        width, _ = self.number("attention width")
        self.optional_comma()
        channels, tok = self.number("attention width")
        end = tok.end
        if opener is not None:
            self.close(opener)
            end = self.toks[self.i - 1].end
        return Attention(
            kind="se", width=width, channels=channels, span=self.span(start.start, end)
        )

    def optional_comma(self) -> None:
        tok = self.peek()
        if tok is not None and tok.kind == "sep" and tok.text == ",":
            self.i += 1

    def repeat(self) -> tuple[int, Span]:
        tok = self.peek()
        if tok is None:
            end = len(self.cell.text)
            return 1, self.span(end - 1, end)
        if tok.kind != "by":
            raise self.expected("'x N' (the block's repeat count)")
        self.i += 1
        count, num = self.number("repeat count")
        if count > limits.MAX_REPEATS:
            raise fail(
                f"x {count} is more than the limit of {limits.MAX_REPEATS:,} blocks per stage",
                self.span(num.start, num.end),
            )
        return count, self.span(tok.start, num.end)


def _word(text: str) -> str:
    """`conv`, `fc` or `eca`, from the token (`\\text{fc}` included)."""
    m = re.search(r"(?i)conv|fc|eca", text)
    assert m is not None  # `text` is a `word` token, which _TOKEN matches only around one
    return m.group().lower()


def parse_cell(cell: Scalar) -> Cell:
    """Parse one table cell, or raise `CompileError` pointing at the first wrong character."""
    if len(cell.text) > limits.MAX_CELL_CHARS:
        raise fail(
            f"a table cell may be at most {limits.MAX_CELL_CHARS:,} characters",
            cell.span,
        )
    return _Parser(cell, tokenize(cell)).parse()
