"""The table notation, read and written in one place.

Reading: every reader of the notation (spec cells, the stem and pool, input and expected sizes,
pasted tables, decompile's options) builds its patterns from the rules here, so a spelling
accepted in one place is accepted in all of them:

- "by" is any of `x`, `X`, `×`, `✕`, `✖`, `⨯`, `*`, `·`, `\\times`, `\\cdot` (`BY`);
- a number is ASCII digits (`NUMBER`); a digit of another script (`1৭`, which Python's `int`
  would read as 17) is refused by name, as `nonascii_digit` finds it and `digit_message` says,
  wherever it is written (a spec, a pasted table, a command-line option);
- a kernel is two numbers joined by "by" (`KERNEL`), a stride `/2` or `stride 2` after an
  optional comma (`STRIDE`), a repeat "by" and a number after a cell's closing bracket.

Writing: `row_text`, `cell_text`, `stem_text`, `pool_text`, `head_text`, `size_text` print the
canonical spelling (`[[1x1,64],[3x3,64],[1x1,256]] x 3`, `7x7, 64, /2`, `3x3 max, /2`), which
every reader above reads back. Every part of resnetc that shows the notation prints it here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Protocol

BY_SIGNS = "xX×✕✖⨯*·"
"""The characters that mean "by" (`3x3`, `3×3`, `x 3`)."""

BY_COMMANDS = ("\\times", "\\cdot")
"""The LaTeX commands that mean "by" (`3 \\times 3`)."""

BY = r"(?:\\times(?![A-Za-z])|\\cdot(?![A-Za-z])|[" + BY_SIGNS + r"])"
"""A regular expression for one "by" sign."""

BY_SIGN = "[" + BY_SIGNS + "]"
"""A regular expression for one "by" character (where LaTeX commands are already gone)."""

NUMBER = r"[0-9]+"
"""A regular expression for a number: ASCII digits only."""

KERNEL = rf"({NUMBER})\s*{BY}\s*({NUMBER})"
"""A kernel size, `3x3`: two groups, height and width."""

STRIDE = rf"(?:\s*,?\s*(?:/\s*|stride\s*)({NUMBER}))?"
"""An optional stride after a kernel or a width, `, /2` or `stride 2`: one group (or None)."""

RATE = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
"""A rate from 0 to 1 written in decimals, `0.05` or `.05`: ASCII digits only."""

ATTENTION_WORDS = ("fc", "eca")
"""The words that open a block's attention row: `fc, [16, 256]` (squeeze-and-excitation, as the
SENet paper's Table 1 writes it) and `eca, k=5` (efficient channel attention, its 1-d kernel)."""


def nonascii_digit(text: str) -> int | None:
    """The index of the first decimal digit in `text` that is not ASCII 0-9, or None."""
    for i, ch in enumerate(text):
        if not ("0" <= ch <= "9") and unicodedata.decimal(ch, None) is not None:
            return i
    return None


def digit_message(ch: str, where: str = "a spec") -> str:
    """Why a digit of another script is refused, naming it: `U+09ED BENGALI DIGIT SEVEN`;
    `where` says what the number is in (`a spec`, `a table`, `an option`)."""
    name = unicodedata.name(ch, "a decimal digit")
    return (
        f"U+{ord(ch):04X} {name} is not an ASCII digit: numbers in {where} are written with 0-9"
        f" (this one would read as {unicodedata.decimal(ch)})"
    )


# ---------------------------------------------------------------- writing


class RowLike(Protocol):
    """A row of a table cell: a convolution's kernel, filters and groups."""

    @property
    def kernel(self) -> int: ...

    @property
    def filters(self) -> int: ...

    @property
    def groups(self) -> int: ...


def kernel_text(kernel: int) -> str:
    """`3x3`."""
    return f"{kernel}x{kernel}"


def row_text(row: RowLike) -> str:
    """`[3x3,128,C=32]`: one row in the canonical compact notation."""
    groups = f",C={row.groups}" if row.groups != 1 else ""
    return f"[{kernel_text(row.kernel)},{row.filters}{groups}]"


def row_words(row: RowLike) -> str:
    """`3x3, 128, C=32`: one row as Table 1 prints it, stacked in a matrix."""
    groups = f", C={row.groups}" if row.groups != 1 else ""
    return f"{kernel_text(row.kernel)}, {row.filters}{groups}"


class AttentionLike(Protocol):
    """A block's attention row: squeeze-and-excitation (`se`: `width` then back to `channels`)
    or efficient channel attention (`eca`: a 1-d convolution of `kernel` taps)."""

    @property
    def kind(self) -> str: ...

    @property
    def width(self) -> int: ...

    @property
    def channels(self) -> int: ...

    @property
    def kernel(self) -> int: ...


def attention_text(row: AttentionLike) -> str:
    """`[fc,[16,256]]` or `[eca,k=5]`: an attention row in the canonical compact notation."""
    if row.kind == "se":
        return f"[fc,[{row.width},{row.channels}]]"
    return f"[eca,k={row.kernel}]"


def attention_words(row: AttentionLike) -> str:
    """`fc, [16, 256]` or `eca, k=5`: an attention row as a paper's table prints it."""
    if row.kind == "se":
        return f"fc, [{row.width}, {row.channels}]"
    return f"eca, k={row.kernel}"


def cell_text(rows: Iterable[RowLike], repeats: int, attention: AttentionLike | None = None) -> str:
    """`[[1x1,64],[3x3,64],[1x1,256]] x 3`: the canonical notation of a table cell (an attention
    row last: `[[1x1,64],[3x3,64],[1x1,256],[fc,[16,256]]] x 3`)."""
    parts = [row_text(r) for r in rows]
    if attention is not None:
        parts.append(attention_text(attention))
    return "[" + ",".join(parts) + f"] x {repeats}"


def stem_text(kernel: int, filters: int, stride: int) -> str:
    """The stem cell: `7x7, 64, /2` (no stride part for stride 1)."""
    tail = f", /{stride}" if stride != 1 else ""
    return f"{kernel_text(kernel)}, {filters}{tail}"


def stem_convs_text(convs: Iterable[tuple[int, int, int]]) -> str:
    """A deep stem's cell, each conv as `stem_text` writes it: `3x3, 32, /2; 3x3, 32; 3x3, 64`."""
    return "; ".join(stem_text(*conv) for conv in convs)


def norm_text(groups: int | None) -> str:
    """`BN`, or `GN, G=32` for a GroupNorm of 32 groups (the `norm:` option)."""
    return "BN" if groups is None else f"GN, G={groups}"


def rate_text(rate: float) -> str:
    """A rate as the spec writes it: `0.05`, `0.1`, `0.0`."""
    return repr(float(rate))


def pool_text(kernel: int, kind: str, stride: int) -> str:
    """The pool cell: `3x3 max, /2`."""
    return f"{kernel_text(kernel)} {kind}, /{stride}"


def head_text(classes: int, final_norm: bool) -> str:
    """The head row in the paper's words: `average pool, 1000-d fc` (after a final BN-ReLU)."""
    text = f"average pool, {classes}-d fc"
    return f"BN-ReLU, {text}" if final_norm else text


def size_text(h: int, w: int) -> str:
    """An output size, `56x56`."""
    return f"{h}x{w}"


def input_text(h: int, w: int, c: int) -> str:
    """An input size, `224x224x3` (height x width x channels)."""
    return f"{h}x{w}x{c}"
