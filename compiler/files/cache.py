"""Remembered compiles: an unchanged spec compiled by an unchanged resnetc is not compiled again.

`resnetc compile` runs on save, in pre-commit hooks and with `--check` in CI, nearly always over
specs that have not changed, and then its cost is all start-up: importing pydantic alone costs more
than 1.2x the interpreter's start with PyYAML, pydantic and jinja2 imported (docs/performance.md).
So the result of compiling a spec (the module's text, the network's name, the rendered warnings) is
kept in the user's cache directory under a key that covers everything the result depends on:

- the spec's bytes, the path it was given by (warnings name it) and the label its header shows;
- resnetc itself: the bytes of every module and template of the package;
- the interpreter's version and each dependency's installed code (the path, size and modification
  time of the `__init__.py` of PyYAML, pydantic, pydantic-core and jinja2, found without importing
  them).

A hit reads one small file and imports none of PyYAML, pydantic or jinja2. Any problem with the
cache (unreadable, corrupt, unwritable, no home directory) is a miss and the spec is compiled as if
there were no cache; refused specs are never stored. It holds at most `MAX_ENTRIES` results; the
oldest go first.

The cache is not trusted blindly. Its directory is used only if it is the user's and nobody else
may write to it (`cachedir.trusted`). An entry is a JSON file of three strings, opened without
following a link and without blocking (`O_NOFOLLOW | O_NONBLOCK`: a FIFO put in its place cannot
hang the run), read only if it is a regular file of at most `MAX_ENTRY_BYTES`, and used only if it
is what resnetc writes: a network name that is an ASCII identifier, warnings without a control
character. The caller (`resnetc compile`) then checks the name as a spec's name is checked (it
names the file written: never `torch.py` or `__init__.py`) and puts the module text through the
same module check as a freshly emitted one before anything is written. Nothing in the cache is
ever executed, unpickled or unmarshalled.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import stat
import sys
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import NamedTuple

from .cachedir import cache_dir, trusted

MAX_ENTRIES = 512
"""Most results kept; storing one more removes the least recently written."""

MAX_ENTRY_BYTES = 1 << 22
"""Largest entry read (4 MiB; the module of a 64-stage spec is about 60 KB); a larger one is a
miss, and so is anything that is not a regular file."""

_DEPENDENCIES = ("yaml", "pydantic", "pydantic_core", "jinja2")
_FORMAT = 1
"""The entry format's version, part of every key."""


class Result(NamedTuple):
    """What compiling one spec gave: the network's name, the module's text, the warnings."""

    name: str
    text: str
    warnings: str


def _directory() -> Path | None:
    """The directory of compile results, if caching is on and the directory can be trusted."""
    base = cache_dir()
    if base is None or trusted(base) is None:
        return None
    return trusted(base / "compiled")


@functools.lru_cache(maxsize=1)
def fingerprint() -> bytes:
    """A digest of resnetc's own code, the interpreter and the installed dependencies."""
    return digest(Path(__file__).resolve().parent.parent)


def digest(package: Path) -> bytes:
    """A digest of the modules and templates under `package`, the interpreter and the
    dependencies' installed code."""
    h = hashlib.sha256(f"{_FORMAT}\0{sys.version}\0".encode())
    files = [p for p in package.rglob("*") if p.suffix in (".py", ".j2") and p.is_file()]
    for path in sorted(files):
        h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    for name in _DEPENDENCIES:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        stat = os.stat(origin) if origin else None
        where = f"{name}\0{origin}\0{stat.st_size}\0{stat.st_mtime_ns}" if stat else name
        h.update(where.encode() + b"\0")
    return h.digest()


def key(data: bytes, path: str, label: str, target: str = "torch") -> str | None:
    """The cache key of compiling `data` (read from `path`, shown as `label`) for `target`;
    None if off."""
    if _directory() is None:
        return None
    try:
        h = hashlib.sha256(fingerprint())
    except OSError:  # resnetc's own files unreadable: do not cache
        return None
    parts = [path.encode("utf-8", "surrogateescape"), label.encode(), data]
    if target != "torch":  # the torch target's keys are those from before there were others
        parts.append(target.encode())
    for part in parts:
        h.update(len(part).to_bytes(8, "little") + part)
    return h.hexdigest()


def load(cache_key: str | None) -> Result | None:
    """The stored result for `cache_key`, or None (a miss) on any problem."""
    where = _directory()
    if cache_key is None or where is None:
        return None
    try:
        entry = json.loads(_read_entry(where / f"{cache_key}.json").decode("utf-8"))
        result = Result(entry["name"], entry["text"], entry["warnings"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return result if _well_formed(result) else None


def _read_entry(path: Path) -> bytes:
    """The bytes of the regular file at `path`, opened without following a link or blocking;
    `OSError` for anything else or anything over `MAX_ENTRY_BYTES`."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
            raise OSError(f"{path} is not a cache entry")
        data = f.read(MAX_ENTRY_BYTES + 1)
    if len(data) > MAX_ENTRY_BYTES:
        raise OSError(f"{path} is larger than a cache entry may be")
    return data


def _well_formed(result: Result) -> bool:
    """Whether `result` could be what resnetc stored: three strings, the name an ASCII
    identifier, the warnings (rendered diagnostics) free of control characters."""
    if not all(isinstance(field, str) for field in result):
        return False
    if not (result.name.isascii() and result.name.isidentifier()):
        return False
    return not any(ch != "\n" and unicodedata.category(ch) in _RAW for ch in result.warnings)


_RAW = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Characters a rendered diagnostic never holds unescaped (`front.source.printable`)."""


def store(cache_key: str | None, result: Result) -> None:
    """Keep `result` under `cache_key` (atomically); give up quietly on any problem."""
    where = _directory()
    if cache_key is None or where is None:
        return
    try:
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=where)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(result._asdict(), f)
            os.replace(tmp, where / f"{cache_key}.json")
        finally:
            Path(tmp).unlink(missing_ok=True)
        _prune(where)
    except OSError:
        pass


STALE_SECONDS = 600
"""A temporary entry older than this was left by a run that was killed while writing it."""


def _prune(where: Path) -> None:
    """Keep the `MAX_ENTRIES` most recently written results; remove the temporary entries that
    killed runs left (a running one's is seconds old)."""
    now = time.time()
    for tmp in where.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            info = tmp.lstat()
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > STALE_SECONDS:
                tmp.unlink()
    entries = list(where.glob("*.json"))
    if len(entries) <= MAX_ENTRIES:
        return
    entries.sort(key=lambda p: p.stat().st_mtime_ns)
    for old in entries[: len(entries) - MAX_ENTRIES]:
        old.unlink(missing_ok=True)
