"""The jinja2 environment of the teaching outputs (the HTML page and the SVG diagram).

It is emission's environment (same loader, `StrictUndefined`, whitespace rules) with autoescaping
turned on, so every string a template inserts is escaped for HTML and XML: a spec's text or the
generated code can never break the page. Its compiled templates are cached under their own key.
Like emission's, the templates decide nothing.
"""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def _environment():
    from .emit import _environment as emission_environment
    from .templatecache import attach

    return attach(emission_environment().overlay(autoescape=True))


def get_template(name: str):
    """The template `compiler/templates/<name>`, autoescaped."""
    return _environment().get_template(name)
