"""`resnetc compile SPEC... -o DIR`: write DIR/<name>.py for every spec, all or nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..front.diagnostics import CompileError, Diagnostic, error, note
from ..front.source import Source, printable
from . import reporting
from ._common import analyze_bytes, read_bytes, summary_line
from .writing import output_name, write

if TYPE_CHECKING:
    from ..pipeline import Analysis
    from .reporting import Reporter

HELP = "compile specs into PyTorch modules (DIR/<name>.py)"
DESCRIPTION = """\
Compile each SPEC into DIR/<name>.py. If any spec is refused, nothing is written. A file
that resnetc did not generate (whose first line is not its header) is never replaced unless
--force is given; a replaced file keeps its mode. Files are staged in a hidden directory of the
run's own in DIR and renamed into place, checked again at that moment; what a killed run left
there is removed by the next. With --check, nothing is written: the command exits 1 and prints a
unified diff if DIR is not what the specs compile to, or names what a killed run left in it.
With --verify, every module is first built with torch and checked against the compiler (as
`resnetc verify` does); if any differs, nothing is written."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc compile`."""
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML)")
    parser.add_argument(
        "-o", "--output", required=True, metavar="DIR", type=output_name, help="output directory"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if DIR differs from the compiled specs",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="check every module with torch first (as `resnetc verify` does); write nothing on a"
        " difference",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite files that resnetc did not generate",
    )
    reporting.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Compile every spec, then write (or compare) the results; 0, or 1 if anything failed."""
    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        print(
            f"resnetc: error: -o {printable(args.output)} is not a directory",
            file=sys.stderr,
        )
        return 2
    if args.verify and not _torch_available():
        return 2
    targets, refused, analyses = _compile_all(args.specs, out_dir, args.reporter, args.verify)
    if args.verify and not refused:
        refused = _verify_all(targets, analyses, args.reporter)
    if refused:
        verb = "refused or failed verification" if args.verify else "refused"
        args.reporter.say(summary_line(refused, len(args.specs), f"{verb}; nothing written"))
        return 1
    if args.check:
        return _check(targets, args.reporter)
    return _write(targets, args.force)


def _write(targets: list, force: bool) -> int:
    """Write the targets, all or nothing, unless one of them may not be replaced."""
    changed = write(targets, force)
    if changed is None:
        return 1
    for t in targets:
        print(f"{'wrote' if t in changed else 'unchanged'} {printable(str(t.path))}")
    return 0


def _torch_available() -> bool:
    """Whether torch can be imported (--verify needs it); says why not."""
    from ..targets.torch.verify import TorchMissing, import_torch

    try:
        import_torch()
    except TorchMissing as exc:
        print(f"resnetc: error: {exc}; nothing written", file=sys.stderr)
        return False
    return True


def _verify_all(targets: list, analyses: dict[str, Analysis], reporter: Reporter) -> int:
    """Verify every target's module against its network; how many failed (all are reported)."""
    from .verify import report

    failed = 0
    for target, analysis in zip(targets, analyses.values(), strict=True):
        failed += not report(analysis, analysis.source.name, reporter, target.text)
    return failed


def _compile_all(
    specs: list[str], out_dir: Path, reporter: Reporter, verify: bool = False
) -> tuple[list, int, dict[str, Analysis]]:
    """Targets for every spec that compiles, how many were refused (all are reported), and, when
    verifying, the analysis of each target's network by name."""
    from ..files.output import Target, target_path

    targets: list[Target] = []
    first: dict[str, str] = {}
    analyses: dict[str, Analysis] = {}
    refused = 0
    for path in specs:
        try:
            result, label, analysis = _compile_one(path, out_dir, reporter, verify)
        except CompileError as exc:
            reporter.refused(exc)
            refused += 1
            continue
        if result.name.lower() in first:  # one file where case is ignored (macOS, Windows)
            reporter.refused(_clash(path, first[result.name.lower()], reporter))
            refused += 1
            continue
        first[result.name.lower()] = path
        if analysis is not None:
            analyses[result.name] = analysis
        targets.append(Target(target_path(out_dir, result.name), result.text, label))
    return targets, refused, analyses


def _compile_one(path: str, out_dir: Path, reporter: Reporter, analyse: bool):
    """(the compile's `Result`, the spec's label, its `Analysis` if `analyse` or compiled afresh).

    An unchanged spec compiled by an unchanged resnetc is taken from the compile cache, unless its
    analysis is needed (`--verify`, `--werror`, JSON diagnostics)."""
    from ..files import cache as compilecache
    from ..files.output import spec_label

    data = read_bytes(path)
    label = spec_label(path, out_dir)
    key = compilecache.key(data, path, label)
    fresh = analyse or reporter.werror or reporter.json
    result = None if fresh else _checked(compilecache.load(key))
    analysis = None
    if result is None:
        from ..targets.torch.emit import render

        analysis = analyze_bytes(data, path, reporter)
        warnings = "".join(d.render(analysis.source) + "\n" for d in analysis.warnings)
        net = analysis.network
        result = compilecache.Result(net.name, render(net, label), warnings)
        compilecache.store(key, result)
        reporter.report(analysis.warnings, analysis.source)
    else:
        sys.stderr.write(result.warnings)  # as rendered when the spec was compiled
    return result, label, analysis


def _checked(result):
    """A cached result whose module passes the check every emitted module passes, else None
    (compiled afresh): an entry edited on disk cannot put code into the output."""
    from ..targets.torch.modcheck import InternalError, check_module

    if result is None:
        return None
    try:
        check_module(result.text)
    except InternalError:
        return None
    return result


def _clash(path: str, other_path: str, reporter: Reporter) -> CompileError:
    """The refusal of two specs that name the same network (both are sound specs)."""
    this, other = (
        analyze_bytes(read_bytes(path), path, reporter),
        analyze_bytes(read_bytes(other_path), other_path, reporter),
    )
    name, same = this.network.name, other.network.name
    files = f"{name}.py" if same == name else f"{name}.py and {same}.py"
    clash = Diagnostic(
        "error",
        f"two specs compile to {files}: this one and {printable(other_path)}"
        + ("" if same == name else " (one file where case is ignored)"),
        this.network.span,
        help="give each network its own name",
        notes=(note(f"{same} is the name here", other.network.span),),
    )
    return CompileError([clash], [this.source, other.source])


def _check(targets: list, reporter: Reporter) -> int:
    """Print the diff of every stale target, and name what interrupted runs left; 1 if there is
    any."""
    from ..files.output import diff, leftovers

    stale = 0
    for t in targets:
        text = diff(t)
        if text:
            stale += 1
            sys.stdout.write(text)
    left = leftovers(targets)
    for path in left:
        message = (
            "left over by an interrupted resnetc run; the next compile into this directory"
            " removes it"
        )
        reporter.report([error(message, None)], Source(str(path), ""))
    if stale:
        reporter.say(
            f"resnetc: {stale} of {_files(len(targets))} differ from what the specs compile to; "
            "run without --check to regenerate"
        )
    if stale or left:
        return 1
    reporter.say(f"resnetc: {_files(len(targets))} up to date")
    return 0


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"
