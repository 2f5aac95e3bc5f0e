"""Where jinja2 keeps the templates it has already compiled, so that `resnetc compile` does not
compile them again on every run (about 10 ms of a 200 ms start; see docs/performance.md).

The cache lives in the user's cache directory (`$RESNETC_CACHE_DIR`, else
`$XDG_CACHE_HOME/resnetc`, else `~/.cache/resnetc`), never in the package. Set
`RESNETC_CACHE_DIR=` (empty) to turn it off. Entries are keyed by template name and source
checksum (jinja2's own scheme) plus a digest of every environment setting that changes the
compiled code, so a stale entry is never used; an unreadable, unwritable or corrupt cache is
ignored and the template is compiled as if there were none. It changes no output byte.
"""

from __future__ import annotations

import hashlib
import os

import jinja2

from .cache import cache_dir

_CODEGEN_SETTINGS = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
    "autoescape",
    "optimized",
)


def settings_digest(env: jinja2.Environment) -> str:
    """A short digest of what, besides a template's source, decides its compiled code."""
    parts = [jinja2.__version__, type(env.undefined).__name__]
    parts += [f"{name}={getattr(env, name)!r}" for name in _CODEGEN_SETTINGS]
    parts += sorted(env.extensions), sorted(env.filters), sorted(env.tests)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


class TemplateCache(jinja2.FileSystemBytecodeCache):
    """jinja2's file cache, made silent: any problem with it means compiling afresh."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill `bucket` from the cache if a sound entry is there."""
        try:
            super().load_bytecode(bucket)
        except Exception:  # a corrupt or unreadable entry is a cache miss
            bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Store `bucket`, atomically; give up quietly if the directory is not writable."""
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def attach(env: jinja2.Environment) -> jinja2.Environment:
    """Give `env` a bytecode cache in the user's cache directory (if there is one); return it."""
    where = cache_dir()
    if where is not None:
        env.bytecode_cache = TemplateCache(str(where), f"{settings_digest(env)}-%s.cache")
    return env
