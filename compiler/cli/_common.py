"""What the subcommands share: reading spec files, analysing them, the closing line."""

from __future__ import annotations

import argparse
import re
from typing import TYPE_CHECKING

from ..files.inputs import NotAFile
from ..front import limits
from ..front.diagnostics import CompileError, error
from ..front.notation import digit_message, nonascii_digit
from ..front.source import Source

if TYPE_CHECKING:
    from ..pipeline import Analysis
    from .reporting import Reporter


def read_bytes(path: str) -> bytes:
    """The bytes of a spec or table file, at most one byte over the size limit (decode reports
    that); only a regular file is read (`files.inputs`). A refusal is a `CompileError`
    rendered `PATH: error: cannot read this file: ...`."""
    from ..files.inputs import read_regular

    try:
        return read_regular(path, limits.MAX_SPEC_BYTES)
    except OSError as exc:
        why = str(exc) if isinstance(exc, NotAFile) else exc.strerror or str(exc)
        message = f"cannot read this file: {why}"
        raise CompileError([error(message, None)], Source(path, "")) from None


def analyze_bytes(data: bytes, path: str, reporter: Reporter) -> Analysis:
    """Analyse the spec `data` read from `path`; with `--werror` its warnings refuse it."""
    from ..pipeline import analyze

    analysis = analyze(data, path)
    if reporter.werror and analysis.warnings:
        raise CompileError(reporter.strict(analysis.warnings), analysis.source)
    return analysis


def analyze_file(path: str, reporter: Reporter) -> Analysis:
    """Read and analyse one spec; its warnings are reported, a refusal raised (`CompileError`)."""
    analysis = analyze_bytes(read_bytes(path), path, reporter)
    reporter.report(analysis.warnings, analysis.source)
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


def summary_line(refused: int, total: int, verb: str) -> str:
    """`2 of 5 specs refused` style closing line for multi-file commands."""
    noun = "spec" if total == 1 else "specs"
    return f"resnetc: {refused} of {total} {noun} {verb}"


def ascii_digits(text: str) -> str:
    """An option's `text`, if its digits are ASCII 0-9; a digit of another script (`--classes
    1৭`, which `int` reads as 17) is a usage error naming it, as in a spec."""
    i = nonascii_digit(text)
    if i is not None:
        raise argparse.ArgumentTypeError(digit_message(text[i], "an option"))
    return text


def positive_number(text: str) -> int:
    """An argument that is a positive number below 2**20 (`--classes 10`), in ASCII digits."""
    digits = ascii_digits(text).lstrip("0")
    if not re.fullmatch("[0-9]{1,7}", digits) or not int(digits) < 1 << 20:
        raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}")
    return int(digits)
