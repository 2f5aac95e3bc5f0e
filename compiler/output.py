"""Writing generated files: atomically, all or nothing, never over a file resnetc did not write.

A target is written through a temporary file in its own directory, then renamed over the old one,
so that a reader (or an interrupted run) sees either the old bytes or the new ones, never a part.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .emit import HEADER_RE


@dataclass(frozen=True)
class Target:
    """One file to write: where, what, and which spec it came from."""

    path: Path
    text: str
    spec: str


def spec_label(spec_path: str | os.PathLike, out_dir: str | os.PathLike) -> str:
    """How the header names the spec: its path from the directory it shares with `out_dir`.

    `spec/resnet50.yaml -o generated/` gives `spec/resnet50.yaml` whichever way the paths were
    spelled (relative, absolute, `./spec/...`) and wherever the command was run from. When the two
    share nothing but the filesystem root, the spec is named with its own directory.
    """
    spec = os.path.realpath(spec_path)
    out = os.path.realpath(out_dir)
    common = os.path.commonpath([os.path.dirname(spec), out])
    if os.path.dirname(common) == common:  # nothing shared but the filesystem root
        common = os.path.dirname(os.path.dirname(spec))
    return Path(os.path.relpath(spec, common)).as_posix()


def target_path(out_dir: str | os.PathLike, name: str) -> Path:
    """`DIR/<name>.py`, refusing any name that would land outside `DIR`."""
    base = Path(out_dir).resolve()
    if not name.isidentifier() or (base / f"{name}.py").resolve().parent != base:
        raise ValueError(f"output name {name!r} does not stay inside {out_dir}")
    return Path(out_dir) / f"{name}.py"


def generated_by_us(path: Path) -> bool:
    """Whether `path` is absent or begins with resnetc's own header line."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            first = f.readline().rstrip("\r\n")
    except FileNotFoundError:
        return True
    except (IsADirectoryError, PermissionError):
        return False
    return HEADER_RE.match(first) is not None


def current(path: Path) -> str | None:
    """The file's text, or None if it does not exist or cannot be read as text."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def diff(target: Target) -> str:
    """A unified diff from what is on disk to what the spec compiles to ('' if equal)."""
    import difflib  # only `--check` needs it

    old = current(target.path)
    if old == target.text:
        return ""
    name = str(target.path)
    return "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            target.text.splitlines(keepends=True),
            fromfile=name if old is not None else "/dev/null",
            tofile=f"{name} (compiled from {target.spec})",
        )
    )


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file in the same directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
