"""The user's cache directory, used only if it is the user's: owned by them, not writable by
anyone else, and a real directory (not a symbolic link, not a file).

`$RESNETC_CACHE_DIR`, else `$XDG_CACHE_HOME/resnetc`, else `~/.cache/resnetc`;
`RESNETC_CACHE_DIR=` (empty) turns caching off. A directory that another user owns, or that its
group or others may write to, could hold entries planted by someone else, so it is not used, and
resnetc says so once on standard error (`resnetc: warning: not using the cache directory ...`).
A missing directory is created with mode 0700. What is kept inside and how it is read is
`cache.py`'s business; an entry is never executed, unpickled or unmarshalled.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

_warned: set[str] = set()


def cache_dir() -> Path | None:
    """The configured cache directory, or None when caching is off or there is no home."""
    chosen = os.environ.get("RESNETC_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    base = os.environ.get("XDG_CACHE_HOME") or ""
    if not base:
        home = os.environ.get("HOME") or ""
        if not home:
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "resnetc"


def untrusted(path: Path) -> str | None:
    """Why the directory at `path` may not be trusted with cache entries (None if it may)."""
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None  # it will be created, the user's own (or cannot be, and there is no cache)
    except OSError as exc:
        return f"it cannot be examined ({exc.strerror or exc})"
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a directory"
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return f"it is owned by another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"its group or others may write to it (mode {stat.S_IMODE(info.st_mode):04o})"
    return None


def trusted(path: Path) -> Path | None:
    """`path` if it may be used as a cache directory (created, mode 0700, if missing); None,
    saying why once on stderr, if not."""
    why = untrusted(path)
    if why is None:
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError:
            return None  # no cache: nothing to warn about, the compile goes on
        why = untrusted(path)  # what was created (or was there all along) is examined too
    if why is None:
        return path
    if str(path) not in _warned:
        _warned.add(str(path))
        print(
            f"resnetc: warning: not using the cache directory {str(path)!a}: {why};"
            " compiling without a cache",
            file=sys.stderr,
        )
    return None
