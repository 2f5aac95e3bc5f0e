"""The lints: warnings about tables that compile but are probably not what was meant.

Each has a stable name, which `options: allow: [...]` names to silence it for one spec and which
machine-readable diagnostics carry as their code. The checks themselves are `core.lints`.
"""

from __future__ import annotations

LINTS = {
    "stride-no-effect": "a stride that does not shrink the map (already 1x1, or the kernel and"
    " padding cancel it)",
    "input-too-small": "an input so small that a stage's map reaches 1x1 before the last stage",
    "name-depth": "a name that states a depth the table does not have (resnet56, wrn_28_10)",
    "network-size": "a network far beyond any published ResNet in parameters or multiply-adds",
    "stage-stride": "a stage that enters with a stride above 2",
    "filters-double": "filters that do not double where the map halves (the paper's rule)",
    "filters-keep": "filters that change where the map keeps its size (the paper's rule)",
}
"""Every lint, by name, with what it finds."""
