"""YAML text -> a tree of `Scalar`, `Mapping` and `Sequence` nodes, each carrying its `Span`.

PyYAML's event stream gives start and end marks; we compose the tree ourselves (iteratively, with
depth and size limits) so that positions survive, every scalar stays the text the user wrote (no
YAML 1.1 `n` -> False surprises), duplicate keys are refused and aliases cannot explode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

import yaml

from . import limits
from .diagnostics import CompileError, Diagnostic, fail, note
from .source import Source, Span


@dataclass(frozen=True, eq=False)
class Scalar:
    """A YAML scalar: its text exactly as YAML decoded it, and where each character came from."""

    text: str
    span: Span
    source: Source
    style: str | None
    offsets: tuple[int, ...] | None

    def sub(self, start: int, end: int) -> Span:
        """The source span of characters `start`..`end` of `text` (the whole scalar if unknown)."""
        if self.offsets is None or not self.text:
            return self.span
        start = max(0, min(start, len(self.text) - 1))
        end = max(start + 1, min(end, len(self.text)))
        return self.source.span(self.offsets[start], self.offsets[end - 1] + 1)


@dataclass(frozen=True, eq=False)
class Mapping:
    """A YAML mapping: its entries in document order, keys unique."""

    entries: tuple[tuple[Scalar, Node], ...]
    span: Span

    def get(self, key: str) -> Node | None:
        """The value under `key`, or None."""
        for k, v in self.entries:
            if k.text == key:
                return v
        return None

    def key(self, key: str) -> Scalar | None:
        """The key node spelled `key`, or None."""
        for k, _ in self.entries:
            if k.text == key:
                return k
        return None


@dataclass(frozen=True, eq=False)
class Sequence:
    """A YAML sequence."""

    items: tuple[Node, ...]
    span: Span


Node = Union[Scalar, Mapping, Sequence]  # noqa: UP007 (a runtime alias)


def decode(data: bytes, name: str) -> Source:
    """Decode spec bytes as UTF-8 (a BOM is dropped), refusing binary and oversized input."""
    if len(data) > limits.MAX_SPEC_BYTES:
        raise fail(
            f"the file is {len(data):,} bytes; a spec may be at most {limits.MAX_SPEC_BYTES:,}",
            Span(name, 1, 1, 1, 2),
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise fail(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)",
            Span(name, line, col, line, col + 1),
        ) from None
    return Source(name, text)


def load(source: Source) -> Node:
    """Parse `source` into a node tree, or raise `CompileError` at the first problem."""
    if len(source.text) > limits.MAX_SPEC_BYTES:
        raise fail(
            f"a spec may be at most {limits.MAX_SPEC_BYTES:,} characters",
            source.span(0),
        )
    try:
        return _Composer(source).run()
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(source, exc) from None
    except yaml.reader.ReaderError as exc:
        span = source.span(exc.position)
        raise fail(
            f"character U+{exc.character:04X} is not allowed in a YAML file"
            if isinstance(exc.character, int)
            else f"unreadable text: {exc.reason}",
            span,
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML's other errors carry no mark
        raise fail(f"YAML error: {exc}", source.span(0)) from None


class _Composer:
    """Builds the node tree from PyYAML events, without recursion."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.anchors: dict[str, tuple[Node, int]] = {}
        self.weight = 0

    def span(self, start: yaml.Mark, end: yaml.Mark) -> Span:
        return self.source.span(start.index, end.index)

    def run(self) -> Node:
        events = yaml.parse(self.source.text, Loader=yaml.SafeLoader)
        # Each frame: [start_event, children, pending_key, weight] for an open collection.
        stack: list[list] = []
        documents = 0
        root: Node | None = None
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise fail(
                        "a spec holds one YAML document; found a second one here",
                        self.span(event.start_mark, event.end_mark),
                    )
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                self.check_tag(event)
                if len(stack) >= limits.MAX_YAML_DEPTH:
                    raise fail(
                        f"YAML nested more than {limits.MAX_YAML_DEPTH} levels deep",
                        self.span(event.start_mark, event.end_mark),
                    )
                stack.append([event, [], 1])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                start, children, weight = stack.pop()
                node = self.collection(start, event, children)
                root = self.attach(stack, node, start.anchor, weight)
            elif isinstance(event, yaml.ScalarEvent):
                self.check_tag(event)
                root = self.attach(stack, self.scalar(event), event.anchor, 1)
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor not in self.anchors:  # pragma: no cover - PyYAML refuses first
                    raise fail(
                        f"unknown alias *{event.anchor}",
                        self.span(event.start_mark, event.end_mark),
                    )
                node, weight = self.anchors[event.anchor]
                root = self.attach(stack, node, None, weight, alias=event)
        if root is None:
            raise fail(
                "the spec is empty; it should be a mapping with name, input, ...",
                self.source.span(0),
            )
        return root

    def attach(
        self, stack: list[list], node: Node, anchor: str | None, weight: int, alias=None
    ) -> Node:
        """Add `node` to the innermost open collection, counting its expanded size."""
        self.weight += weight
        if self.weight > limits.MAX_YAML_NODES:
            where = alias if alias is not None else None
            span = (
                self.span(where.start_mark, where.end_mark)
                if where
                else getattr(node, "span", None)
            )
            raise fail(
                f"the document expands to more than {limits.MAX_YAML_NODES:,} YAML nodes"
                " (aliases count each time they are used)",
                span,
            )
        if anchor is not None:
            self.anchors[anchor] = (node, weight)
        if stack:
            stack[-1][1].append(node)
            stack[-1][2] += weight
        return node

    def check_tag(self, event) -> None:
        tag = event.tag
        if tag and tag not in ("!", "?") and not tag.startswith("tag:yaml.org,2002:"):
            raise fail(
                f"YAML tag {tag} is not supported in a spec",
                self.span(event.start_mark, event.end_mark),
            )

    def scalar(self, event: yaml.ScalarEvent) -> Scalar:
        start, end = event.start_mark.index, event.end_mark.index
        raw = self.source.text[start:end]
        offsets = _align(event.value, raw, start, event.style)
        return Scalar(event.value, self.source.span(start, end), self.source, event.style, offsets)

    def collection(self, start, end, children: list[Node]) -> Node:
        span = self.span(start.start_mark, end.end_mark)
        if isinstance(start, yaml.SequenceStartEvent):
            return Sequence(tuple(children), span)
        entries: list[tuple[Scalar, Node]] = []
        seen: dict[str, Scalar] = {}
        for key, value in zip(children[::2], children[1::2], strict=True):
            if not isinstance(key, Scalar):
                raise fail("mapping keys must be plain text", key.span)
            if key.text in seen:
                raise CompileError(
                    [
                        Diagnostic(
                            "error",
                            f"duplicate key '{key.text}' (YAML would silently keep only the last)",
                            key.span,
                            notes=(
                                note(
                                    f"'{key.text}' first defined here",
                                    seen[key.text].span,
                                ),
                            ),
                        )
                    ]
                )
            seen[key.text] = key
            entries.append((key, value))
        return Mapping(tuple(entries), span)


