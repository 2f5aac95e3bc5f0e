"""`resnetc summary SPEC`: every layer's output, parameters and multiply-adds, with subtotals."""

from __future__ import annotations

import argparse
import sys

from ..front import limits
from ..front.diagnostics import CompileError
from . import reporting
from ._common import analyze_file

HELP = "print every layer's shape, parameters and multiply-adds"
DESCRIPTION = f"""\
Analyse SPEC (no model is built; torch is not needed) and print one row per layer of the
generated module, in execution order and under its state_dict name: the operation, the output
C x H x W, the parameters and the multiply-adds (MACs); a subtotal after the stem, each stage and
the head; the totals. A run of identical blocks is shown once: `layer3.[1-35].conv1 ... x35` is
35 layers, one per block, and its numbers are each one's (in the JSON, one entry per row with its
"count"); --expand lists every layer instead, up to {limits.MAX_EXPANDED_ROWS:,} rows. MACs
count the conv and fc layers' multiply-accumulates, the paper's "FLOPs"; tools that count 2
FLOPs per multiply-add report twice as many (the JSON has both, as "macs" and "flops").
Formats: table (aligned, for a terminal), markdown, json. Exits 1 if the spec is refused."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc summary`."""
    parser.add_argument("spec", metavar="SPEC", help="a spec file (YAML)")
    reporting.add_arguments(parser)
    parser.add_argument(
        "--format",
        choices=("table", "markdown", "json"),
        default="table",
        help="table (default), markdown or json",
    )
    parser.add_argument(
        "--expand",
        action="store_true",
        help="one row for every layer, each block of a run too (refused above"
        f" {limits.MAX_EXPANDED_ROWS:,} rows)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the summary of one spec; 1 if it was refused."""
    from ..teach.layer_summary import render, summarize

    try:
        analysis = analyze_file(args.spec, args.reporter)
    except CompileError as exc:
        args.reporter.refused(exc)
        return 1
    try:
        summary = summarize(analysis.network, expand=args.expand)
    except CompileError as exc:  # --expand over the limit
        args.reporter.refused(exc.with_source(analysis.source))
        return 1
    sys.stdout.write(render(summary, args.spec, args.format))
    return 0
