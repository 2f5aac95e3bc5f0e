"""What the subcommands share: reading spec files and printing diagnostics."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..files.inputs import NotAFile
from ..front import limits
from ..front.diagnostics import CompileError, Diagnostic
from ..front.source import Source, printable

if TYPE_CHECKING:
    from ..pipeline import Analysis


class Refused(Exception):  # noqa: N818 (a verdict, not an error in resnetc)
    """A file that could not be analysed; `text` holds its rendered diagnostics."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def read_bytes(path: str) -> bytes:
    """The bytes of a spec or table file, at most one byte over the size limit (decode reports
    that); only a regular file is read (`files.inputs`)."""
    from ..files.inputs import read_regular

    try:
        return read_regular(path, limits.MAX_SPEC_BYTES)
    except OSError as exc:
        raise Refused(
            _unreadable(path, str(exc) if isinstance(exc, NotAFile) else exc.strerror or str(exc))
        ) from None


def _unreadable(path: str, why: str) -> str:
    return f"{printable(path)}: error: cannot read this file: {why}"


def analyze_bytes(data: bytes, path: str) -> Analysis:
    """Analyse the spec `data` read from `path`; refusals are raised as `Refused`."""
    from ..pipeline import analyze

    try:
        return analyze(data, path)
    except CompileError as exc:
        raise Refused(exc.render()) from None


def analyze_file(path: str) -> Analysis:
    """Read and analyse one spec; warnings are printed, refusals raised as `Refused`."""
    analysis = analyze_bytes(read_bytes(path), path)
    print_diagnostics(analysis.warnings, analysis.source)
    return analysis


def print_diagnostics(diagnostics: Iterable[Diagnostic], source: Source | None) -> None:
    """Render diagnostics to stderr, one after the other."""
    for d in diagnostics:
        print(d.render(source), file=sys.stderr)


def summary_line(refused: int, total: int, verb: str) -> str:
    """`2 of 5 specs refused` style closing line for multi-file commands."""
    noun = "spec" if total == 1 else "specs"
    return f"resnetc: {refused} of {total} {noun} {verb}"
