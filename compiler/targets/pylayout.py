"""How emitted code is laid out: calls, loops, comments and docstrings that fit in 88 columns.

Every line is produced already formatted the way `ruff format` lays it out (a call that does not fit
is exploded one argument per line with a trailing comma), so that compiling never shells out to a
formatter whose version would change the bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

WIDTH = 88
"""The line length of emitted code (ruff format's default)."""


@dataclass
class Call:
    """A call expression that lays itself out in 88 columns (exploded when `explode` is set)."""

    func: str
    args: Sequence[Expr] = field(default_factory=list)
    explode: bool = False

    def flat(self) -> str:
        return f"{self.func}({', '.join(flat(a) for a in self.args)})"

    def lines(self, indent: int, prefix: int = 0, suffix: str = "") -> list[str]:
        one = self.flat() + suffix
        if not self.explode and indent + prefix + len(one) <= WIDTH:
            return [one]
        out = [f"{self.func}("]
        for arg in self.args:
            out += ["    " + line for line in lines(arg, indent + 4, 0, ",")]
        return [*out, ")" + suffix]


@dataclass
class Repeat:
    """`*(element for _ in range(count))`: the identical blocks of a stage, as a loop."""

    element: Expr
    count: int
    var: str = "_"
    """The loop variable, where the element uses it (`rates[3 + i]`)."""

    def flat(self) -> str:
        return f"*({flat(self.element)} for {self.var} in range({self.count}))"

    def lines(self, indent: int, prefix: int = 0, suffix: str = "") -> list[str]:
        one = self.flat() + suffix
        if indent + prefix + len(one) <= WIDTH:
            return [one]
        body = ["    " + line for line in lines(self.element, indent + 4)]
        return ["*(", *body, f"    for {self.var} in range({self.count})", ")" + suffix]


@dataclass
class Commented:
    """An argument with a comment on the line above it (a pruned stage's cell, over its blocks);
    it is always laid out on lines of its own, so the call around it is exploded."""

    text: str
    expr: Expr
    explode: bool = True

    def flat(self) -> str:
        return flat(self.expr)

    def lines(self, indent: int, prefix: int = 0, suffix: str = "") -> list[str]:
        return [*comment(self.text, indent), *lines(self.expr, indent, 0, suffix)]


@dataclass
class FitCall(Call):
    """A call laid out as ruff lays out one it may join: on one line if it fits; else its
    arguments on one line of their own if they fit there; else a lone argument laid out in
    turn, or one argument per line with a trailing comma (always so when `explode` is set: a
    magic trailing comma)."""

    def lines(self, indent: int, prefix: int = 0, suffix: str = "") -> list[str]:
        one = self.flat() + suffix
        if self.explode or not self.args:
            return super().lines(indent, prefix, suffix)
        if indent + prefix + len(one) <= WIDTH and not _exploded(self.args):
            return [one]
        body = ", ".join(flat(a) for a in self.args)
        if indent + 4 + len(body) <= WIDTH and not _exploded(self.args):
            return [f"{self.func}(", "    " + body, ")" + suffix]
        if len(self.args) == 1:
            inner = lines(self.args[0], indent + 4)
            return [f"{self.func}(", *("    " + line for line in inner), ")" + suffix]
        return super().lines(indent, prefix, suffix)


@dataclass
class ListOf:
    """`[a, b]`, on one line if it fits, else one element per line with a trailing comma (always
    so when `explode` is set)."""

    items: list[Expr]
    explode: bool = False

    def flat(self) -> str:
        return f"[{', '.join(flat(a) for a in self.items)}]"

    def lines(self, indent: int, prefix: int = 0, suffix: str = "") -> list[str]:
        one = self.flat() + suffix
        if not self.explode and indent + prefix + len(one) <= WIDTH:
            return [one]
        out = ["["]
        for item in self.items:
            out += ["    " + line for line in lines(item, indent + 4, 0, ",")]
        return [*out, "]" + suffix]


def _exploded(args: Sequence[Expr]) -> bool:
    """Whether an argument must be laid out over several lines whatever the room."""
    return any(getattr(a, "explode", False) or isinstance(a, Repeat) for a in args)


Expr = str | Call | Repeat | ListOf | Commented


def flat(expr: Expr) -> str:
    """`expr` on one line."""
    return expr if isinstance(expr, str) else expr.flat()


def lines(expr: Expr, indent: int, prefix: int = 0, suffix: str = "") -> list[str]:
    """`expr` laid out for a line indented by `indent` where `prefix` characters precede it."""
    return [expr + suffix] if isinstance(expr, str) else expr.lines(indent, prefix, suffix)


def assign(target: str, expr: Expr, indent: int) -> list[str]:
    """`target = expr`, laid out at `indent`."""
    body = lines(expr, indent, len(target) + 3)
    return [f"{target} = {body[0]}", *body[1:]]


def comment(text: str, indent: int) -> list[str]:
    """`# text`, wrapped at spaces to stay within 88 columns."""
    room = WIDTH - indent - 2
    out, line = [], ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > room:
            out.append(line)
            line = "  " + word
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    return ["# " + x for x in out]


def docstring(summary: str, body: list[str], indent: int) -> str:
    """A docstring block indented by `indent` spaces (blank lines left empty)."""
    pad = " " * indent
    if not body:
        return f'{pad}"""{summary}"""'
    text = [f'{pad}"""{summary}', ""]
    text += [pad + line if line else "" for line in body]
    return "\n".join([*text, f'{pad}"""'])
