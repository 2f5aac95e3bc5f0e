"""What the commands that write files share: the `-o` argument, the refusal to replace a file that
is not resnetc's, and the report of what was written (`files.output` does the writing)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ..files import output
from ..front.source import printable

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


NAME_MAX, PATH_MAX = 255, 4095
"""The longest file or directory name and the longest path, in bytes, that Linux's file systems
take (ext4, xfs, tmpfs, ...); a longer `-o` is refused before any work."""


def output_name(text: str) -> str:
    """The `-o` argument: any name but an empty one (which would silently mean `.`) or one longer
    than a file system takes."""
    if not text:
        raise argparse.ArgumentTypeError("expected a file or directory name, not ''")
    encoded = os.fsencode(text)
    if len(encoded) > PATH_MAX:
        raise argparse.ArgumentTypeError(
            f"the path is {len(encoded):,} bytes long, and a path may have at most {PATH_MAX:,}"
        )
    for part in encoded.split(b"/"):
        if len(part) > NAME_MAX:
            shown = printable(os.fsdecode(part[:24]))
            raise argparse.ArgumentTypeError(
                f"the name '{shown}...' is {len(part):,} bytes long, and a file or directory"
                f" name may have at most {NAME_MAX}"
            )
    return text


def is_directory(path: str | Path) -> bool:
    """Whether `path` is a directory; False where it cannot even be examined (the write that
    follows then says why, located)."""
    try:
        return Path(path).is_dir()
    except OSError:
        return False


def exists(path: str | Path) -> bool:
    """Whether something (a link included) is at `path`; False where it cannot be examined."""
    try:
        os.lstat(path)
    except OSError:
        return False
    return True


def add_force(parser: argparse.ArgumentParser, what: str = "files") -> None:
    """`--force`: replace what resnetc did not write."""
    parser.add_argument(
        "--force",
        action="store_true",
        help=f"replace {what} that resnetc did not write, or edited since it did",
    )


def blocked(targets: list[output.Target], force: bool, other: str = "-o directory") -> bool:
    """Report every target that may not be replaced; whether there was any."""
    found = False
    for t in targets:
        why = output.obstacle(t.path, force, t.kind)
        if why is None:
            continue
        found = True
        fix = f"move it away or choose another {other}"
        if output.obstacle(t.path, True, t.kind) is None:
            fix += ", or pass --force to replace it"
        print(
            f"{printable(str(t.path))}: error: this file {why}; refusing to replace it"
            f" with the output of {printable(t.spec)}\n  = help: {fix}",
            file=sys.stderr,
        )
    return found


def write(
    targets: list[output.Target], force: bool, other: str = "-o directory"
) -> list[output.Target] | None:
    """Write the targets, all or nothing, unless one may not be replaced; the targets that
    changed, or None (everything said on stderr) if nothing could be written."""
    if blocked(targets, force, other):
        print("resnetc: nothing written", file=sys.stderr)
        return None
    try:
        return output.write_all(targets, force)
    except output.OutputError as exc:
        print(f"resnetc: error: {printable(str(exc))}", file=sys.stderr)
        done = ", ".join(printable(str(p)) for p in exc.replaced)
        print(
            f"resnetc: only {done} written" if done else "resnetc: nothing written",
            file=sys.stderr,
        )
        return None


def write_file(
    text: str, path: str, kind: str, command: str, source: str, force: bool, quiet: bool = False
) -> int:
    """One file, marked as resnetc's (`files.markers`); 0, 1 if it was refused or could not be
    written, 2 if `path` names a directory."""
    from ..files.markers import stamp

    target = Path(path)
    if is_directory(target):
        print(f"resnetc: error: -o {printable(path)} is a directory", file=sys.stderr)
        return EXIT_USAGE
    label = output.spec_label(source, target.parent) if source not in ("", "-") else source
    marked = stamp(kind, text, command, label)
    changed = write([output.Target(target, marked, source or command, kind)], force, "-o file")
    if changed is None:
        return EXIT_REFUSED
    if not quiet:
        print(f"{'wrote' if changed else 'unchanged'} {printable(path)}", file=sys.stderr)
    return EXIT_OK


def add_output(parser: argparse.ArgumentParser, what: str) -> None:
    """`-o FILE` (standard output if left out) and `--force`."""
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=output_name,
        help=f"write {what} to FILE (atomically, marked as resnetc's) instead of standard output",
    )
    add_force(parser, "a FILE")


def to_output(text: str, args: argparse.Namespace, kind: str, command: str, source: str) -> int:
    """`text` to stdout, or (marked) to the file `args.output`; the exit code."""
    if args.output is None or args.output == "-":
        sys.stdout.write(text)
        return EXIT_OK
    return write_file(text, args.output, kind, command, source, args.force)
