"""Table 1 as LaTeX source -> rows of located cells.

Reads what a `tabular` holds: rows ended by `\\\\`, cells split by `&` (only at the top level: the
`\\\\` and `&` inside a bmatrix belong to the matrix), `\\multicolumn{n}{c}{...}` cells spanning n
columns, `\\hline` / `\\cline` / booktabs rules, `%` comments, and the paper's own macros: a
`\\newcommand{\\blocka}[2]{...}` pasted with the table is expanded where it is used.
"""

from __future__ import annotations

import re

from ..front import limits
from ..front.diagnostics import fail
from ..front.source import Source
from .text import Cell, Row, Text, ascii_digits, checked_cell, checked_split

MAX_MACROS = 100
"""Most `\\newcommand`s in one table (Table 1 as the paper typesets it has 2)."""

MAX_EXPANSIONS = 10_000
"""Most macro uses expanded in one table (Table 1 written with the paper's macros needs 20)."""

MAX_MACRO_DEPTH = 16
"""Deepest nesting of macro uses: a macro whose body uses a macro whose body uses another, ...
(Table 1 written with the paper's macros nests 1 deep)."""


_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_BEGIN_TABULAR = re.compile(r"\\begin\s*\{\s*(tabular\*?|tabularx|tabulary|longtable)\s*\}")
_RULE = re.compile(
    r"\s*(?:\\(?:hline|toprule|midrule|bottomrule|endhead|endfirsthead|endfoot|endlastfoot)"
    r"(?![A-Za-z])|\\(?:cline|cmidrule)\s*(?:\([^)]*\))?\s*\{[^{}]*\}"
    r"|\\(?:addlinespace|specialrule|noalign)\s*(?:\[[^\]]*\])?(?:\s*\{[^{}]*\})*)"
)


_ROW_END = re.compile(r"&.*\\\\\s*(?:\\[ch]line\s*(?:\{[^}]*\}\s*)?)?(?:%.*)?$", re.M)


def is_latex(text: str) -> bool:
    """Whether the pasted table is LaTeX source: a tabular, or most `&` rows ending in `\\\\`."""
    if _BEGIN_TABULAR.search(text):
        return True
    rows = sum(1 for line in text.splitlines() if "&" in line)
    return rows > 0 and 2 * len(_ROW_END.findall(text)) >= rows


def read_rows(source: Source) -> list[Row]:
    """The rows of the (first) tabular in `source`, comments removed and macros expanded."""
    text = Text.of(source.text, 0, len(source.text)).edit(_COMMENT, lambda m: "")
    text, macros = _definitions(source, text)
    body = ascii_digits(source, _tabular_body(source, text))  # macro bodies: `_definitions`
    body = _expand(source, body, macros)
    rows = []
    for row_text in _split(source, body, "row"):
        row_text = _strip_rules(row_text)
        if not row_text:
            continue
        cells = tuple(_cell(source, c) for c in _split(source, row_text, "cell"))
        rows.append(Row(cells, row_text.strip()))
    return rows


def _strip_rules(row: Text) -> Text:
    """The row without the `\\hline` and similar rules that precede it."""
    pos = 0
    while (m := _RULE.match(row.text, pos)) is not None and m.end() > pos:
        pos = m.end()
    return row.slice(pos)


def _tabular_body(source: Source, text: Text) -> Text:
    """What lies between `\\begin{tabular}{spec}` and its `\\end{tabular}` (all text if none)."""
    m = _BEGIN_TABULAR.search(text.text)
    if m is None:
        return text
    env = m.group(1)
    pos = m.end()
    args = 2 if env in ("tabular*", "tabularx", "tabulary") else 1
    pos = _skip_optional(text.text, pos)
    for _ in range(args):
        pos = _group_end(source, text, _skip_space(text.text, pos))
    end = re.compile(r"\\end\s*\{\s*" + re.escape(env) + r"\s*\}").search(text.text, pos)
    if end is None:
        raise fail(
            f"\\begin{{{env}}} is never closed by \\end{{{env}}}",
            text.slice(m.start(), m.end()).span(source),
        )
    return text.slice(pos, end.start())


def _skip_space(s: str, pos: int) -> int:
    while pos < len(s) and s[pos].isspace():
        pos += 1
    return pos


