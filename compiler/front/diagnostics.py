"""One diagnostic type and one way to report it: `file:line:col: error: message`, line, caret."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .source import Source, Span, caret_line, excerpt_window, printable

Severity = Literal["error", "warning", "note"]


@dataclass(frozen=True)
class Diagnostic:
    """A message about the input, anchored at the span that caused it."""

    severity: Severity
    message: str
    span: Span | None
    help: str | None = None
    notes: tuple[Diagnostic, ...] = field(default=())
    code: str | None = None
    """The stable name of this kind of diagnostic (a lint's name, `stride-no-effect`)."""

    def render(self, source: Source | None) -> str:
        """Render as `file:line:col: severity: message`, then the source line and a caret."""
        if self.span is None:
            where = printable(source.name) if source is not None else "resnetc"
            lines = [f"{where}: {self.severity}: {printable(self.message)}"]
        else:
            lines = [f"{printable(str(self.span))}: {self.severity}: {printable(self.message)}"]
            if source is not None and source.name == self.span.file:
                lines.extend(_excerpt(source, self.span))
        if self.help:
            lines.append(f"  = help: {printable(self.help)}")
        for note in self.notes:
            lines.append(note.render(source))
        return "\n".join(lines)


def _excerpt(source: Source, span: Span) -> list[str]:
    """The gutter-numbered source line of `span` with a caret under it (long lines cut)."""
    text = source.line_text(span.line)
    if not text and span.line > source.line_count:
        return []
    end_col = span.end_col if span.end_line == span.line else len(text) + 1
    text, col, end_col = excerpt_window(text, span.col, end_col)
    number = str(span.line)
    pad = " " * len(number)
    return [
        f" {number} | {printable(text)}",
        f" {pad} | {caret_line(text, col, end_col)}",
    ]


def error(message: str, span: Span | None, help: str | None = None) -> Diagnostic:
    """An error diagnostic."""
    return Diagnostic("error", message, span, help)


def warning(
    message: str, span: Span | None, help: str | None = None, code: str | None = None
) -> Diagnostic:
    """A warning diagnostic: the input is accepted, but probably not what was meant."""
    return Diagnostic("warning", message, span, help, code=code)


def note(message: str, span: Span | None) -> Diagnostic:
    """A note attached to another diagnostic (e.g. 'first defined here')."""
    return Diagnostic("note", message, span)


class CompileError(Exception):
    """Raised by any stage that refuses its input; holds every diagnostic it found.

    `sources` are the texts the diagnostics point into, by name (a spec; a pasted table and the
    options that name its columns): each diagnostic is rendered against the one its span names.
    """

    def __init__(
        self,
        diagnostics: Iterable[Diagnostic],
        source: Source | Iterable[Source] | None = None,
    ) -> None:
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        found = () if source is None else (source,) if isinstance(source, Source) else source
        self.sources: dict[str, Source] = {s.name: s for s in found}
        super().__init__(self.render())

    @property
    def source(self) -> Source | None:
        """The main source (the file given), if there is one."""
        return next(iter(self.sources.values()), None)

    def source_of(self, d: Diagnostic) -> Source | None:
        """The source `d` points into (else the main one)."""
        if d.span is not None and d.span.file in self.sources:
            return self.sources[d.span.file]
        return self.source

    def render(self) -> str:
        """All diagnostics, rendered one after the other."""
        return "\n".join(d.render(self.source_of(d)) for d in self.diagnostics)

    def with_source(self, source: Source) -> CompileError:
        """The same diagnostics, `source` their main source (the others kept)."""
        others = [s for s in self.sources.values() if s.name != source.name]
        return CompileError(self.diagnostics, [source, *others])


def fail(message: str, span: Span | None, help: str | None = None) -> CompileError:
    """A `CompileError` holding one error; `raise fail(...)` is the one way to refuse input."""
    return CompileError([error(message, span, help)])


def errors_of(diagnostics: Sequence[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics that are errors."""
    return [d for d in diagnostics if d.severity == "error"]
