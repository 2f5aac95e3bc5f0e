"""What the subcommands share: reading spec files and printing diagnostics."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

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
    """The bytes of a spec file, at most one byte over the size limit (decode reports that)."""
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise Refused(_unreadable(path, "it is a directory"))
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISCHR(info.st_mode)):
            raise Refused(_unreadable(path, "it is not a regular file"))
        with open(path, "rb") as f:
            return f.read(limits.MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise Refused(_unreadable(path, exc.strerror or str(exc))) from None


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


def add_target_argument(parser, what: str, repeat: bool = False) -> None:
    """`--target torch|keras|flax`: the framework to `what` (repeatable if `repeat`)."""
    from ..pipeline import TARGET_NAMES

    parser.add_argument(
        "--target",
        choices=TARGET_NAMES,
        action="append" if repeat else "store",
        default=None if repeat else "torch",
        help=f"the framework to {what}: {', '.join(TARGET_NAMES)} (default torch"
        + ("; may be given more than once)" if repeat else ")"),
    )


def print_diagnostics(diagnostics: Iterable[Diagnostic], source: Source | None) -> None:
    """Render diagnostics to stderr, one after the other."""
    for d in diagnostics:
        print(d.render(source), file=sys.stderr)


def summary_line(refused: int, total: int, verb: str) -> str:
    """`2 of 5 specs refused` style closing line for multi-file commands."""
    noun = "spec" if total == 1 else "specs"
    return f"resnetc: {refused} of {total} {noun} {verb}"
