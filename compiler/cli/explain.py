"""`resnetc explain SPEC`: walk through a network, from each table cell to its layers and code."""

from __future__ import annotations

import argparse
import sys

from ..front.diagnostics import CompileError
from . import reporting
from ._common import add_target_argument, analyze_file
from .writing import add_output, to_output

HELP = "explain a spec: each table cell in words, sizes, costs and generated code"
DESCRIPTION = """\
Print a walk through the network of SPEC, as markdown: for conv1, the pool, every stage and the
head, its table cell, what it expands to (blocks, strides, shortcuts), the output-size
arithmetic, its parameters and multiply-adds, and the lines of the generated module that
implement it; then the downsampling product, where the costs are and the design-rule warnings
explained. With --html, write one self-contained page instead: the table beside the generated
code (select a cell to see its code, or a line to see its cell), a diagram of the feature maps,
and what-if toggles (the stride placement, the shortcut, the input size) that show each
variant's sizes, costs, warnings and code as resnetc compiles it. With --target keras or flax,
the code quoted is that target's module."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc explain`."""
    parser.add_argument("spec", metavar="SPEC", help="spec file (YAML)")
    reporting.add_arguments(parser)
    parser.add_argument(
        "--html",
        action="store_true",
        help="write a self-contained interactive HTML page (needs -o)",
    )
    add_target_argument(parser, "quote the generated module of")
    add_output(parser, "the walk (or the page)")


def run(args: argparse.Namespace) -> int:
    """Explain one spec; 1 if it was refused, 2 for a usage error."""
    if args.html and not args.output:
        print("resnetc: error: --html needs -o FILE", file=sys.stderr)
        return 2
    try:
        analysis = analyze_file(args.spec, args.reporter)
    except CompileError as exc:
        args.reporter.refused(exc)
        return 1
    try:
        if args.html:
            from ..teach.page import html

            text, kind = html(analysis, args.target), "html"
        else:
            from ..teach.markdown import markdown

            text, kind = markdown(analysis, args.target), "markdown"
    except CompileError as exc:  # a construct the target cannot write
        args.reporter.refused(exc)
        return 1
    return to_output(text, args, kind, "explain", args.spec)
