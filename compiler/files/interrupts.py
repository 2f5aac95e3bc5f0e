"""Ctrl-C, SIGTERM and SIGHUP: turned into exceptions the CLI reports, held off while files move.

`handled()` (the CLI's `main` runs inside it) installs handlers that raise `KeyboardInterrupt` for
SIGINT and `Terminated` for SIGTERM and SIGHUP, and remembers which signal came, so that whatever
an interrupted import or library raises instead is still reported as the interrupt it was.
`deferred()` (around `output.write_all`) holds any such signal until its block ends, so that no
file is left half-replaced and no temporary file is left behind. Handlers are installed only in
the main thread, never over a signal the process was started ignoring (`nohup`), and the
previous ones are put back on the way out.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


class Terminated(BaseException):
    """Raised in the main thread when SIGTERM or SIGHUP arrives, so that cleanup code runs."""


SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""The signals `handled()` turns into exceptions (SIGHUP where the platform has it)."""

_state = {"held": 0, "quiet": False}
_received: list[int] = []
_pending: list[int] = []


def _exception(signum: int) -> BaseException:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated()


def _on_signal(signum: int, frame: object) -> None:
    _received.append(signum)
    if _state["held"] or _state["quiet"]:
        _pending.append(signum)
        return
    raise _exception(signum)


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
        _state.update(held=0, quiet=False)


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
            raise _exception(signum)
