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
from .diagnostics import CompileError, Diagnostic, error, fail, note
from .source import Source, Span, describe, shorten
from .yamlerrors import syntax_error


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


_KINDS = {
    "spec": ("a YAML text", "a spec is a short YAML text (Table 1 is about 1 KB)"),
    "table": ("a pasted table", "a pasted table is a few KB of text"),
}
"""Each kind of input file, as diagnostics say it: (what binary is not, what it should be)."""


def decode(data: bytes, name: str, kind: str = "spec") -> Source:
    """Decode a spec's (or, with `kind="table"`, a pasted table's) bytes as UTF-8 (a BOM is
    dropped), refusing binary and oversized input."""
    if len(data) > limits.MAX_SPEC_BYTES:
        raise fail(
            f"the file is larger than {limits.MAX_SPEC_BYTES:,} bytes, the most a {kind} may be",
            Span(name, 1, 1, 1, 2),
            help=f"{_KINDS[kind][1]}; is this the right file?",
        )
    encoding = _foreign_encoding(data)
    if encoding:
        raise fail(
            f"the file is {encoding} text; resnetc reads UTF-8",
            Span(name, 1, 1, 1, 2),
            help=f"save the file as UTF-8 (e.g. `iconv -f {encoding} -t UTF-8`)",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, name, exc, kind) from None
    source = Source(name, text)
    controls = [m.start() for m in _CONTROL.finditer(text, 0, 512)]
    if len(controls) >= 4:  # an ELF or class file decodes as UTF-8; a typo has one stray byte
        raise _binary(source.span(controls[0]), kind)
    return source


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Control characters that never appear in a text file (tab, line feed and return do)."""


def _binary(span: Span, kind: str) -> CompileError:
    return fail(
        f"the file is binary, not {_KINDS[kind][0]}",
        span,
        help=f"{_KINDS[kind][1]}; is this the right file?",
    )


def _foreign_encoding(data: bytes) -> str | None:
    """`UTF-16` or `UTF-32` if the bytes start like that encoding (with or without a BOM)."""
    head = data[:64]
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    for step, encoding in ((4, "UTF-32"), (2, "UTF-16")):  # ASCII text in that encoding
        for at in (0, step - 1):  # little- or big-endian: the one non-zero byte of each unit
            units = [head[i : i + step] for i in range(0, len(head) - step + 1, step)]
            if len(units) >= 2 and all(u[at] and u.count(0) == step - 1 for u in units):
                return encoding
    return None


def _not_utf8(data: bytes, name: str, exc: UnicodeDecodeError, kind: str) -> CompileError:
    """The diagnostic for bytes that are not UTF-8: binary data, or text with a stray byte."""
    # Undecodable bytes are shown as \\xe9, so that the excerpt shows what the file holds.
    source = Source(name, data.decode("utf-8", "backslashreplace"))
    start = len(data[: exc.start].decode("utf-8", "backslashreplace"))
    span = source.span(start, start + 4)
    if b"\x00" in data[:1024]:
        return _binary(span, kind)
    return CompileError(
        [
            error(
                f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be decoded)",
                span,
                help="save the file as UTF-8",
            )
        ],
        source,
    )


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
        raise syntax_error(source, exc) from None
    except yaml.reader.ReaderError as exc:
        span = source.span(exc.position)
        raise fail(
            f"{describe(chr(exc.character))} is not allowed in a YAML file"
            if isinstance(exc.character, int)
            else f"unreadable text: {exc.reason}",
            span,
            help="a spec is plain text: delete the character (shown escaped above)",
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
                        help="put each network in a file of its own",
                    )
            elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                self.check_tag(event)
                if len(stack) >= limits.MAX_YAML_DEPTH:
                    raise fail(
                        f"YAML nested more than {limits.MAX_YAML_DEPTH} levels deep",
                        self.span(event.start_mark, event.end_mark),
                        help="a spec nests three levels (stages: conv2_x: cell);"
                        " is a table cell unquoted?",
                    )
                stack.append([event, [], 1])
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                start, children, weight = stack.pop()
                node = self.collection(start, event, children)
                root = self.attach(stack, node, start.anchor, weight, added=1)
            elif isinstance(event, yaml.ScalarEvent):
                self.check_tag(event)
                root = self.attach(stack, self.scalar(event), event.anchor, 1, added=1)
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor not in self.anchors:  # pragma: no cover - PyYAML refuses first
                    raise fail(
                        f"unknown alias *{event.anchor}",
                        self.span(event.start_mark, event.end_mark),
                    )
                node, weight = self.anchors[event.anchor]
                root = self.attach(stack, node, None, weight, added=weight, alias=event)
        if root is None:
            raise fail(
                "the spec is empty; it should be a mapping with name, input, ...",
                self.source.span(0),
            )
        return root

    def attach(
        self,
        stack: list[list],
        node: Node,
        anchor: str | None,
        weight: int,
        added: int,
        alias: yaml.AliasEvent | None = None,
    ) -> Node:
        """Add `node` (`weight` nodes once expanded) to the innermost open collection.

        `added` is how many nodes this event adds to the expanded document: 1 for a scalar or a
        collection (whose children were counted as they came), the whole subtree for an alias.
        """
        self.weight += added
        if self.weight > limits.MAX_YAML_NODES:
            span = self.span(alias.start_mark, alias.end_mark) if alias else node.span
            raise fail(
                f"the document expands to more than {limits.MAX_YAML_NODES:,} YAML nodes"
                " (aliases count each time they are used)",
                span,
                help="a spec has a few hundred nodes at most; remove the aliases (*name)"
                if alias
                else "a spec has a few hundred nodes at most; is this the right file?",
            )
        if anchor is not None:
            self.anchors[anchor] = (node, weight)
        if stack:
            stack[-1][1].append(node)
            stack[-1][2] += weight
        return node

    def check_tag(self, event: yaml.NodeEvent) -> None:
        """Refuse any explicit tag (`!!python/object`, `!!str`, ...): a spec is plain text."""
        if event.tag in (None, "!"):  # untagged, or YAML's non-specific `!`
            return
        start = event.start_mark.index
        written = re.match(r"![^\s\[\]{},]*", self.source.text[start:])
        text = written.group() if written else event.tag
        raise fail(
            f"YAML tag {shorten(text)} is not allowed in a spec",
            self.source.span(start, start + len(text)),
            help="a spec holds plain values (text and numbers); remove the tag",
        )

    def scalar(self, event: yaml.ScalarEvent) -> Scalar:
        start, end = event.start_mark.index, event.end_mark.index
        raw = self.source.text[start:end]
        # No value longer than a table cell is accepted anywhere, so long ones need no positions.
        long = len(event.value) > limits.MAX_CELL_CHARS
        offsets = None if long else _align(event.value, raw, start, event.style)
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
                            f"duplicate key '{shorten(key.text)}'"
                            " (YAML would silently keep only the last)",
                            key.span,
                            notes=(
                                note(
                                    f"'{shorten(key.text)}' first defined here",
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

_BREAKS = "\r\n\x85\u2028\u2029"
"""Every character YAML counts as a line break (as `Source` does)."""
_FOLDED = "\r\n\x85"
"""The breaks PyYAML folds into a space or a newline (it keeps U+2028 and U+2029 as they are)."""


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
                if code in _BREAKS:  # an escaped line break: decodes to nothing
                    p += length
                    continue
                decoded = _decode_escape(raw[p : p + length])
                if decoded == ch:
                    break
                p += length
                continue
            if r == ch or (ch in " \n" and r in _FOLDED):
                break
            p += 1
        else:
            return None
        out.append(base + p)
        p += _ESCAPE_LENGTHS.get(raw[p + 1], 2) if style == '"' and raw[p] == "\\" else 1
    return tuple(out)


def _decode_escape(escape: str) -> str | None:
    """Decode one double-quoted YAML escape such as `\\t` or `\\x41` (None if it is not one)."""
    code = escape[1:2]
    if code in yaml.scanner.Scanner.ESCAPE_REPLACEMENTS:
        return yaml.scanner.Scanner.ESCAPE_REPLACEMENTS[code]
    if code in yaml.scanner.Scanner.ESCAPE_CODES:
        try:
            return chr(int(escape[2:], 16))
        except (ValueError, OverflowError):
            return None
    return None
