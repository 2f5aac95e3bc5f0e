"""LaTeX text: escaping, and the jinja2 environment of the TikZ templates.

`escape(text)` writes any text so that pdflatex prints it, with the fonts every TeX Live has
(Computer Modern in LaTeX's default OT1 encoding): the ten special characters and `<`, `>`, `|`
(which OT1 prints as other glyphs) are written as commands or math, the ligatures that would
change a text (`--`, `` !` ``) are broken with braces, `×` and a few other signs are math, and any
other character outside printable ASCII becomes `?`. OT1 has no straight quotes, so `'` and `"`
print curly. Nothing needs a package beyond LaTeX's own, and nothing calls for a font that TeX
would have to generate with METAFONT (no TS1 text symbols such as `\textbackslash`).

The environment (`get_template`) escapes everything a template inserts, the way autoescaping
escapes HTML: a value is written as it is only if it is a `Tex`, text Python already wrote in
LaTeX (a style, a coordinate, a colour definition). Its delimiters are `<< >>` and `<% %>`, since
LaTeX's braces are everywhere in the templates.
"""

from __future__ import annotations

import functools

import jinja2

_SPECIAL = {
    "\\": r"$\backslash$",
    "{": r"$\{$",
    "}": r"$\}$",
    "$": r"{\char36}",
    "&": r"\&",
    "#": r"\#",
    "^": r"\^{}",
    "_": r"\_",
    "%": r"\%",
    "~": r"\~{}",
    "<": "$<$",
    ">": "$>$",
    "|": "$|$",
    '"': "''",
    "`": "{`}",
    "×": r"$\times$",
    "→": r"$\rightarrow$",
    "−": "$-$",
    "–": "{--}",
    "—": "{---}",
    "…": r"\ldots{}",
}


class Tex(str):
    """Text already written in LaTeX: the TikZ templates insert it as it is."""

    __slots__ = ()


def escape(text: str) -> str:
    """`text` written in LaTeX, so that pdflatex prints exactly it (see the module's docstring)."""
    out = []
    for i, ch in enumerate(text):
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch == "-" and text[i + 1 : i + 2] == "-":
            out.append("-{}")  # no en dash
        elif ch in "\n\r\t":
            out.append(" ")
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def _finalize(value: object) -> str:
    return value if isinstance(value, Tex) else escape(str(value))


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("resnetc.teach", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_finalize,
        block_start_string="<%",
        block_end_string="%>",
        variable_start_string="<<",
        variable_end_string=">>",
        comment_start_string="<#",
        comment_end_string="#>",
    )


def get_template(name: str) -> jinja2.Template:
    """The template `teach/templates/<name>`, every inserted value escaped unless a `Tex`."""
    return _environment().get_template(name)
