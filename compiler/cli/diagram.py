"""`resnetc diagram SPEC -o FILE.svg`: the network's feature maps as a standalone SVG."""

from __future__ import annotations

import argparse
import sys

from ._common import Refused, analyze_file
from .explain import add_output_argument, write_text

HELP = "draw a spec's feature maps and shortcuts as an SVG diagram"
DESCRIPTION = """\
Draw the network of SPEC as an SVG: one box per feature map (conv1, the pool, each stage's
output, the classifier), its height and width the map's, its depth growing with the channels;
each stage's blocks with their shortcuts arcing over them, dotted where they project. The SVG is
standalone (for slides and READMEs) and readable on light and dark backgrounds."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc diagram`."""
    parser.add_argument("spec", metavar="SPEC", help="spec file (YAML)")
    add_output_argument(parser, "the SVG")


def run(args: argparse.Namespace) -> int:
    """Draw one spec; 1 if it was refused."""
    from ..teach.diagram import svg

    try:
        analysis = analyze_file(args.spec)
    except Refused as exc:
        print(exc.text, file=sys.stderr)
        return 1
    return write_text(svg(analysis.network), args.output)
