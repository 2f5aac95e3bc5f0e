"""The jinja2 environment a target's templates render in: strict, built once per process and
compiled in memory (no compiled template is kept on disk, so none can be planted there)."""

from __future__ import annotations

import functools


@functools.cache
def environment(package: str):
    """The environment for the templates of `package` (`resnetc.targets.keras`), under
    `templates/`: undefined names are errors, blocks trim their own lines."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
