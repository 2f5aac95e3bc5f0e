"""`resnetc compile SPEC... -o DIR`: write DIR/<name>.py for every spec, all or nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..front.diagnostics import CompileError, Diagnostic, note
from ..front.source import printable
from ._common import Refused, add_target_argument, analyze_bytes, read_bytes, summary_line

if TYPE_CHECKING:
    from ..pipeline import Analysis

HELP = "compile specs into PyTorch (or Keras, Flax) modules (DIR/<name>.py)"
DESCRIPTION = """\
Compile each SPEC into DIR/<name>.py, the PyTorch module; with --target keras or --target flax
(the option may be repeated), into DIR/<name>_keras.py or DIR/<name>_flax.py. If any spec is
refused, for any target, nothing is written. A file that resnetc did not generate is never
overwritten unless --force is given. With --check, nothing is written: the command exits 1 and
prints a unified diff if DIR is not what the specs compile to. With --verify, every module is
first built with its framework and checked against the compiler (as `resnetc verify` does); if
any differs, nothing is written. Compiling itself imports no framework."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc compile`."""
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="output directory")
    add_target_argument(parser, "write a module for", repeat=True)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff if DIR differs from the compiled specs",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="check every module with its framework first (as `resnetc verify` does); write"
        " nothing on a difference",
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
    names = chosen_targets(args.target)
    if args.verify and not _frameworks_available(names):
        return 2
    targets, refused, analyses = _compile_all(args.specs, out_dir, names, args.verify)
    if args.verify and not refused:
        refused = _verify_all(targets, analyses)
    if refused:
        verb = "refused or failed verification" if args.verify else "refused"
        print(summary_line(refused, len(args.specs), f"{verb}; nothing written"), file=sys.stderr)
        return 1
    if args.check:
        return _check(targets)
    return _write(targets, args.force)


def _write(targets: list, force: bool) -> int:
    """Write the targets, all or nothing, unless one of them may not be replaced."""
    from ..files import output

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


def chosen_targets(given: list[str] | None) -> list[str]:
    """The targets asked for, each once, in the order given (torch if none was)."""
    return list(dict.fromkeys(given or ["torch"]))


def _frameworks_available(names: list[str]) -> bool:
    """Whether every chosen target's framework can be imported (--verify needs it); says why
    not."""
    from .verify import FrameworkMissing, import_framework

    for name in names:
        try:
            import_framework(name)
        except FrameworkMissing as exc:
            print(f"resnetc: error: {exc}; nothing written", file=sys.stderr)
            return False
    return True


def _verify_all(targets: list, analyses: dict[tuple[str, str], Analysis]) -> int:
    """Verify every target's module against its network; how many failed (all are reported)."""
    from .verify import report

    failed = 0
    for target, ((_, name), analysis) in zip(targets, analyses.items(), strict=True):
        failed += not report(analysis, analysis.source.name, target.text, name)
    return failed


def _compile_all(
    specs: list[str], out_dir: Path, names: list[str], verify: bool = False
) -> tuple[list, int, dict[tuple[str, str], Analysis]]:
    """Files for every spec that compiles for every target, how many specs were refused (all are
    reported), and, when verifying, the analysis behind each file by (network, target)."""
    from ..files.output import Target, target_path
    from ..pipeline import FILE_SUFFIXES

    targets: list[Target] = []
    first: dict[str, str] = {}
    analyses: dict[tuple[str, str], Analysis] = {}
    refused = 0
    for path in specs:
        try:
            results, label, analysis = _compile_one(path, out_dir, names, verify)
        except Refused as exc:
            print(exc.text, file=sys.stderr)
            refused += 1
            continue
        name = results[0][1].name
        if name.lower() in first:  # one file where case is ignored (macOS, Windows)
            print(_clash(path, first[name.lower()]), file=sys.stderr)
            refused += 1
            continue
        first[name.lower()] = path
        for target_name, result in results:
            if analysis is not None:
                analyses[(name, target_name)] = analysis
            stem = name + FILE_SUFFIXES[target_name]
            targets.append(Target(target_path(out_dir, stem), result.text, label))
    return targets, refused, analyses


def _compile_one(path: str, out_dir: Path, names: list[str], analyse: bool):
    """([(target, the compile's `Result`)], the spec's label, its `Analysis` if `analyse` or
    compiled afresh).

    An unchanged spec compiled by an unchanged resnetc is taken from the compile cache, unless its
    analysis is needed (`--verify`). A spec one of the targets cannot write is refused."""
    from ..files import cache as compilecache
    from ..files.output import spec_label

    data = read_bytes(path)
    label = spec_label(path, out_dir)
    keys = [compilecache.key(data, path, label, name) for name in names]
    results = [None if analyse else compilecache.load(key) for key in keys]
    analysis = None
    if any(result is None for result in results):
        analysis = analyze_bytes(data, path)
        warnings = "".join(d.render(analysis.source) + "\n" for d in analysis.warnings)
        found = []
        for i, name in enumerate(names):
            if results[i] is None:
                try:
                    text = _render(analysis, label, name)
                except CompileError as exc:
                    found.append(exc.render())
                    continue
                results[i] = compilecache.Result(analysis.network.name, text, warnings)
                compilecache.store(keys[i], results[i])
        if found:
            sys.stderr.write(warnings)
            raise Refused("\n".join(found))
    sys.stderr.write(results[0].warnings)
    return list(zip(names, results, strict=True)), label, analysis


def _render(analysis: Analysis, label: str, name: str) -> str:
    """The module's text for one target (the torch target's without its source map)."""
    if name == "torch":
        from ..targets.torch.emit import render

        return render(analysis.network, label)
    from ..pipeline import render as render_for

    return render_for(analysis, label, name).text


def _clash(path: str, other_path: str) -> str:
    """The diagnostic for two specs that name the same network (both are sound specs)."""
    this, other = (
        analyze_bytes(read_bytes(path), path),
        analyze_bytes(read_bytes(other_path), other_path),
    )
    name, same = this.network.name, other.network.name
    files = f"{name}.py" if same == name else f"{name}.py and {same}.py"
    return Diagnostic(
        "error",
        f"two specs compile to {files}: this one and {printable(other_path)}"
        + ("" if same == name else " (one file where case is ignored)"),
        this.network.span,
        help="give each network its own name",
        notes=(note(f"{same} is the name here", other.network.span),),
    ).render(this.source)


def _check(targets: list) -> int:
    """Print the diff of every stale target; 1 if there is any."""
    from ..files.output import diff

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
