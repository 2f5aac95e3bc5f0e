"""`resnetc compile SPEC... -o DIR`: write DIR/<name>.py for every spec, all or nothing."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..front.diagnostics import CompileError, Diagnostic, error, note
from ..front.source import Source, printable
from . import reporting
from ._common import add_target_argument, analyze_bytes, read_bytes, summary_line
from .writing import exists, is_directory, output_name, write

if TYPE_CHECKING:
    from ..pipeline import Analysis
    from .reporting import Reporter

HELP = "compile specs into PyTorch (or Keras, Flax) modules (DIR/<name>.py)"
DESCRIPTION = """\
Compile each SPEC into DIR/<name>.py, the PyTorch module; with --target keras or --target flax
(the option may be repeated), into DIR/<name>_keras.py or DIR/<name>_flax.py. If any spec is
refused, for any target, nothing is written. A file that resnetc did not generate (whose first
line is not its header) is never replaced unless --force is given; a replaced file keeps its
mode. Files are staged in a hidden directory of the run's own in DIR and renamed into place,
checked again at that moment; what a killed run left there is removed by the next. With --check,
nothing is written: the command exits 1 and prints a unified diff if DIR is not what the specs
compile to, or names what a killed run left in it. With --verify, every module is first built
with its framework and checked against the compiler (as `resnetc verify` does); if any differs,
nothing is written. Compiling itself imports no framework."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `resnetc compile`."""
    parser.add_argument("specs", nargs="+", metavar="SPEC", help="spec files (YAML)")
    parser.add_argument(
        "-o", "--output", required=True, metavar="DIR", type=output_name, help="output directory"
    )
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
    reporting.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Compile every spec, then write (or compare) the results; 0, or 1 if anything failed."""
    out_dir = Path(args.output)
    if exists(out_dir) and not is_directory(out_dir):
        print(
            f"resnetc: error: -o {printable(args.output)} is not a directory",
            file=sys.stderr,
        )
        return 2
    names = chosen_targets(args.target)
    if args.verify and not _frameworks_available(names):
        return 2
    targets, refused, analyses = _compile_all(
        args.specs, out_dir, names, args.reporter, args.verify
    )
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


def _verify_all(
    targets: list, analyses: dict[tuple[str, str], Analysis], reporter: Reporter
) -> int:
    """Verify every target's module against its network; how many failed (all are reported)."""
    from .verify import report

    failed = 0
    for target, ((_, name), analysis) in zip(targets, analyses.items(), strict=True):
        failed += not report(analysis, analysis.source.name, reporter, target.text, name)
    return failed


def _compile_all(
    specs: list[str], out_dir: Path, names: list[str], reporter: Reporter, verify: bool = False
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
            results, label, analysis = _compile_one(path, out_dir, names, reporter, verify)
        except CompileError as exc:
            reporter.refused(exc)
            refused += 1
            continue
        name = results[0][1].name
        if name.lower() in first:  # one file where case is ignored (macOS, Windows)
            reporter.refused(_clash(path, first[name.lower()], reporter))
            refused += 1
            continue
        first[name.lower()] = path
        for target_name, result in results:
            if analysis is not None:
                analyses[(name, target_name)] = analysis
            stem = name + FILE_SUFFIXES[target_name]
            targets.append(Target(target_path(out_dir, stem), result.text, label))
    return targets, refused, analyses


def _compile_one(path: str, out_dir: Path, names: list[str], reporter: Reporter, analyse: bool):
    """([(target, the compile's `Result`)], the spec's label, its `Analysis` if `analyse` or
    compiled afresh).

    An unchanged spec compiled by an unchanged resnetc is taken from the compile cache, unless its
    analysis is needed (`--verify`, `--werror`, JSON diagnostics). A spec one of the targets
    cannot write is refused."""
    from ..files import cache as compilecache
    from ..files.output import spec_label

    data = read_bytes(path)
    label = spec_label(path, out_dir)
    keys = [compilecache.key(data, path, label, name) for name in names]
    fresh = analyse or reporter.werror or reporter.json
    results = [
        None if fresh else _checked(compilecache.load(key), name)
        for key, name in zip(keys, names, strict=True)
    ]
    analysis = None
    if any(result is None for result in results):
        analysis = analyze_bytes(data, path, reporter)
        warnings = "".join(d.render(analysis.source) + "\n" for d in analysis.warnings)
        refusals: list[Diagnostic] = []
        for i, name in enumerate(names):
            if results[i] is None:
                try:
                    text = _render(analysis, label, name)
                except CompileError as exc:
                    refusals += exc.diagnostics
                    continue
                result = compilecache.Result(analysis.network.name, text, warnings)
                results[i] = result
                compilecache.store(keys[i], result)
        reporter.report(analysis.warnings, analysis.source)
        if refusals:
            raise CompileError(refusals, analysis.source)
    else:
        assert results[0] is not None  # every target's result came from the cache
        sys.stderr.write(results[0].warnings)  # as rendered when the spec was compiled
    return list(zip(names, results, strict=True)), label, analysis


def _render(analysis: Analysis, label: str, name: str) -> str:
    """The module's text for one target (the torch target's without its source map)."""
    if name == "torch":
        from ..targets.torch.emit import render

        return render(analysis.network, label)
    from ..pipeline import render as render_for

    return render_for(analysis, label, name).text


def _checked(result, name: str):
    """A cached result whose network name is one a spec may have and whose module passes the
    check every module of target `name` passes, else None (compiled afresh): an entry edited on
    disk cannot put code into the output, nor write `torch.py` or `__init__.py`."""
    from ..front.names import bad_identifier
    from ..pipeline import target
    from ..targets.pycheck import InternalError

    if result is None or bad_identifier(result.name) is not None:  # it names the file written
        return None
    try:
        target(name).check(result.text)
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
            f"resnetc: {stale} of {_files(len(targets))} {'differs' if stale == 1 else 'differ'}"
            " from what the specs compile to; "
            "run without --check to regenerate"
        )
    if stale or left:
        return 1
    reporter.say(f"resnetc: {_files(len(targets))} up to date")
    return 0


def _files(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"
