"""Where each part of the network lives in the source a target writes, recorded while writing.

A target marks the lines it writes for a part (`mark(key, lines)`): the first line starts with an
opening mark, the last ends with a closing one, each a control character that no emitted source
can contain around the part's key. `strip` removes every mark from the finished text and returns
the line range each key covered. Nothing parses the source to find out: the writer says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_OPEN, _CLOSE, _END = "\x02", "\x03", "\x04"
_MARK = re.compile(f"{_OPEN}([^{_END}]*){_END}|{_CLOSE}([^{_END}]*){_END}")


@dataclass(frozen=True)
class CodeRange:
    """Lines `start`..`end` (1-based, inclusive) of generated source, and what they are."""

    what: str
    start: int
    end: int

    def lines(self, text_lines: list[str]) -> list[tuple[int, str]]:
        """(line number, text) for every line of the range."""
        return [(n, text_lines[n - 1]) for n in range(self.start, self.end + 1)]


def mark(key: str, lines: list[str]) -> list[str]:
    """`lines` marked as the part `key` (a key holds no control character)."""
    if not lines:
        return lines
    out = list(lines)
    out[0] = f"{_OPEN}{key}{_END}{out[0]}"
    out[-1] = f"{out[-1]}{_CLOSE}{key}{_END}"
    return out


def mark_text(key: str, text: str) -> str:
    """A block of text (lines joined by newlines) marked as the part `key`."""
    return "\n".join(mark(key, text.split("\n")))


def strip(text: str) -> tuple[str, dict[str, list[tuple[int, int]]]]:
    """The text without its marks, and each key's line ranges in order of their start."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    open_at: dict[str, list[int]] = {}
    lines = text.split("\n")
    for n, line in enumerate(lines, start=1):
        if _OPEN not in line and _CLOSE not in line:
            continue
        for m in _MARK.finditer(line):
            if m.group(1) is not None:
                open_at.setdefault(m.group(1), []).append(n)
            else:
                start = open_at[m.group(2)].pop()
                ranges.setdefault(m.group(2), []).append((start, n))
        lines[n - 1] = _MARK.sub("", line)
    left = [key for key, starts in open_at.items() if starts]
    if left:
        raise ValueError(f"source marks opened and never closed: {left}")
    return "\n".join(lines), {k: sorted(v) for k, v in ranges.items()}
