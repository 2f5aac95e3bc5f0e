"""What a target is: one package that writes the shape-annotated IR as source for one framework.

A target gives its `name` (`torch`), the `file_name` of a network's module (`resnet50.py`, the
network's name and the target's `suffix`), `refusals(net)`: a located error for each construct of
the network that it cannot write (none for the torch target, which writes the whole IR; see
`targets.refusal` for how the others decide), `render(net, spec_label)`: the module's source,
checked, with a source map from each part of the network (conv1, pool, each stage's attribute
`layerN`, head) to the line ranges that implement it, and `check(text)`: that check, which a
cached module passes before it is used. Teaching outputs read that map;
nothing re-parses generated code. Targets import nothing from one another; what they share
(laying out Python, source maps, module checks, refusals) lives beside this module in
`resnetc.targets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ..core import ir
from ..front.diagnostics import Diagnostic
from .sourcemap import CodeRange


@dataclass(frozen=True)
class Rendered:
    """A generated module: its text and, per part of the network, the lines that implement it."""

    text: str
    parts: Mapping[str, tuple[CodeRange, ...]]

    @property
    def lines(self) -> list[str]:
        """The module, one string per line."""
        return self.text.splitlines()


class Target(Protocol):
    """A framework resnetc writes networks for."""

    name: str
    """The target's name on the command line (`--target torch`)."""

    suffix: str
    """What follows the network's name in its file's (`_keras` in `resnet50_keras.py`)."""

    def file_name(self, net: ir.Network) -> str:
        """The file a network's module is written to, inside the output directory:
        `<net.name><suffix>.py`."""
        ...

    def refusals(self, net: ir.Network) -> tuple[Diagnostic, ...]:
        """An error, at its span, for each construct of `net` this target cannot write."""
        ...

    def render(self, net: ir.Network, spec_label: str) -> Rendered:
        """The checked module for the annotated `net`, `spec_label` naming its spec (a network
        with refusals raises `CompileError`)."""
        ...

    def check(self, text: str) -> None:
        """Raise `targets.pycheck.InternalError` unless importing `text` can only define the
        network: every module `render` returns passes, and a cached module is used only if it
        does (importing the target for this loads no dependency)."""
        ...
