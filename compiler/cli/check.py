"""`resnetc check SPEC...`: validate every file given and print each network's stage table."""

from __future__ import annotations

import argparse

from ..front.diagnostics import CompileError
from ..front.source import printable
from . import reporting
from ._common import analyze_file, summary_line

HELP = "validate specs and print each network's stage table"
DESCRIPTION = """\
Parse and shape-check every SPEC (one bad file does not stop the others) and print, for each
network, its stage table: stage, table cell, output C x H x W, parameters and multiply-adds.
Exits 1 if any file was refused."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc check`."""
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML)")
    reporting.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Check each spec in turn; 1 if any was refused."""
    from ..teach.stage_table import stage_table

    refused = 0
    for i, path in enumerate(args.specs):
        try:
            analysis = analyze_file(path, args.reporter)
        except CompileError as exc:
            args.reporter.refused(exc)
            refused += 1
            continue
        net = analysis.network
        if i:
            print()
        print(f"{printable(path)}: {net.name} ({net.class_name}), input {net.input}")
        print("\n".join(stage_table(net)))
    if len(args.specs) > 1 or refused:
        args.reporter.say(summary_line(refused, len(args.specs), "refused"))
    return 1 if refused else 0
