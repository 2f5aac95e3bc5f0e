"""The jinja2 environment of the teaching outputs (the HTML page and the SVG diagram).

Autoescaping is on: every string a template inserts is escaped for HTML and XML, so a spec's text
or the generated code can never break the page. Like emission's, the templates decide nothing.
"""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def _environment():
    import jinja2

    from .templatecache import attach

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("compiler", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=True,
    )
    return attach(env)


def get_template(name: str):
    """The template `compiler/templates/<name>`, autoescaped."""
    return _environment().get_template(name)
