"""The jinja2 environment of the teaching outputs (the HTML page and the SVG diagram).

Like emission's (`StrictUndefined`, the same whitespace rules, templates that decide nothing), but
with autoescaping on, so every string a template inserts is escaped for HTML and XML: a spec's
text or the generated code can never break the page. Its templates are `teach/templates/*.j2`.
"""

from __future__ import annotations

import functools

import jinja2


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("resnetc.teach", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=True,
    )
    return env


def get_template(name: str) -> jinja2.Template:
    """The template `teach/templates/<name>`, autoescaped."""
    return _environment().get_template(name)
