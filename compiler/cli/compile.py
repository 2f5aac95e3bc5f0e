"""`resnetc compile SPEC... -o DIR`: write DIR/<name>.py for every spec, all or nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import Analysis
from ..diagnostics import Diagnostic, note
from ..source import printable
from ._common import Refused, analyze_file, summary_line

HELP = "compile specs into PyTorch modules (DIR/<name>.py)"
DESCRIPTION = """\
Compile each SPEC into DIR/<name>.py. If any spec is refused, nothing is written. A file
that resnetc did not generate is never overwritten unless --force is given. With --check,
nothing is written: the command exits 1 and prints a unified diff if DIR is not what the
specs compile to."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc compile`."""
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if DIR differs from the compiled specs",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite files that resnetc did not generate",
    )


def run(args: argparse.Namespace) -> int:
    """Compile every spec, then write (or compare) the results; 0, or 1 if anything failed."""
    out_dir = Path(args.output)
    if out_dir.exists() and not out_dir.is_dir():
        print(
            f"resnetc: error: -o {printable(args.output)} is not a directory",
            file=sys.stderr,
        )
        return 2
    targets, refused = _compile_all(args.specs, out_dir)
    if refused:
        print(
            summary_line(refused, len(args.specs), "refused; nothing written"),
            file=sys.stderr,
        )
        return 1
    if args.check:
        return _check(targets)
    return _write(targets, args.force)


def _write(targets: list, force: bool) -> int:
    """Write the targets, all or nothing, unless one of them may not be replaced."""
    from .. import output

    blocked = [(t, why) for t in targets if (why := output.obstacle(t.path, force))]
    for t, why in blocked:
        fix = "move it away or choose another -o directory"
        if output.obstacle(t.path, force=True) is None:
            fix += ", or pass --force to replace it"
        print(
            f"{printable(str(t.path))}: error: this file {why}; refusing to replace it"
            f" with the output of {printable(t.spec)}\n  = help: {fix}",
            file=sys.stderr,
        )
    if blocked:
        print("resnetc: nothing written", file=sys.stderr)
        return 1
    try:
        changed = output.write_all(targets)
    except output.OutputError as exc:
        print(f"resnetc: error: {printable(str(exc))}", file=sys.stderr)
        done = ", ".join(printable(str(p)) for p in exc.replaced)
        print(
            f"resnetc: only {done} written" if done else "resnetc: nothing written", file=sys.stderr
        )
        return 1
    for t in targets:
        print(f"{'wrote' if t in changed else 'unchanged'} {printable(str(t.path))}")
    return 0


def _compile_all(specs: list[str], out_dir: Path) -> tuple[list, int]:
    """Targets for every spec that compiles, and how many were refused (all are reported)."""
    from ..emit import render
    from ..output import Target, spec_label, target_path

    targets: list[Target] = []
    first: dict[str, Analysis] = {}
    refused = 0
    for path in specs:
        try:
            analysis = analyze_file(path)
        except Refused as exc:
            print(exc.text, file=sys.stderr)
            refused += 1
            continue
        net = analysis.network
        if net.name.lower() in first:  # one file where case is ignored (macOS, Windows)
            other = first[net.name.lower()]
            same = other.network.name
            files = f"{net.name}.py" if same == net.name else f"{net.name}.py and {same}.py"
            clash = Diagnostic(
                "error",
                f"two specs compile to {files}: this one and {printable(other.source.name)}"
                + ("" if same == net.name else " (one file where case is ignored)"),
                net.span,
                help="give each network its own name",
                notes=(note(f"{same} is the name here", other.network.span),),
            )
            print(clash.render(analysis.source), file=sys.stderr)
            refused += 1
            continue
        first[net.name.lower()] = analysis
        label = spec_label(path, out_dir)
        targets.append(Target(target_path(out_dir, net.name), render(net, label), label))
    return targets, refused


def _check(targets: list) -> int:
    """Print the diff of every stale target; 1 if there is any."""
    from ..output import diff

    stale = 0
    for t in targets:
        text = diff(t)
        if text:
            stale += 1
            sys.stdout.write(text)
    if stale:
        print(
            f"resnetc: {stale} of {_files(len(targets))} differ from what the specs compile to; "
            "run without --check to regenerate",
            file=sys.stderr,
        )
        return 1
    print(f"resnetc: {_files(len(targets))} up to date", file=sys.stderr)
    return 0


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"
