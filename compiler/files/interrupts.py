"""Ctrl-C, SIGTERM and SIGHUP: turned into exceptions the CLI reports, held off while files move.

`handled()` (the CLI's `main` runs inside it) installs handlers that raise `KeyboardInterrupt` for
SIGINT and `Terminated` for SIGTERM and SIGHUP, and remembers which signal came, so that whatever
an interrupted import or library raises instead is still reported as the interrupt it was.
`deferred()` (around `output.write_all`) holds any such signal until its block ends, so that no
file is left half-replaced and no temporary file is left behind. Handlers are installed only in
the main thread, never over a signal the process was started ignoring (`nohup`), and the
previous ones are put back on the way out.

The exception can be lost: raised inside a callback that Python calls for a library (JAX's
garbage-collection callback, during a Flax verify), it is printed as "Exception ignored in" and
the run goes on. So a raised signal has a second chance: if the run has not ended `GRACE`
seconds later, the process prints the interrupt line and exits at once with 128 + the signal's
number (`os._exit`). That cannot cut a write short: while `deferred()` holds signals none is
raised, and the grace starts when the held one is; removing staged files after an interrupt
takes milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator


class Terminated(BaseException):
    """Raised in the main thread when SIGTERM or SIGHUP arrives, so that cleanup code runs."""


SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""The signals `handled()` turns into exceptions (SIGHUP where the platform has it)."""

GRACE = 5.0
"""Seconds a raised signal's exception has to end the run before the process exits anyway."""

_state = {"held": 0, "quiet": False}
_received: list[int] = []
_pending: list[int] = []
_raised: list[threading.Timer] = []
"""The watchdog of the signal raised, while `handled()` runs (at most one)."""


def _exception(signum: int) -> BaseException:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated()


def _raise(signum: int) -> BaseException:
    """The exception for `signum`, its watchdog started (see the module docstring)."""
    if not _raised:
        watchdog = threading.Timer(GRACE, _exit, (signum,))
        watchdog.daemon = True
        _raised.append(watchdog)
        watchdog.start()
    return _exception(signum)


def _exit(signum: int) -> None:
    """End the process now: the exception raised for `signum` did not end the run."""
    words: dict[int, str] = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}
    what = words.get(signum, f"stopped by {signal.Signals(signum).name}")
    with contextlib.suppress(Exception):
        sys.stderr.write(f"resnetc: {what}; no file was left half-written\n")
        sys.stderr.flush()
    os._exit(128 + signum)


def _on_signal(signum: int, frame: object) -> None:
    _received.append(signum)
    if _state["held"] or _state["quiet"]:
        _pending.append(signum)
        return
    raise _raise(signum)


def received() -> int | None:
    """The first signal that arrived inside `handled()`, or None."""
    return _received[0] if _received else None


def quiet() -> None:
    """From now until `handled()` ends, record signals but raise nothing (while reporting one)."""
    _state["quiet"] = True


@contextlib.contextmanager
def handled() -> Iterator[None]:
    """Turn `SIGNALS` into exceptions for the duration of the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    _pending.clear()
    _cancel()
    _state.update(held=0, quiet=False)
    previous = {}
    for signum in SIGNALS:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            previous[signum] = signal.signal(signum, _on_signal)
    try:
        yield
    finally:
        _state["quiet"] = True  # the run is over: a signal now is too late to raise anything
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _cancel()
        _state.update(held=0, quiet=False)


def _cancel() -> None:
    """Stop the watchdog, if a signal started one: the run has ended."""
    while _raised:
        _raised.pop().cancel()


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold signals handled by `handled()` until the block ends, then raise the first of them."""
    _state["held"] += 1
    try:
        yield
    finally:
        _state["held"] -= 1
        if not _state["held"] and not _state["quiet"] and _pending:
            signum = _pending[0]
            _pending.clear()
            raise _raise(signum)
