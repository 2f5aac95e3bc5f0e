"""Where a cache of compiled templates would attach: since issue 14, nowhere.

Until then jinja2's `FileSystemBytecodeCache` kept every template's compiled code in the user's
cache directory and loaded it back with `marshal`, so whoever could write a file there could run
code inside `resnetc compile`, `explain` or `diagram` (jinja2's own default directory checks its
owner and mode for this reason, CVE-2014-1402; an explicit directory is not checked). A cache that
stores no marshalled code would have to store Python source and execute it, which is the same
trust. What it saved was measured side by side before it went (benchmarks/bench.py, `--only
templates`, 31 interleaved rounds on 2 cores, docs/performance.md): nothing for a cold compile
(-0.4 ms), 7.7 ms of explain --html's 207 ms and 7.9 ms of diagram's 180 ms. That does not pay
for executing what a file on disk says, so templates are compiled in memory on every run and
`attach` leaves the environment as it is. The emitter and the teaching outputs still call it:
this is the one place a template cache would go.
"""

from __future__ import annotations

from typing import TypeVar

Env = TypeVar("Env")


def attach(env: Env) -> Env:
    """`env`, unchanged: its templates are compiled in memory, never loaded from a file."""
    return env
