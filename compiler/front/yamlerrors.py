"""PyYAML's syntax errors, said in resnetc's words: the usual mistakes recognised, none left raw.

PyYAML reports a problem (`could not find expected ':'`) and a mark; this module looks at the
line the mark is on and says what went wrong in a spec's terms, with a help line one can act on:

- a table cell whose quote closes before `x N` (`"[[3x3,64],[3x3,64]]" x 2`);
- an unquoted cell, whose brackets YAML reads as a list;
- a key without its colon (`classes 1000`), a second colon in a value (`classes: 1000: 3`);
- a stray `- ` in front of a key;
- lines of one mapping indented differently, or a tab among the indentation;
- a quote, bracket or brace that is never closed;
- LaTeX in double quotes, YAML directives, anchors and aliases without names, text after `...`.

Anything else PyYAML can say is reported as "YAML cannot read the spec here" with what it
expected, in plain words; PyYAML's own phrasing never reaches the user.
"""

from __future__ import annotations

import re

import yaml

from .diagnostics import CompileError, fail
from .notation import BY, NUMBER
from .source import Source, Span

_CELL_LINE = re.compile(r"^(?P<lead>\s*(?:-\s+)?[^\s:#][^:#]*:\s+)(?P<cell>[\[\\$].*?)\s*(?:#.*)?$")
_QUOTED_THEN = re.compile(
    r"^(?P<lead>\s*[^\s:#][^:#]*:\s+)(?P<quote>[\"'])(?P<inside>.*?)(?P=quote)\s*(?P<rest>[^#]*?)\s*(?:#.*)?$"
)
_REPEAT = re.compile(rf"{BY}\s*{NUMBER}")
_KEY_NO_COLON = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_][\w.-]*)\s+(?P<value>\S.*)$")

_FOUND = {
    "<scalar>": "more text",
    "-": "a list item ('-')",
    "[": "a '['",
    "{": "a '{'",
    "<block mapping start>": "a line indented deeper than the mapping it is in",
    "<block sequence start>": "a list",
    "<stream end>": "the end of the file",
    "<document start>": "a new document ('---')",
    "?": "a '?'",
    ",": "a ','",
    "]": "a ']'",
    "}": "a '}'",
}
"""What PyYAML's token names stand for, in words."""


def syntax_error(source: Source, exc: yaml.MarkedYAMLError) -> CompileError:
    """A located diagnostic for a PyYAML syntax error, in the words of the spec format."""
    mark = exc.problem_mark or exc.context_mark
    index = mark.index if mark is not None else 0
    line_no = mark.line + 1 if mark is not None else 1
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    rules = (_escape, _tab, _quote_closed_early, _quote_left_open, _unquoted_cell, _no_colon)
    for rule in (*rules, _stray_dash):
        found = rule(source, exc, problem, line_no)
        if found is not None:
            return found
    if "mapping values are not allowed" in problem:
        return _stray_colon(source, index, line_no)
    if "<block mapping start>" in problem:
        return _indentation(source, line_no)
    if problem.startswith(("expected ',' or ']'", "expected ',' or '}'")):
        return _flow(source, exc, problem)
    if "while scanning a quoted scalar" in context and "end of stream" in problem:
        return _unclosed(source, exc, "quote")
    if "directive" in problem:
        return fail(
            "YAML directives (%YAML, %TAG) have no place in a spec",
            source.span(index),
            help="delete the line; a spec is one plain YAML mapping",
        )
    if "while scanning an anchor" in context or "while scanning an alias" in context:
        return fail(
            "'&' and '*' start YAML anchors and aliases, which need a name after them",
            source.span(index),
            help="quote a value that starts with & or * ('&...')",
        )
    if "<document start>" in problem:
        return fail(
            "text after the end of the document ('...')",
            source.span(index),
            help="a spec is one YAML document: delete the '...' line or what follows it",
        )
    return fail(
        f"YAML cannot read the spec here: {_plain(problem)}",
        source.span(index),
        help="check this line and the one above it: indentation, colons and quotes",
    )


