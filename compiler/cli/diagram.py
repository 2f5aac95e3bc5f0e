"""`resnetc diagram SPEC [--format svg|tikz] [--tikz-body] -o FILE`: the network's figure."""

from __future__ import annotations

import argparse
import sys

from ..front.diagnostics import CompileError
from . import reporting
from ._common import analyze_file
from .writing import add_output, to_output

HELP = "draw a spec's feature maps and shortcuts as a figure (SVG, or TikZ for LaTeX)"
DESCRIPTION = """\
Draw the network of SPEC as a figure: the input, conv1, the pool, each stage and the classifier
left to right, every feature map a box drawn to scale (as tall as the map, as wide as its
channels, on the scale the legend states); each stage a shaded column with its table cell and
output size, its blocks with their shortcuts arcing over them (solid: identity; dashed with a
square: a 1x1 projection; dotted, marked A: option A's zero padding), each run of identical
blocks drawn once with its count. --format svg (the default) writes a standalone SVG, readable
on light and dark backgrounds; --format tikz a LaTeX document that pdflatex compiles to a page
the figure's size, or with --tikz-body only the tikzpicture, to \\input into a paper."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc diagram`."""
    parser.add_argument("spec", metavar="SPEC", help="spec file (YAML)")
    reporting.add_arguments(parser)
    parser.add_argument(
        "--format",
        choices=("svg", "tikz"),
        default="svg",
        help="svg (the default): a standalone SVG; tikz: a standalone LaTeX document",
    )
    parser.add_argument(
        "--tikz-body",
        action="store_true",
        help="with --format tikz: only the tikzpicture (needs \\usepackage{tikz})",
    )
    add_output(parser, "the figure")


def run(args: argparse.Namespace) -> int:
    """Draw one spec; 1 if it was refused, 2 for a usage error."""
    if args.tikz_body and args.format != "tikz":
        print("resnetc: error: --tikz-body needs --format tikz", file=sys.stderr)
        return 2
    try:
        analysis = analyze_file(args.spec, args.reporter)
    except CompileError as exc:
        args.reporter.refused(exc)
        return 1
    if args.format == "tikz":
        from ..teach import tikz

        draw = tikz.picture if args.tikz_body else tikz.document
        return to_output(draw(analysis.network), args, "tex", "diagram", args.spec)
    from ..teach.diagram import svg

    return to_output(svg(analysis.network), args, "svg", "diagram", args.spec)
