"""`resnetc verify SPEC...`: build each emitted model with torch; compare it with the compiler."""

from __future__ import annotations

import argparse
import sys

from ..front.diagnostics import CompileError
from ..front.source import printable
from . import reporting
from ._common import analyze_file, summary_line

HELP = "build each network with torch (meta device) and check it against the compiler"
DESCRIPTION = """\
For every SPEC (one failure does not stop the others): compile it, execute the generated
module, build the model on torch's meta device (no memory, no weights) and run one forward pass
on an input of the spec's size, recording every layer's output. Each conv, bn, pool and fc the
compiler knows must be in the model under its state_dict name, with the operation, parameters,
output shape and multiply-adds the compiler computed, and every block and stage must give the
shape the shape pass says; the model may have no layer the compiler does not know. Any
difference is an error at the spec text that produced the layer. A loop of N identical blocks
in the module is built and run once and counted N times (the block must give the shape it is
given), so a stage of a million blocks costs what one block costs. Needs torch. Exits 0 if every
spec verified, 1 if any was refused or differs, 2 if torch cannot be imported."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc verify`."""
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML)")
    reporting.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Verify each spec in turn; 1 if any was refused or differs, 2 without torch."""
    from ..targets.torch.verify import TorchMissing, import_torch

    try:
        import_torch()
    except TorchMissing as exc:
        print(f"resnetc: error: {exc}", file=sys.stderr)
        return 2
    failed = 0
    for path in args.specs:
        try:
            analysis = analyze_file(path, args.reporter)
        except CompileError as exc:
            args.reporter.refused(exc)
            failed += 1
            continue
        failed += not report(analysis, path, args.reporter)
    if len(args.specs) > 1 or failed:
        args.reporter.say(summary_line(failed, len(args.specs), "failed"))
    return 1 if failed else 0


def report(analysis, path: str, reporter, source: str | None = None) -> bool:
    """Verify one analysed spec (against `source` if given); print the outcome; True if it held."""
    from ..targets.torch.verify import verify

    result = verify(analysis.network, source)
    if not result.ok:
        reporter.report(result.diagnostics, analysis.source)
        return False
    print(
        f"{printable(path)}: verified {result.layers} layers, {result.outputs} block and stage"
        f" outputs, {result.params:,} parameters, {result.macs:,} multiply-adds"
    )
    return True
