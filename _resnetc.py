"""The `resnetc` command's entry point: quiet about Ctrl-C and SIGTERM from its first line.

The console script imports this module before any other part of resnetc. Until
`compiler.cli.main` installs its own handlers (see `compiler.interrupts`), Ctrl-C ends the process
at once, as SIGTERM already does: nothing has been written yet, and Python's start-up, which
would otherwise turn the signal into a `KeyboardInterrupt` traceback from some half-imported
module, prints nothing. (`python -m resnetc` runs the same `main`, once `resnetc` is imported.)
"""

try:  # the C module behind `signal`, already loaded: importing `signal` itself takes 0.5 ms
    import _signal as signal
except ImportError:  # pragma: no cover - a Python without it
    import signal

if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if started ignoring it
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def main() -> int:
    """Run `resnetc` on the process arguments; return its exit code."""
    from resnetc.cli import main as run

    return run()


if __name__ == "__main__":
    import sys

    sys.exit(main())
