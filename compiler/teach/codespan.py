"""Markdown code spans that text from an input cannot break out of.

A spec's path or a layer's name is shown in markdown as code (`` `spec/x.yaml` ``). Written between
single backticks, a name holding a backtick would end the span early and what follows (`<img
src=x onerror=...>`) would render as live HTML. CommonMark ends a code span only at a run of
backticks as long as the one that opened it, so the span is opened with one backtick more than the
longest run inside, and padded with a space where the text begins or ends with a backtick.
"""

from __future__ import annotations

import re


def code_span(text: str) -> str:
    """`text` as a markdown code span that ends where the text ends, whatever it holds."""
    text = " ".join(text.splitlines())  # a span is one line; a break would end the paragraph
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")):
        text = f" {text} "
    return f"{fence}{text}{fence}"
