"""What a checkpoint file may hold, checked before it is parsed, so that none can make decompile
take long or allocate without bound (`front/limits.py`: `MAX_CHECKPOINT_*`).

A `.pt` file written by `torch.save` since PyTorch 1.6 is a zip archive: one record per tensor's
storage, and a pickle (`data.pkl`) naming every tensor. The number of records is read from the
archive's end record (a few bytes, whatever the archive holds), and only then the archive's
directory, for the pickle's size; neither is parsed past its limit. A safetensors file begins with
its header's length. A legacy `.pt` (a bare pickle) is loaded whole, so its size counts, and its
pickles are scanned (opcodes only, nothing run) within the index's limit, counting the tensors.
After reading, the state_dict's entries are counted too (a live mapping has no file to look at).
"""

from __future__ import annotations

import os
import zipfile
from typing import IO, cast

from ..front import limits

_RECORDS_OVER_TENSORS = 64
"""Records a torch zip archive holds besides one per storage (data.pkl, version, byteorder, ...)."""


class TooLarge(Exception):  # noqa: N818 (a verdict on the input)
    """The checkpoint is over a limit; the message names it."""


def check_zip(path: str) -> None:
    """Refuse a torch zip archive with more records or a larger pickle than the limits allow."""
    with open(path, "rb") as f:
        records = _zip_records(f)
    if records is not None and records > limits.MAX_CHECKPOINT_TENSORS + _RECORDS_OVER_TENSORS:
        raise TooLarge(
            f"the archive holds {records:,} records, more than a checkpoint of at most"
            f" {limits.MAX_CHECKPOINT_TENSORS:,} tensors can (MAX_CHECKPOINT_TENSORS)"
        )
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [i for i in archive.infolist() if i.filename.endswith("/data.pkl")]
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # torch.load says what is wrong with it
    for info in pickles:
        _index_bytes(info.file_size, "its pickle (data.pkl)")


def check_safetensors(head: bytes) -> None:
    """Refuse a safetensors file whose header is over the limit."""
    _index_bytes(int.from_bytes(head[:8], "little"), "its header")


def check_legacy(path: str) -> None:
    """Refuse a legacy (bare pickle) checkpoint larger than the limit (it is read whole), or
    whose pickles, which name the tensors, are longer than an index may be or name more tensors
    than a state_dict may hold: they are scanned, never run, before torch.load builds them."""
    size = os.path.getsize(path)
    if size > limits.MAX_LEGACY_CHECKPOINT_BYTES:
        raise TooLarge(
            f"this checkpoint in PyTorch's legacy format (a bare pickle, read whole) is"
            f" {size:,} bytes, more than the limit of {limits.MAX_LEGACY_CHECKPOINT_BYTES:,}"
            " (MAX_LEGACY_CHECKPOINT_BYTES)"
        )
    with open(path, "rb") as f:
        _scan_legacy(_Budget(f, limits.MAX_CHECKPOINT_INDEX_BYTES))


_LEGACY_PICKLES = 4
"""A legacy file's pickles before its raw storages: the magic number, the protocol version, the
system's description and the state_dict, each ending in STOP; then the storages' keys and data."""


def _scan_legacy(budget: _Budget) -> None:
    """Walk the opcodes of the legacy pickles (pickletools.genops: parsed, nothing built or
    called), counting the storages they name (one persistent id each time a tensor names one)."""
    import pickletools

    named = 0
    try:
        for _ in range(_LEGACY_PICKLES):
            for op, _arg, _pos in pickletools.genops(cast("IO[bytes]", budget)):
                if op.name in ("BINPERSID", "PERSID"):
                    named += 1
                    if named > limits.MAX_CHECKPOINT_TENSORS:
                        raise TooLarge(
                            f"its pickle names more than {limits.MAX_CHECKPOINT_TENSORS:,} tensors,"
                            " the most a state_dict may hold (MAX_CHECKPOINT_TENSORS)"
                        )
    except (ValueError, EOFError, TypeError, UnicodeDecodeError):
        return  # not the pickles torch.save writes: torch.load says what is wrong with it


class _Budget:
    """A file read through at most `limit` bytes; past them, `TooLarge` (pickletools reads the
    length an opcode declares, so a lie cannot make it allocate past the budget either)."""

    def __init__(self, f, limit: int) -> None:
        self._f, self._left = f, limit

    def _take(self, n: int) -> None:
        if n > self._left:
            raise TooLarge(
                "its pickle, which names the tensors, is more than"
                f" {limits.MAX_CHECKPOINT_INDEX_BYTES:,} bytes (MAX_CHECKPOINT_INDEX_BYTES)"
            )
        self._left -= n

    def read(self, n: int = -1) -> bytes:
        self._take(self._left + 1 if n < 0 else n)
        return self._f.read(n)

    def readline(self) -> bytes:
        line = self._f.readline(self._left + 1)
        self._take(len(line))
        return line

    def tell(self) -> int:
        return self._f.tell()


def check_entries(count: int) -> None:
    """Refuse a state_dict of more entries than the limit."""
    if count > limits.MAX_CHECKPOINT_TENSORS:
        raise TooLarge(
            f"the state_dict has {count:,} entries, more than the limit of"
            f" {limits.MAX_CHECKPOINT_TENSORS:,} (MAX_CHECKPOINT_TENSORS)"
        )


def _index_bytes(size: int, what: str) -> None:
    if size > limits.MAX_CHECKPOINT_INDEX_BYTES:
        raise TooLarge(
            f"{what}, which names the tensors, is {size:,} bytes, more than the limit of"
            f" {limits.MAX_CHECKPOINT_INDEX_BYTES:,} (MAX_CHECKPOINT_INDEX_BYTES)"
        )


def _zip_records(f) -> int | None:
    """The number of records a zip archive declares in its end record (zip64 too), or None if
    there is no end record to read (torch.load then says what is wrong)."""
    f.seek(0, os.SEEK_END)
    size = f.tell()
    tail_size = min(size, (1 << 16) + 22)  # the end record, after a comment of up to 64 KiB
    f.seek(size - tail_size)
    tail = f.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    records = int.from_bytes(tail[at + 10 : at + 12], "little")
    if records != 0xFFFF:
        return records
    locator = tail.rfind(b"PK\x06\x07", 0, at)  # zip64: its locator precedes the end record
    if locator < 0:
        return None
    f.seek(int.from_bytes(tail[locator + 8 : locator + 16], "little"))
    record = f.read(56)
    if record[:4] != b"PK\x06\x06":
        return None
    return int.from_bytes(record[32:40], "little")
