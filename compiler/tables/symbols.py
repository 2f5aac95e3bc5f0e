"""Tables whose cells are written in symbols: the Wide ResNet paper's `[3×3, 16×k; 3×3, 16×k] × N`.

The widening factor `k` and the blocks per group `N` are bound by `--bind k=10,N=4`, or read off
a column's name in the paper's WRN-d-k convention (`wrn_28_10`: depth 28, k = 10, and N = (d - 4)
/ 6 for blocks of two 3x3 convolutions in three groups, as the paper counts). A bound symbol is
replaced where it stands (`16×k` becomes `160`, `× N` becomes `× 4`), the new digits located at
the symbol, so that every diagnostic still points into the table. A symbol left unbound is
refused, at the symbol, saying how to bind it.
"""

from __future__ import annotations

import re

from ..front.diagnostics import fail
from ..front.notation import BY, digit_message, nonascii_digit
from ..front.source import Source
from .text import Text

_SYMBOL = r"(?<![A-Za-z=_{\\])([A-WYZa-wyz])(?![A-Za-z_0-9}]|\s*=)"
"""A one-letter symbol: not the "by" sign `x`, not `C = 32` or an ECA row's `k=5`, not a LaTeX
command or argument (`\\begin{array}{c}`)."""
_PRODUCT = re.compile(rf"([0-9]{{1,9}})\s*{BY}\s*{_SYMBOL}")
_LONE = re.compile(_SYMBOL)
_WRN = re.compile(r"wrn_?([0-9]{1,4})_([0-9]{1,4})", re.I)
_BIND = re.compile(r"\s*([A-Za-z])\s*=\s*([0-9]{1,6})\s*")

WIDE = frozenset({"k", "N"})
"""The Wide ResNet paper's symbols: a table written in them is that paper's, whose blocks are
pre-activation."""


def parse_bind(text: str) -> dict[str, int]:
    """`--bind k=10,N=4`."""
    source = Source("--bind", text)
    out: dict[str, int] = {}
    at = 0
    for piece in text.split(","):
        digit = nonascii_digit(piece)
        if digit is not None:
            at += digit
            raise fail(digit_message(piece[digit], "an option"), source.span(at, at + 1))
        m = _BIND.fullmatch(piece)
        if m is None or int(m.group(2)) < 1:
            raise fail(
                f"cannot read {piece.strip()!r} as a symbol and its value",
                source.span(at, at + max(len(piece), 1)),
                help="bind each symbol to a positive number: --bind k=10,N=4",
            )
        out[m.group(1)] = int(m.group(2))
        at += len(piece) + 1
    return out


_COUNTED = 4
"""What the paper's WRN-d-k depth counts besides the blocks' convolutions: d = groups * rows *
N + 4 (conv1, the fc and the projections, as the paper counts them)."""


def from_name(name: str, rows: int, groups: int) -> dict[str, int]:
    """k and N from a WRN-d-k name (`wrn_28_10`), for blocks of `rows` convolutions in `groups`
    groups."""
    m = _WRN.fullmatch(name)
    per = rows * groups
    if m is None or per == 0:
        return {}
    depth, k = int(m.group(1)), int(m.group(2))
    if (depth - _COUNTED) % per or depth <= _COUNTED:
        return {"k": k}
    return {"k": k, "N": (depth - _COUNTED) // per}


def wrn_name(values: dict[str, int], rows: int, groups: int) -> str:
    """The WRN-d-k name of k and N (`wrn_28_10`), the inverse of `from_name`."""
    return f"wrn_{groups * rows * values['N'] + _COUNTED}_{values['k']}"


def used(text: str) -> set[str]:
    """The symbols a cell is written in."""
    return {m.group(1) for m in _LONE.finditer(text)}


def bind(source: Source, cell: Text, values: dict[str, int], name: str) -> Text:
    """`cell` with every bound symbol replaced by its value; a symbol left unbound is refused."""

    def product(m: re.Match[str]) -> str:
        symbol = m.group(2)
        return str(int(m.group(1)) * values[symbol]) if symbol in values else m.group(0)

    bound = cell.edit(_PRODUCT, product)
    bound = bound.edit(_LONE, lambda m: str(values.get(m.group(1), m.group(1))))
    left = next(_LONE.finditer(bound.text), None)
    if left is not None:
        symbol = left.group(1)
        raise fail(
            f"the table writes this cell in the symbol {symbol!r}, which has no value for {name}",
            bound.slice(left.start(1), left.end(1)).span(source),
            help=f"bind it: --bind {symbol}=... (the Wide ResNet paper's k and N also come from"
            " a name like --names wrn_28_10)",
        )
    return bound