def _plain(problem: str) -> str:
    """PyYAML's problem in words: `expected <block end>, but found '-'` -> what was found."""
    m = re.search(r"found '?(<[^>]+>|[^']+)'?$", problem) or re.search(
        r"got '(<[^>]+>|.)'", problem
    )
    if m is not None:
        return f"found {_FOUND.get(m.group(1), repr(m.group(1)))} where it cannot be"
    return "the text does not fit the YAML around it"


def _escape(source, exc, problem, line_no):
    if "unknown escape character" not in problem:
        return None
    quoted = _requoted(source, exc.context_mark)
    return fail(
        "a backslash in double quotes starts a YAML escape, so LaTeX (\\times, \\left, ...)"
        " cannot be written there",
        source.span(exc.problem_mark.index),
        help=f"use single quotes: {quoted}" if quoted else "use single quotes '...' around LaTeX",
    )


def _tab(source, exc, problem, line_no):
    if "cannot start any token" in problem and "\\t" in problem:
        return fail("a tab cannot indent YAML; use spaces", source.span(exc.problem_mark.index))
    return None


def _quote_closed_early(source, exc, problem, line_no):
    """`conv2_x: "[[3x3,64],[3x3,64]]" x 2`: text after the closing quote, on the same line."""
    if "but found '<scalar>'" not in problem:
        return None
    text = source.line_text(line_no)
    m = _QUOTED_THEN.match(text)
    if m is None or not m.group("rest"):
        return None
    rest, quote = m.group("rest"), m.group("quote")
    col = m.start("rest") + 1
    span = Span(source.name, line_no, col, line_no, col + len(rest))
    key = m.group("lead").strip()
    if _REPEAT.fullmatch(rest.strip()):
        return fail(
            f"the repeat count {rest.strip()!r} is outside the quotes: YAML ends the cell at the"
            " closing quote",
            span,
            help=f"move it inside: {key} {quote}{m.group('inside')} {rest.strip()}{quote}",
        )
    return fail(
        f"text after the closing quote: YAML ends the value at the quote, and {rest!r} is left",
        span,
        help=f"keep the whole value inside the quotes: {key} {quote}{m.group('inside')} {rest}"
        f"{quote}",
    )


def _quote_left_open(source, exc, problem, line_no):
    """A quote not closed on its line: YAML read on into the next line, and stumbled there."""
    if "but found" not in problem:
        return None
    before = _previous(source, line_no)
    if before is None:
        return None
    text = source.line_text(before)
    m = re.match(r"^\s*[^\s:#][^:#]*:\s+([\"'])", text)
    if m is None or text.count(m.group(1)) % 2 == 0:
        return None
    col = m.start(1) + 1
    return fail(
        "this quote is not closed on its line, so YAML reads the next line into the value",
        Span(source.name, before, col, before, col + 1),
        help=f"close it at the end of line {before}: {text.strip()}{m.group(1)}",
    )


def _unquoted_cell(source, exc, problem, line_no):
    for candidate in (line_no, exc.context_mark.line + 1 if exc.context_mark else line_no):
        cell = _CELL_LINE.match(source.line_text(candidate))
        if cell and candidate == line_no:
            col = len(cell.group("lead")) + 1
            text = cell.group("cell")
            return fail(
                "this table cell must be quoted: unquoted, YAML reads its brackets as a list",
                Span(source.name, candidate, col, candidate, col + len(text)),
                help=f'write {cell.group("lead").strip()} "{text}"',
            )
    return None


def _no_colon(source, exc, problem, line_no):
    """`classes 1000`: a key and its value without the colon between them."""
    if "could not find expected ':'" not in problem or exc.context_mark is None:
        return None
    at = exc.context_mark.line + 1
    text = source.line_text(at)
    m = _KEY_NO_COLON.match(text)
    if m is None:
        return fail(
            "this line is neither a key with a value nor part of the value above",
            Span(source.name, at, 1, at, len(text) + 1),
            help="write it as `key: value`, or indent it under the key it belongs to",
        )
    col = m.end("key") + 1
    return fail(
        f"'{m.group('key')}' is not followed by ':'",
        Span(source.name, at, m.start("key") + 1, at, col),
        help=f"write {m.group('key')}: {m.group('value')}",
    )


