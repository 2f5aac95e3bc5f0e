"""Output-size arithmetic shown with the numbers: `floor((224 + 2*3 - 7) / 2) + 1 = 112`.

The formula is not written down here: `shapes.out_size` is evaluated on numbers that remember how
they were combined, so the text is whatever that function computes, and its value is checked
against the plain result.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.shapes import out_size

_ATOM, _PRODUCT, _SUM = 3, 2, 1


@dataclass(frozen=True)
class Traced:
    """A number with the expression that produced it (and that expression's precedence)."""

    value: int
    text: str
    precedence: int = _ATOM

    @staticmethod
    def of(value: Traced | int) -> Traced:
        """`value` as a `Traced` (a plain int is its own expression)."""
        return value if isinstance(value, Traced) else Traced(value, str(value))

    def _wrap(self, precedence: int) -> str:
        return f"({self.text})" if self.precedence < precedence else self.text

    def _binary(self, other: Traced | int, symbol: str, swap: bool = False) -> Traced:
        left, right = (Traced.of(other), self) if swap else (self, Traced.of(other))
        if symbol == "//":
            text = f"floor({left._wrap(_PRODUCT)} / {right._wrap(_ATOM)})"
            return Traced(left.value // right.value, text)
        if symbol == "*":
            text = f"{left._wrap(_PRODUCT)}*{right._wrap(_ATOM)}"
            return Traced(left.value * right.value, text, _PRODUCT)
        value = left.value + right.value if symbol == "+" else left.value - right.value
        return Traced(value, f"{left._wrap(_SUM)} {symbol} {right._wrap(_PRODUCT)}", _SUM)

    def __str__(self) -> str:
        return self.text

    def __add__(self, other: Traced | int) -> Traced:
        return self._binary(other, "+")

    def __radd__(self, other: int) -> Traced:
        return self._binary(other, "+", swap=True)

    def __sub__(self, other: Traced | int) -> Traced:
        return self._binary(other, "-")

    def __rsub__(self, other: int) -> Traced:
        return self._binary(other, "-", swap=True)

    def __mul__(self, other: Traced | int) -> Traced:
        return self._binary(other, "*")

    def __rmul__(self, other: int) -> Traced:
        return self._binary(other, "*", swap=True)

    def __floordiv__(self, other: Traced | int) -> Traced:
        return self._binary(other, "//")

    def __rfloordiv__(self, other: int) -> Traced:
        return self._binary(other, "//", swap=True)


def out_size_text(size: int, kernel: int, stride: int, padding: int) -> str:
    """`floor((size + 2*p - k) / s) + 1 = out`, as `shapes.out_size` computes it."""
    args = (Traced.of(size), Traced.of(kernel), Traced.of(stride), Traced.of(padding))
    traced = Traced.of(out_size(*args))  # type: ignore[arg-type]
    plain = out_size(size, kernel, stride, padding)
    if traced.value != plain:  # pragma: no cover - Traced follows int arithmetic exactly
        raise AssertionError(f"traced arithmetic {traced} != {plain}")
    return f"{traced} = {plain}"


def out_size_formula() -> str:
    """`floor((size + 2*padding - kernel) / stride) + 1`: the formula itself, in words."""
    names = [Traced(1, name) for name in ("size", "kernel", "stride", "padding")]
    return str(Traced.of(out_size(*names)))  # type: ignore[arg-type]
