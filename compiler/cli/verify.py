"""`resnetc verify SPEC...`: build each emitted model with torch; compare it with the compiler."""

from __future__ import annotations

import argparse
import sys

from ..front.diagnostics import CompileError
from ..front.source import printable
from . import reporting
from ._common import add_target_argument, analyze_file, summary_line

HELP = (
    "build each network with torch (meta device), Keras or Flax and check it against the compiler"
)
DESCRIPTION = """\
For every SPEC (one failure does not stop the others): compile it, execute the generated
module, build the model on torch's meta device (no memory, no weights) and run one forward pass
on an input of the spec's size, recording every layer's output. Each conv, bn, pool and fc the
compiler knows must be in the model under its state_dict name, with the operation, parameters,
output shape and multiply-adds the compiler computed, and every block and stage must give the
shape the shape pass says; the model may have no layer the compiler does not know. Any
difference is an error at the spec text that produced the layer. A loop of N identical blocks
in the module is built and run once and counted N times (the block must give the shape it is
given), so a stage of a million blocks costs what one block costs. Needs torch. With
--target keras or --target flax, the module of that target is built instead (Keras on its
configured backend, Flax abstractly) and conv1, the pool, every block and stage, the logits and
the trainable parameters of every stage and of the network are checked. Exits 0 if every spec
verified, 1 if any was refused or differs, 2 if the framework cannot be imported."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc verify`."""
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML)")
    reporting.add_arguments(parser)
    add_target_argument(parser, "build and check the module of")


class FrameworkMissing(Exception):  # noqa: N818 (a verdict about the environment)
    """A target's framework cannot be imported."""


def import_framework(target: str) -> None:
    """Import the framework `target`'s verify needs, or raise `FrameworkMissing`."""
    if target == "torch":
        from ..targets.torch.verify import TorchMissing, import_torch

        try:
            import_torch()
        except TorchMissing as exc:
            raise FrameworkMissing(str(exc)) from None
        return
    from ..targets.verdict import FrameworkMissing as Missing

    try:
        _verifier(target).import_framework()
    except Missing as exc:
        raise FrameworkMissing(str(exc)) from None


def _verifier(target: str):
    """The verify module of a target other than torch."""
    if target == "keras":
        from ..targets.keras import verify as keras_verify

        return keras_verify
    from ..targets.flax import verify as flax_verify

    return flax_verify


def run(args: argparse.Namespace) -> int:
    """Verify each spec in turn; 1 if any was refused or differs, 2 without the framework."""
    try:
        import_framework(args.target)
    except FrameworkMissing as exc:
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
        failed += not report(analysis, path, args.reporter, target=args.target)
    if len(args.specs) > 1 or failed:
        args.reporter.say(summary_line(failed, len(args.specs), "failed"))
    return 1 if failed else 0


def report(analysis, path: str, reporter, source: str | None = None, target: str = "torch") -> bool:
    """Verify one analysed spec (against `source` if given) for `target`; print the outcome;
    True if it held."""
    if target != "torch":
        return _report_other(analysis, path, reporter, source, target)
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


def _report_other(analysis, path: str, reporter, source: str | None, target: str) -> bool:
    """`report` for the Keras or Flax module."""
    from ..pipeline import render
    from ..targets.verdict import check_bounded

    try:
        check_bounded(target, analysis.network)
        if source is None:
            source = render(analysis, path, target).text
    except CompileError as exc:
        reporter.report(exc.diagnostics, exc.sources or analysis.source)
        return False
    result = _verifier(target).verify(analysis.network, source)
    if not result.ok:
        reporter.report(result.diagnostics, analysis.source)
        return False
    print(
        f"{printable(path)}: verified ({target}) {result.outputs} outputs of conv1, the pool,"
        f" blocks, stages and logits, {result.params:,} trainable parameters"
    )
    return True
