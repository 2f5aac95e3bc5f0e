"""Where a run keeps the files it is about to put in place, so that no run leaves litter behind.

Each run that writes into a directory first writes its files, in full, into a hidden directory of
its own there, `DIR/.resnetc-staging-XXXXXXXX/` (same file system, so the final move is a rename),
marked by a `.resnetc-run` file, and holds an exclusive `flock` on it for as long as the run
lives. When the run ends, the staging directory goes with it; if the run is killed (`kill -9`, a
power cut), the lock goes with the process and the directory stays. The next run that writes
into `DIR` finds every staging directory whose lock it can take, which can only be one whose run
is over, and removes it; one that a running resnetc still holds is left alone, and so is a
directory of that name that holds anything but resnetc's mark (someone else's). `compile --check`
reports them (`leftovers`). So files left by an interrupted run are found and removed by the next
one, and never mistaken for output.

Temporary files of the form `.NAME.py.XXXXXXXX.tmp`, which resnetc wrote beside its targets before
it had staging directories, are removed the same way, for the targets a run writes.

On a platform without `fcntl` (Windows) nothing is locked, and so nothing is swept: a leftover is
reported by `--check` and stays until removed by hand.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

PREFIX = ".resnetc-staging-"
"""The name of every staging directory begins so."""

_NAME = re.compile(r"^\.resnetc-staging-[a-z0-9_]{8}$")
"""A staging directory's whole name (`tempfile.mkdtemp`'s 8 characters after `PREFIX`)."""

MARK = ".resnetc-run"
"""The file each staging directory holds from the moment it is locked: a directory by that name
that holds anything but resnetc's mark is someone else's, and is never swept or reported."""

_OLD_TEMP = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")
"""A temporary file of resnetc before staging directories (`tempfile.mkstemp`'s 8 characters)."""

_ATTEMPTS = 5


class Staging:
    """A staging directory of this run inside `parent`, locked until `close()`."""

    def __init__(self, parent: Path) -> None:
        self.parent = parent
        for _ in range(_ATTEMPTS):
            path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # a sweeping run may hold it for a moment
            if _same(path, fd):
                self.path, self._fd = path, fd
                _mark(path)
                return
            os.close(fd)  # another run swept it between its creation and the lock: again
        raise OSError(f"cannot create a staging directory in {parent}")

    def file(self, name: str) -> Path:
        """Where the staged copy of `parent/name` goes."""
        return self.path / name

    def close(self) -> None:
        """Remove the staging directory and what is left in it; release the lock."""
        _remove(self.path)
        os.close(self._fd)


def _mark(path: Path) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path / MARK, flags, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("a staging directory of resnetc; the next resnetc run here removes it\n")


def _ours(path: Path) -> bool:
    """Whether the directory at `path` is a staging directory: it holds resnetc's mark, or
    nothing at all (a run killed between creating it and marking it)."""
    try:
        names = os.listdir(path)
        return not names or stat.S_ISREG(os.lstat(path / MARK).st_mode)
    except OSError:
        return False


def _same(path: Path, fd: int) -> bool:
    try:
        here, held = os.lstat(path), os.fstat(fd)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (held.st_dev, held.st_ino)


def _remove(path: Path) -> None:
    """Remove a staging directory: the files in it, then it (nothing else, never recursively)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(path):
            if not entry.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
        os.rmdir(path)


def _staging_dirs(parent: Path) -> Iterator[Path]:
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if _NAME.match(entry.name) and entry.is_dir(follow_symlinks=False):
            info = entry.stat(follow_symlinks=False)
            mine = not hasattr(os, "getuid") or info.st_uid == os.getuid()
            if mine and _ours(Path(entry.path)):
                yield Path(entry.path)


@contextlib.contextmanager
def _unheld(path: Path) -> Iterator[bool]:
    """Whether the staging directory at `path` is held by no live run (its lock is taken and
    kept for the block, so that no run can start using it meanwhile)."""
    if fcntl is None:
        yield False
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False  # a running resnetc holds it
        else:
            yield True
    finally:
        os.close(fd)


def _old_temps(parent: Path, names: Iterable[str]) -> list[Path]:
    wanted = set(names)
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return []
    found = []
    for entry in entries:
        m = _OLD_TEMP.match(entry.name)
        if m and m.group("name") in wanted and entry.is_file(follow_symlinks=False):
            found.append(Path(entry.path))
    return found


def leftovers(parent: Path, names: Iterable[str] = ()) -> list[Path]:
    """The staging directories in `parent` that no live run holds, and the old temporary files
    of the targets `names`: what an interrupted run left behind."""
    found = []
    for path in _staging_dirs(parent):
        with _unheld(path) as left:
            if left:
                found.append(path)
    return sorted([*found, *_old_temps(parent, names)])


def sweep(parent: Path, names: Iterable[str] = ()) -> list[Path]:
    """Remove what interrupted runs left in `parent` (see `leftovers`); what was removed."""
    removed = []
    for path in _staging_dirs(parent):
        with _unheld(path) as left:
            if left:
                _remove(path)
                removed.append(path)
    for path in _old_temps(parent, names):
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(path).st_mode):
                os.unlink(path)
                removed.append(path)
    return removed
