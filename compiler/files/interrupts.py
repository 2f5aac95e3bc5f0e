"""Ctrl-C, SIGTERM and SIGHUP: turned into exceptions the CLI reports, held off while files move.

`handled()` (the CLI's `main` runs inside it) installs handlers that raise `KeyboardInterrupt` for
SIGINT and `Terminated` for SIGTERM and SIGHUP, and remembers which signal came, so that whatever
an interrupted import or library raises instead is still reported as the interrupt it was.
`deferred()` (around `output.write_all`) holds any such signal until its block ends, so that no
file is left half-replaced and no temporary file is left behind. Handlers are installed only in
the main thread, never over a signal the process was started ignoring (`nohup`), and the
previous ones are put back on the way out.

The exception can be lost: raised where Python cannot pass an exception on (a `__del__`, JAX's
garbage-collection callback during a Flax verify, an `isinstance` that pydantic-core makes while
it serializes), Python hands it to `sys.unraisablehook` and the run goes on. Three things make
sure the signal still stops the run:

1. While `handled()` runs, `sys.unraisablehook` is `_on_unraisable`: our own exception is not
   printed (no "Exception ignored in" traceback), and its signal is sent again, so that the
   handler raises it at the next line Python runs, outside the place that swallowed it.
2. A run that ends normally although a signal came is reported as stopped by the CLI
   (`received()`), in case a library's `except BaseException` swallowed it.
3. If the run has not ended `GRACE` seconds after a signal was raised, the process prints the
   interrupt line and exits at once with 128 + the signal's number (`os._exit`). That cannot cut
   a write short: while `deferred()` holds signals none is raised, and the grace starts when the
   held one is; removing staged files after an interrupt takes milliseconds.
"""

from __future__ import annotations

import _thread
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
_timers: list[threading.Timer] = []
"""Signals to be sent again, swallowed where they were raised (`_on_unraisable`)."""

AGAIN = 0.01
"""Seconds after an exception of ours was swallowed that its signal is sent again."""


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


def _on_unraisable(unraisable: object) -> None:
    """`sys.unraisablehook` inside `handled()`: an exception of ours that Python could not pass
    on is not printed, and its signal is sent again (see the module docstring)."""
    error = getattr(unraisable, "exc_value", None)
    if isinstance(error, KeyboardInterrupt | Terminated) and _received:
        # Sent from another thread a moment later: sent from here, the handler would run before
        # this hook returned, and raise into the place that swallowed the first one.
        again = threading.Timer(AGAIN, _send_again, (_received[0],))
        again.daemon = True
        _timers.append(again)
        again.start()
        return
    _previous_hook[0](unraisable)


_previous_hook: list = [sys.__unraisablehook__]
"""The hook `handled()` put `_on_unraisable` in place of."""


def _send_again(signum: int) -> None:
    """Send `signum` to the main thread, so that a wait it is in (a sleep, a read) ends too."""
    ident = threading.main_thread().ident
    if hasattr(signal, "pthread_kill") and ident is not None:
        signal.pthread_kill(ident, signum)
    else:
        _thread.interrupt_main(signal.Signals(signum))


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
    _previous_hook[0] = sys.unraisablehook
    sys.unraisablehook = _on_unraisable
    try:
        yield
    finally:
        _state["quiet"] = True  # the run is over: a signal now is too late to raise anything
        sys.unraisablehook = _previous_hook[0]
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _cancel()
        _state.update(held=0, quiet=False)


def _cancel() -> None:
    """Stop the watchdog, if a signal started one: the run has ended."""
    while _raised:
        _raised.pop().cancel()
    while _timers:
        _timers.pop().cancel()


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
