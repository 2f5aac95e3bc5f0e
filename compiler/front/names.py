"""What may name a network: the module, class and factory resnetc writes are named after it.

Light on purpose (no pydantic, no PyYAML): a compile answered from the cache checks the cached
name with it, as the spec's name was checked, before it names a file.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata

from . import limits
from .source import describe

_RESERVED = frozenset(
    {"torch", "nn", "Tensor", "F", "functional", "BasicBlock", "Bottleneck", "conv1x1", "conv3x3",
     "projection", "projection3x3", "self", "super", "object", "main", "compiler", "resnetc",
     "typing"}
)  # fmt: skip


SOFT_KEYWORDS = frozenset({"match", "case", "type", "_"})
"""Python's soft keywords (3.12's list, fixed here so that every Python version agrees)."""

_DEVICE = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])")
"""Names Windows reserves for devices: `nul.py` there is not a file."""


def bad_identifier(text: str) -> str | None:
    """Why `text` cannot name a generated module, class and function (None if it can)."""
    if not text:
        return "is empty"
    if len(text) > limits.MAX_NAME_CHARS:
        return f"is longer than {limits.MAX_NAME_CHARS} characters"
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or ch in "/\\":
            return f"contains {describe(ch)}"
    if not text.isascii():
        return "must be ASCII (letters, digits and underscores)"
    if not text.isidentifier():
        return (
            "must be a Python identifier"
            " (letters, digits and underscores, not starting with a digit)"
        )
    if keyword.iskeyword(text) or text in SOFT_KEYWORDS:
        return "is a Python keyword"
    if text in vars(builtins):
        return "would shadow a Python builtin"
    if text.startswith("__"):
        return "starts with __, which Python reserves for its own names"
    if text in _RESERVED:
        return "is a name the generated module already uses"
    if _DEVICE.fullmatch(text):
        return "is a device name on Windows, where the file would not be written"
    return None