def _stray_dash(source, exc, problem, line_no):
    """`  - conv3_x: ...` among the keys of a mapping."""
    if "but found '-'" not in problem:
        return None
    text = source.line_text(line_no)
    m = re.match(r"^(\s*)-\s+(.*)$", text)
    if m is None:
        return None
    col = len(m.group(1)) + 1
    return fail(
        "a '-' starts a list item, but this line is in a mapping (keys and values)",
        Span(source.name, line_no, col, line_no, col + 1),
        help=f"remove the dash: {m.group(2)}",
    )


def _spaces(n: int) -> str:
    return "1 space" if n == 1 else f"{n} spaces"


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _previous(source: Source, line_no: int) -> int | None:
    """The nearest line above `line_no` that holds something other than a comment."""
    for n in range(line_no - 1, 0, -1):
        text = source.line_text(n).strip()
        if text and not text.startswith("#"):
            return n
    return None


def _stray_colon(source: Source, index: int, line_no: int) -> CompileError:
    """`mapping values are not allowed here`: a second colon, or a line indented too deep."""
    text = source.line_text(line_no)
    before = _previous(source, line_no)
    first_colon = re.search(r":(\s|$)", text)
    span = source.span(index)
    if first_colon is not None and index - source.index(line_no, 1) > first_colon.start():
        key = text[: first_colon.start()].strip()
        value = text[first_colon.end() :].strip()
        return fail(
            "a second ':' in this line: YAML reads `key: value` once per line",
            span,
            help=f"quote the value if it holds a colon: {key}: '{value}'",
        )
    if before is not None and _indent(text) > _indent(source.line_text(before)):
        return _indentation(source, line_no)
    return fail(
        "a ':' where YAML expects a plain value",
        span,
        help="quote the value if it holds a colon, or start a new line for a new key",
    )


def _indentation(source: Source, line_no: int) -> CompileError:
    """A line indented unlike the mapping it belongs to."""
    text = source.line_text(line_no)
    before = _previous(source, line_no)
    above = source.line_text(before) if before is not None else ""
    mine, theirs = _indent(text), _indent(above)
    span = Span(source.name, line_no, 1, line_no, max(mine, 1) + 1)
    if before is not None and mine > theirs and not above.rstrip().endswith(":"):
        return fail(
            f"this line is indented {_spaces(mine)}, deeper than the line above ({theirs}),"
            " which holds a value, not a mapping",
            span,
            help=f"indent the keys of one mapping alike: {_spaces(theirs)}, as line {before}",
        )
    return fail(
        f"this line is indented {_spaces(mine)}, unlike the keys of the mapping it is in",
        span,
        help="indent the keys of one mapping alike (the shipped specs use 2 spaces a level)",
    )


def _flow(source: Source, exc: yaml.MarkedYAMLError, problem: str) -> CompileError:
    """Inside `[...]` or `{...}`: never closed, or two entries without a comma between them."""
    bracket = "[" if "']'" in problem else "{"
    if "<stream end>" in problem or "<document" in problem:
        return _unclosed(source, exc, bracket)
    return fail(
        f"two entries of this {bracket}...{']' if bracket == '[' else '}'} without a ','"
        " between them",
        source.span(exc.problem_mark.index) if exc.problem_mark else source.span(0),
        help="separate them with a comma, or write the mapping one key per line",
    )


def _unclosed(source: Source, exc: yaml.MarkedYAMLError, what: str) -> CompileError:
    """A quote, bracket or brace that the text never closes."""
    mark = exc.context_mark or exc.problem_mark
    index = mark.index if mark is not None else 0
    if what == "{":
        return fail(
            "this '{' is never closed",
            source.span(index),
            help="close it with '}', or write the mapping one key per line",
        )
    return fail(
        "this '[' is never closed" if what == "[" else "this quote is never closed",
        source.span(index),
        help="close it on the same line; a table cell is one quoted line,"
        ' like "[[3x3,64],[3x3,64]] x 2"',
    )


def _requoted(source: Source, mark: yaml.Mark | None) -> str | None:
    """The double-quoted scalar starting at `mark`, rewritten in single quotes."""
    if mark is None:
        return None
    line = source.line_text(mark.line + 1)
    rest = line[mark.column :]
    if not rest.startswith('"'):
        return None
    close = rest.find('"', 1)
    if close < 0:
        return None
    inner = rest[1:close].replace("'", "''")
    return f"'{inner}'"
