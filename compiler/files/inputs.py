"""Opening an input file (a spec, a table, a checkpoint) so that it cannot hang or flood the run.

Only a regular file is read. The file is opened without blocking (`O_NONBLOCK`: opening a FIFO
that has no writer returns at once instead of waiting for one) and examined through the open
descriptor (`fstat`), so what is read is what was examined: a FIFO, a character device
(`/dev/zero`, `/dev/ptmx`, a terminal), a block device, a socket or a directory is refused by
what it is, whatever its name, and never read. Symbolic links are followed (a spec or a checkpoint
may be a link, as in a Hugging Face cache); what they point to must be a regular file. Reading
stops one byte past the caller's limit, so a huge file costs no more than the limit.
"""

from __future__ import annotations

import os
import stat

_KINDS = (
    (stat.S_ISDIR, "it is a directory"),
    (stat.S_ISFIFO, "it is a FIFO (a named pipe), not a regular file"),
    (stat.S_ISCHR, "it is a character device, not a regular file"),
    (stat.S_ISBLK, "it is a block device, not a regular file"),
    (stat.S_ISSOCK, "it is a socket, not a regular file"),
)


class NotAFile(OSError):  # noqa: N818 (a verdict on the path, like FileNotFoundError)
    """The path exists but is no regular file; the message says what it is."""


def what_is(mode: int) -> str | None:
    """Why a file of `mode` is not read (None for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    return next((why for test, why in _KINDS if test(mode)), "it is not a regular file")


def open_regular(path: str) -> int:
    """A read-only descriptor of the regular file at `path` (blocking again once it is known to
    be one); `NotAFile` or another `OSError` otherwise. What the path names is examined before it
    is opened, and again through the descriptor, in case it was replaced in between."""
    why = what_is(os.stat(path).st_mode)  # most are named before anything is opened
    if why is not None:
        raise NotAFile(why)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    try:
        why = what_is(os.fstat(fd).st_mode)
        if why is not None:
            raise NotAFile(why)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str, limit: int) -> bytes:
    """At most `limit + 1` bytes of the regular file at `path` (so that a caller can tell a file
    over its limit); `NotAFile` or another `OSError` if it cannot be read."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as f:
        return f.read(limit + 1)
