"""Text from an input (a spec's path) shown in markdown so that it cannot become markup.

A path such as `spec/resnet50.yaml` is shown as code, between backticks. A name holding a backtick
would end a code span early and what follows (`<img src=x onerror=...>`) would render as live
HTML; and a paragraph is folded at spaces, so a longer fence is no cure: folded onto a line of its
own, three backticks open a code block, and `#`, `>` or `-` at the start of a line begin a heading,
a quote or a list. So only a name made of letters, digits and `._/+-` (no space, no backtick) is
shown as code; any other is shown as text with every ASCII punctuation mark that can be markup
backslash-escaped and
`<`, `>` and `&` written as entities, which no renderer turns back into markup wherever the
paragraph is folded.
"""

from __future__ import annotations

import re
import string

_PLAIN = re.compile(r"[A-Za-z0-9._/+-]+")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_INERT = set("/,:;@%?")
"""Punctuation that is never markup, left as it is so that a path still reads as one."""


def literal(text: str) -> str:
    """`text` for markdown: as code if that is safe, else as escaped text; never markup."""
    text = " ".join(text.splitlines())
    if _PLAIN.fullmatch(text):
        return f"`{text}`"
    return "".join(
        _ENTITIES.get(ch) or (f"\\{ch}" if ch in string.punctuation and ch not in _INERT else ch)
        for ch in text
    )