def _skip_optional(s: str, pos: int) -> int:
    """Past an optional `[...]` argument (and the space before it)."""
    p = _skip_space(s, pos)
    if p < len(s) and s[p] == "[":
        close = s.find("]", p)
        return close + 1 if close >= 0 else pos
    return pos


def _group_end(source: Source, text: Text, pos: int) -> int:
    """The index just past the `{...}` group starting at `pos` (nested braces counted)."""
    s = text.text
    if pos >= len(s) or s[pos] != "{":
        raise fail("expected '{' here (a LaTeX argument)", text.slice(pos, pos + 1).span(source))
    depth = 0
    i = pos
    while i < len(s):
        ch = s[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise fail("this '{' is never closed", text.slice(pos, pos + 1).span(source))


# ---------------------------------------------------------------- macros

_DEFINE = re.compile(
    r"\\(?:re|provide)?newcommand\*?\s*(?:\{\s*\\([A-Za-z]+)\s*\}|\\([A-Za-z]+))"
    r"\s*(?:\[\s*([^\]\s]*)\s*\])?\s*"
)


def _definitions(source: Source, text: Text) -> tuple[Text, dict[str, tuple[int, Text]]]:
    """Remove every `\\newcommand` from the text; return the text and the macros it defined."""
    macros: dict[str, tuple[int, Text]] = {}
    kept: list[Text] = []
    pos = 0
    while (m := _DEFINE.search(text.text, pos)) is not None:
        if len(macros) >= MAX_MACROS:
            raise fail(
                f"a table may define at most {MAX_MACROS} macros",
                text.slice(m.start(), m.end()).span(source),
            )
        end = _group_end(source, text, m.end())
        body = ascii_digits(source, text.slice(m.end() + 1, end - 1))
        macros[m.group(1) or m.group(2)] = (_arity(source, text, m), body)
        kept.append(text.slice(pos, m.start()))
        pos = end
    kept.append(text.slice(pos))
    return Text.join(kept, text.at), macros


def _arity(source: Source, text: Text, m: re.Match[str]) -> int:
    """How many arguments a `\\newcommand` takes: its `[n]`, 0 to 9 (0 if it has none)."""
    if m.group(3) is None:
        return 0
    at = ascii_digits(source, text.slice(m.start(3), m.end(3)))
    if not re.fullmatch("[0-9]", at.text):
        raise fail(
            "a macro takes 0 to 9 arguments: write [1] to [9] after its name",
            (at if at.text else text.slice(m.start(), m.end())).span(source),
        )
    return int(at.text)


def _expand(source: Source, text: Text, macros: dict[str, tuple[int, Text]]) -> Text:
    """Replace each use of a pasted macro by its body with the arguments put in (then rescan)."""
    if not macros:
        return text
    names = "|".join(sorted(map(re.escape, macros), key=len, reverse=True))
    use = re.compile(r"\\(" + names + r")(?![A-Za-z])")
    budget = [MAX_EXPANSIONS, 0]  # expansions left, characters produced
    return _expand_in(source, text, macros, use, budget, ())


def _expand_in(source, text: Text, macros, use: re.Pattern[str], budget: list[int], chain):
    """`text` expanded; `chain` names the macros whose expansion it is, outermost first."""
    pieces: list[Text] = []
    pos = 0
    while (m := use.search(text.text, pos)) is not None:
        budget[0] -= 1
        at = text.slice(m.start(), m.end())
        if budget[0] < 0 or len(chain) >= MAX_MACRO_DEPTH:
            raise _endless(source, at, macros, use, (*chain, m.group(1)), budget[0] < 0)
        count, body = macros[m.group(1)]
        end = m.end()
        args = []
        for _ in range(count):
            start = _skip_space(text.text, end)
            end = _group_end(source, text, start)
            args.append(text.slice(start + 1, end - 1))
        pieces.append(text.slice(pos, m.start()))
        expansion = _substitute(source, at, body, args, budget)
        pieces.append(_expand_in(source, expansion, macros, use, budget, (*chain, m.group(1))))
        pos = end
    pieces.append(text.slice(pos))
    return Text.join(pieces, text.at)


MAX_EXPANDED_CHARS = limits.MAX_SPEC_BYTES
"""Most characters all macro expansions of a table may produce together (what a spec may hold)."""


def _endless(source: Source, at: Text, macros, use: re.Pattern[str], chain, count: bool):
    """The refusal where expansion passes `MAX_EXPANSIONS` (`count`) or `MAX_MACRO_DEPTH`; it
    says that a macro uses itself only where one of those being expanded does."""
    if count:
        said = f"the table's macros expand more than {MAX_EXPANSIONS:,} times (MAX_EXPANSIONS)"
    else:
        said = f"the table's macros nest more than {MAX_MACRO_DEPTH} deep (MAX_MACRO_DEPTH)"
    itself = next((name for name in chain if _uses_itself(name, macros, use)), None)
    if itself is not None:
        said += f": \\{itself} uses itself, so it expands without end"
    return fail(said, at.span(source))


def _uses_itself(name: str, macros, use: re.Pattern[str]) -> bool:
    """Whether the body of macro `name` uses `name` again, directly or through other bodies."""
    seen, todo = {name}, [name]
    while todo:
        for m in use.finditer(macros[todo.pop()][1].text):
            if m.group(1) == name:
                return True
            if m.group(1) not in seen:
                seen.add(m.group(1))
                todo.append(m.group(1))
    return False


def _substitute(source: Source, at: Text, body: Text, args: list[Text], budget: list[int]) -> Text:
    """`body` with each `#k` replaced by the k-th argument (which keeps its own positions).

    Every piece is charged to the budget of characters produced (`budget[1]`) before it is
    added, so an expansion is refused as soon as it would pass `MAX_EXPANDED_CHARS`: a body of
    30,000 `#1` applied to a 60,000-character argument stops after two copies, not 1.8 billion
    characters later."""
    pieces = []
    last = 0

    def charge(piece: Text) -> None:
        budget[1] += len(piece)
        if budget[1] > MAX_EXPANDED_CHARS:
            raise fail(
                f"the table's macros expand to more than {MAX_EXPANDED_CHARS:,} characters"
                " (MAX_EXPANDED_CHARS), more than a spec may hold",
                at.span(source),
            )
        pieces.append(piece)

    for m in re.finditer(r"#([1-9])", body.text):
        k = int(m.group(1))
        charge(body.slice(last, m.start()))
        if k <= len(args):
            charge(args[k - 1])
        last = m.end()
    charge(body.slice(last))
    return Text.join(pieces, body.at)


# ---------------------------------------------------------------- rows and cells

_TOKEN = re.compile(
    r"\\(?:begin|end)\s*\{[^{}]*\}|\\tabularnewline(?![A-Za-z])|\\\\(?:\s*\[[^\]\n]*\])?|\\.|[{}&]"
)


def _split(source: Source, text: Text, what: str) -> list[Text]:
    """Split at the top-level row ends (`\\\\`) or cell separators (`&`)."""
    cuts: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []
    for m in _TOKEN.finditer(text.text):
        tok = m.group()
        if tok == "{" or tok.startswith("\\begin"):
            stack.append((tok, m.start()))
        elif tok == "}" or tok.startswith("\\end"):
            if not stack:
                raise fail(
                    f"this {tok!r} closes nothing", text.slice(m.start(), m.end()).span(source)
                )
            stack.pop()
        elif stack:
            continue
        elif tok == ("&" if what == "cell" else None) or (
            what == "row" and tok.startswith(("\\\\", "\\tabularnewline"))
        ):
            cuts.append((m.start(), m.end()))
    if stack:
        tok, at = stack[-1]
        closer = "}" if tok == "{" else tok.replace("\\begin", "\\end")
        raise fail(
            f"this {tok!r} is never closed by {closer!r}",
            text.slice(at, at + len(tok)).span(source),
        )
    return checked_split(source, text, cuts, what)


_MULTICOLUMN = re.compile(r"\\multicolumn\s*\{\s*([0-9]+)\s*\}\s*")


def _cell(source: Source, text: Text) -> Cell:
    """One cell; `\\multicolumn{n}{spec}{content}` gives its content spanning n columns."""
    text = checked_cell(source, text.strip())
    m = _MULTICOLUMN.match(text.text)
    if m is None:
        return Cell(text)
    spec_end = _group_end(source, text, m.end())
    start = _skip_space(text.text, spec_end)
    end = _group_end(source, text, start)
    columns = int(m.group(1))
    if columns < 1:
        raise fail(
            "\\multicolumn must span at least 1 column",
            text.slice(m.start(1), m.end(1)).span(source),
        )
    content = text.slice(start + 1, end - 1).strip() + text.slice(end).strip()
    return Cell(content, columns, text.slice(m.start(), spec_end))
