"""`resnetc diagram SPEC -o FILE.svg`: the network's feature maps as a standalone SVG."""

from __future__ import annotations

import argparse
import sys

from ._common import Refused, analyze_file
from .writing import add_output, to_output

HELP = "draw a spec's feature maps and shortcuts as an SVG diagram"
DESCRIPTION = """\
Draw the network of SPEC as an SVG: one box per feature map (conv1, the pool, each stage's
output, the classifier), its height and width the map's, its depth growing with the channels;
each stage's blocks with their shortcuts arcing over them, dotted where they project. The SVG is
standalone (for slides and READMEs) and readable on light and dark backgrounds."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc diagram`."""
    parser.add_argument("spec", metavar="SPEC", help="spec file (YAML)")
    add_output(parser, "the SVG")


def run(args: argparse.Namespace) -> int:
    """Draw one spec; 1 if it was refused."""
    from ..teach.diagram import svg

    try:
        analysis = analyze_file(args.spec)
    except Refused as exc:
        print(exc.text, file=sys.stderr)
        return 1
    return to_output(svg(analysis.network), args, "svg", "diagram", args.spec)
