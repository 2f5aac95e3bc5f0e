"""`resnetc explain SPEC`: walk through a network, from each table cell to its layers and code."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..front.source import printable
from ._common import Refused, add_target_argument, analyze_file

HELP = "explain a spec: each table cell in words, sizes, costs and generated code"
DESCRIPTION = """\
Print a walk through the network of SPEC, as markdown: for conv1, the pool, every stage and the
head, its table cell, what it expands to (blocks, strides, shortcuts), the output-size
arithmetic, its parameters and multiply-adds, and the lines of the generated module that
implement it; then the downsampling product, where the costs are and the design-rule warnings
explained. With --html, write one self-contained page instead: the table beside the generated
code (select a cell to see its code, or a line to see its cell) and a diagram of the feature
maps."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc explain`."""
    parser.add_argument("spec", metavar="SPEC", help="spec file (YAML)")
    parser.add_argument(
        "--html",
        action="store_true",
        help="write a self-contained interactive HTML page (needs -o)",
    )
    add_target_argument(parser, "quote the generated module of")
    add_output_argument(parser, "the walk (or the page)")


def add_output_argument(parser: argparse.ArgumentParser, what: str) -> None:
    """`-o FILE`: where to write `what` (standard output if left out)."""
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help=f"write {what} to FILE (atomically) instead of standard output",
    )


def write_text(text: str, path: str | None) -> int:
    """`text` to stdout, or atomically to `path`; 0, or 2 if `path` cannot be a file."""
    from ..files.output import write_atomic

    if path is None or path == "-":
        sys.stdout.write(text)
        return 0
    target = Path(path)
    if target.is_dir():
        print(f"resnetc: error: -o {printable(path)} is a directory", file=sys.stderr)
        return 2
    try:
        write_atomic(target, text)
    except OSError as exc:
        why = exc.strerror or str(exc)
        print(f"resnetc: error: cannot write {printable(path)}: {why}", file=sys.stderr)
        return 2
    print(f"wrote {printable(path)}", file=sys.stderr)
    return 0


def run(args: argparse.Namespace) -> int:
    """Explain one spec; 1 if it was refused, 2 for a usage error."""
    if args.html and not args.output:
        print("resnetc: error: --html needs -o FILE", file=sys.stderr)
        return 2
    try:
        analysis = analyze_file(args.spec)
    except Refused as exc:
        print(exc.text, file=sys.stderr)
        return 1
    from ..front.diagnostics import CompileError

    try:
        if args.html:
            from ..teach.page import html

            text = html(analysis, args.target)
        else:
            from ..teach.markdown import markdown

            text = markdown(analysis, args.target)
    except CompileError as exc:  # a construct the target cannot write
        print(exc.render(), file=sys.stderr)
        return 1
    return write_text(text, args.output)
