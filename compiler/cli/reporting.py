"""Where a command's diagnostics go: text on stderr as they come, or one JSON document at the end.

Every command that reads specs, tables or checkpoints takes `--diagnostics-format text|json` and
`--werror`. With `text` (the default) each diagnostic is rendered as resnetc renders them
(`file:line:col: error: message`, the line, a caret) the moment it is found. With `json`,
standard error carries exactly one JSON document when the command ends:

    {"version": 1, "diagnostics": [...], "summary": "resnetc: 1 of 2 specs refused"}

each diagnostic an object with `file`, `line`, `column`, `end_line`, `end_column` (1-based,
end exclusive; null where a diagnostic has no position), `severity`, `code` (its stable name,
listed in docs/diagnostics.md), `message`, `help` and `notes` (the same objects). This is what an
editor plugin or a CI annotation step reads. Text from the inputs (a file name, a quoted value)
is in it as it is, except the characters the text form escapes (control, bidi, zero-width and
line-separator characters), which are `\\uXXXX` escapes: the same string once decoded. What the
command prints on standard output is the same in both formats; usage errors (exit 2) stay plain
text.

`--werror` makes every warning an error: the spec is refused, nothing is written, exit 1.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import replace

from ..front.codes import code_of
from ..front.diagnostics import CompileError, Diagnostic
from ..front.source import UNSAFE_CATEGORIES, Source

FORMATS = ("text", "json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--diagnostics-format` and `--werror`, for a command that reads inputs."""
    parser.add_argument(
        "--diagnostics-format",
        choices=FORMATS,
        default="text",
        help="text (default): rendered on stderr as found; json: one JSON document on stderr"
        " listing every diagnostic with its position, severity, code, message and help",
    )
    parser.add_argument(
        "--werror",
        action="store_true",
        help="treat warnings as errors: refuse the input, write nothing, exit 1",
    )


class Reporter:
    """One command's diagnostics: printed (text) or collected for one JSON document (json)."""

    def __init__(self, fmt: str = "text", werror: bool = False) -> None:
        self.json = fmt == "json"
        self.werror = werror
        self.collected: list[dict] = []
        self.lines: list[str] = []

    def strict(self, diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
        """`diagnostics`, every warning an error if `--werror` was given."""
        if not self.werror:
            return tuple(diagnostics)
        return tuple(
            replace(d, severity="error") if d.severity == "warning" else d for d in diagnostics
        )

    def report(
        self, diagnostics: Iterable[Diagnostic], sources: Source | Mapping[str, Source] | None
    ) -> None:
        """Print or collect `diagnostics`, each against the source its span names."""
        table = _sources(sources)
        first = next(iter(table.values()), None)
        for d in diagnostics:
            source = table.get(d.span.file, first) if d.span is not None else first
            if self.json:
                self.collected.append(as_data(d, source))
            else:
                print(d.render(source), file=sys.stderr)

    def refused(self, exc: CompileError) -> None:
        """Report the diagnostics of a refusal."""
        self.report(exc.diagnostics, exc.sources)

    def say(self, line: str) -> None:
        """A closing line (`resnetc: 1 of 2 specs refused`): printed, or the JSON's summary."""
        if self.json:
            self.lines.append(line)
        else:
            print(line, file=sys.stderr)

    def finish(self) -> None:
        """Print the JSON document, if that is the format (once, when the command ends)."""
        if not self.json:
            return
        document = {
            "version": 1,
            "diagnostics": self.collected,
            "summary": "\n".join(self.lines) if self.lines else None,
        }
        sys.stderr.write(json_text(document) + "\n")


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    if unicodedata.category(ch) not in UNSAFE_CATEGORIES:
        return ch
    return json.dumps(ch, ensure_ascii=True)[1:-1]  # `\u202e`; a surrogate pair above U+FFFF


def json_text(document: object) -> str:
    """`document` as JSON that is safe to print in a terminal: readable text (`×`, `৭`) stays as
    it is, but every character that the text form prints escaped (a bidi override U+202E, a
    zero-width space U+200B, U+2028 in a file name: `UNSAFE_CATEGORIES`) is a `\\uXXXX` escape,
    so that a JSON reader decodes the same values and a terminal never gets the raw character."""
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return re.sub("[^\x00-\x7e]", _escape, text)


def _sources(sources: Source | Mapping[str, Source] | None) -> dict[str, Source]:
    if sources is None:
        return {}
    if isinstance(sources, Source):
        return {sources.name: sources}
    return dict(sources)


def as_data(d: Diagnostic, source: Source | None) -> dict:
    """A diagnostic as plain data, for the JSON document."""
    span = d.span
    return {
        "file": span.file if span is not None else (source.name if source else None),
        "line": span.line if span is not None else None,
        "column": span.col if span is not None else None,
        "end_line": span.end_line if span is not None else None,
        "end_column": span.end_col if span is not None else None,
        "severity": d.severity,
        "code": code_of(d),
        "message": d.message,
        "help": d.help,
        "notes": [as_data(n, source) for n in d.notes],
    }
