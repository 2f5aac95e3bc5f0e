"""The `resnetc` command line: arguments, exit codes and printing; no compiler logic.

Each subcommand lives in its own module of this package and exposes `HELP` (one line),
`add_arguments(parser)` and `run(args) -> int`. Exit codes: 0 success, 1 a spec (or file) was
refused or `--check` found a difference (or standard output is full), 2 a usage error, 3 an
internal error (a bug in resnetc), 130 / 143 / 129 interrupted by Ctrl-C / SIGTERM / SIGHUP (see
`resnetc.files.interrupts`), 141 standard output was a pipe that closed.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import signal
import sys
from typing import TYPE_CHECKING, TextIO

from .. import __version__
from ..files import interrupts
from ..files.interrupts import Terminated

if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

__all__ = ["COMMANDS", "Terminated", "build_parser", "main"]

COMMANDS = (
    "compile",
    "check",
    "summary",
    "verify",
    "explain",
    "diagram",
    "schema",
    "import-table",
    "decompile",
)
"""Subcommands, in the order `--help` lists them; each is the module `resnetc.cli.<name>`."""

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_SIGINT, EXIT_SIGTERM = 128 + signal.SIGINT, 128 + signal.SIGTERM
EXIT_PIPE = 128 + getattr(signal, "SIGPIPE", 13)
"""Standard output was a pipe that closed (`| head -c1`): the code a shell shows for `cat`."""


def _module(name: str):
    return importlib.import_module(f"{__name__}.{name.replace('-', '_')}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for `resnetc` and all its subcommands."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="resnetc",
        description="Compile the ResNet paper's Table 1, written as YAML, into PyTorch source.",
        epilog="Run `resnetc COMMAND --help` for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"resnetc {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = _module(name)
        sub = commands.add_parser(name, help=module.HELP, description=module.DESCRIPTION)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `resnetc` with `argv` (default: the process arguments); return the exit code."""
    try:
        return _main(argv)
    except (KeyboardInterrupt, interrupts.Terminated):
        # A signal in the last moments of the run, as `handled()` ended (once seen in
        # contextlib's `__exit__`, before the block's own `finally` could hold it): stopped.
        signum = interrupts.received()
        return _stopped(signal.SIGINT if signum is None else signum)


def _main(argv: Sequence[str] | None) -> int:
    with interrupts.handled(), _guarded_stdout():
        try:
            args = build_parser().parse_args(argv)
            args.reporter = _reporter(args)
            try:
                code = args.run(args)
            finally:
                args.reporter.finish()
            sys.stdout.flush()  # a full or closed stdout is found here, not at exit
            signum = interrupts.received()
            if signum is not None:  # its exception was swallowed, by a library or by Python
                return _stopped(signum)
            return code
        except SystemExit:
            signum = interrupts.received()
            if signum is None:
                raise
            return _stopped(signum)
        except BaseException as exc:  # every way out is reported; none escapes as a traceback
            return _failed(exc)


def _reporter(args: argparse.Namespace):
    """Where this run's diagnostics go (`cli.reporting`), as its options say."""
    from .reporting import Reporter

    return Reporter(getattr(args, "diagnostics_format", "text"), getattr(args, "werror", False))


class OutputClosed(Exception):  # noqa: N818 (a verdict on where the output goes)
    """Standard output cannot be written (a closed pipe, a full disk, /dev/full)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


_DIRECT = 8192
"""A text this long or longer is written to standard output's descriptor directly (`_Stdout`)."""


class _Stdout:
    """Standard output, with a failed write turned into `OutputClosed`, which no command's
    handling of its own files' `OSError`s can mistake for one of theirs."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            fd = self._fd() if len(text) >= _DIRECT else None
            if fd is None:
                return self._stream.write(text)
            # A large text goes to the descriptor itself: when the reader goes away in the middle
            # of it (`| head -c1` after the pipe's 64 KiB), the kernel reports the part written,
            # and io's buffered writer then drops the error of the rest; os.write raises it.
            self._stream.flush()
            data = memoryview(text.encode(self._stream.encoding, self._stream.errors or "strict"))
            while data:
                data = data[os.write(fd, data) :]
            return len(text)
        except OSError as exc:
            raise OutputClosed(exc) from None

    def _fd(self) -> int | None:
        """The descriptor under the stream, None if it has none (a test's captured stdout)."""
        try:
            return self._stream.fileno()
        except (OSError, ValueError, AttributeError):
            return None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise OutputClosed(exc) from None

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _guarded_stdout():
    stream = sys.stdout
    sys.stdout = _Stdout(stream)
    try:
        yield
    finally:
        sys.stdout = stream


def _output_closed(exc: OutputClosed) -> int:
    """Stop quietly: nothing more can be shown. A closed pipe (`| head`) is what `cat` meets;
    another failure (a full disk) is said in one line on stderr."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        # whatever is still buffered must not fail again when the interpreter exits
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if exc.error.errno == errno.EPIPE:
        return EXIT_PIPE
    why = exc.error.strerror or str(exc.error)
    print(f"resnetc: error: cannot write to standard output: {why}", file=sys.stderr)
    return EXIT_REFUSED


_STOPPED: dict[int, str] = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}


def _stopped(signum: int) -> int:
    """Report that a signal stopped the run; its exit code."""
    interrupts.quiet()  # a second Ctrl-C cannot cut this message short
    what = _STOPPED.get(signum, f"stopped by {signal.Signals(signum).name}")
    print(f"resnetc: {what}; no file was left half-written", file=sys.stderr)
    return 128 + signum


def _failed(exc: BaseException) -> int:
    """Report an exception that ended the run; its exit code."""
    signum = interrupts.received()
    if signum is not None:  # whatever an interrupted import or library raised instead
        return _stopped(signum)
    if isinstance(exc, KeyboardInterrupt):  # raised without our handler (not the main thread)
        return _stopped(signal.SIGINT)
    if isinstance(exc, Terminated):
        return _stopped(signal.SIGTERM)
    if isinstance(exc, OutputClosed):
        return _output_closed(exc)
    print(
        f"resnetc: internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug in resnetc, not in your spec; please report it with the spec attached.",
        file=sys.stderr,
    )
    return EXIT_INTERNAL