_ESCAPE_LENGTHS = {"x": 4, "u": 6, "U": 10}


def _align(value: str, raw: str, base: int, style: str | None) -> tuple[int, ...] | None:
    """Map each character of a scalar's decoded `value` to its index in the source.

    Walks the raw text once: characters that survived decoding are found in order; a space that
    came from a folded line break maps to the break; a double-quoted escape maps to its backslash.
    Returns None where the two cannot be aligned (the caller then points at the whole scalar).
    """
    out: list[int] = []
    p = 0
    n = len(raw)
    for ch in value:
        while p < n:
            r = raw[p]
            if style == '"' and r == "\\" and p + 1 < n:
                code = raw[p + 1]
                length = _ESCAPE_LENGTHS.get(code, 2)
                if code in "\r\n":  # an escaped line break: decodes to nothing
                    p += length
                    continue
                decoded = _decode_escape(raw[p : p + length])
                if decoded == ch:
                    break
                p += length
                continue
            if r == ch or (ch == " " and r in "\r\n") or (ch == "\n" and r == "\n"):
                break
            p += 1
        else:
            return None
        out.append(base + p)
        p += _ESCAPE_LENGTHS.get(raw[p + 1], 2) if style == '"' and raw[p] == "\\" else 1
    return tuple(out)


def _decode_escape(escape: str) -> str | None:
    """Decode one double-quoted YAML escape such as `\\t` or `\\x41`."""
    try:
        return yaml.safe_load('"' + escape + '"')
    except yaml.YAMLError:
        return None


_CELL_LINE = re.compile(
    r"^(?P<lead>\s*(?:-\s+)?[^\s:#][^:#]*:\s+)(?P<cell>[\[{\\$].*?)\s*(?:#.*)?$"
)


def _syntax_error(source: Source, exc: yaml.MarkedYAMLError) -> CompileError:
    """Turn a PyYAML syntax error into a located diagnostic, recognising the usual mistakes."""
    mark = exc.problem_mark or exc.context_mark
    index = mark.index if mark is not None else 0
    span = source.span(index)
    problem = (exc.problem or "").strip()
    line_no = mark.line + 1 if mark is not None else 1

    if "unknown escape character" in problem:
        quoted = _requoted(source, exc.context_mark)
        return fail(
            "a backslash in double quotes starts a YAML escape, so LaTeX (\\times, \\left, ...)"
            " cannot be written there",
            span,
            help=f"use single quotes: {quoted}"
            if quoted
            else "use single quotes '...' around LaTeX",
        )
    if "cannot start any token" in problem and "\\t" in problem:
        return fail("a tab cannot indent YAML; use spaces", span)
    for candidate in (
        line_no,
        exc.context_mark.line + 1 if exc.context_mark else line_no,
    ):
        cell = _CELL_LINE.match(source.line_text(candidate))
        if cell and candidate == line_no:
            col = len(cell.group("lead")) + 1
            text = cell.group("cell")
            return fail(
                "this table cell must be quoted: unquoted, YAML reads its brackets as a list",
                Span(source.name, candidate, col, candidate, col + len(text)),
                help=f'write {cell.group("lead").strip()} "{text}"',
            )
    message = f"YAML syntax error: {problem}" if problem else "YAML syntax error"
    if exc.context:
        message += f" ({exc.context.strip()})"
    return fail(message, span)


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
