"""The PyTorch target: torchvision-compatible modules, their check, and `verify` against torch.

`TARGET` is this package's face to the pipeline (`targets.target.Target`): `resnet50.py` for
ResNet-50, written by `emit` (block classes by `blocks`, laid out by `targets.pylayout`, checked
by `modcheck`). `verify` builds what it wrote with torch and compares it with the compiler; it is
the only module of resnetc that imports torch, and only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing this package (for modcheck, on a cache hit) loads no dependency
    from ...core import ir
    from ...front.diagnostics import Diagnostic
    from ..target import Rendered


class TorchTarget:
    """Standalone PyTorch modules, drop-in with torchvision's models."""

    name = "torch"
    suffix = ""

    def file_name(self, net: ir.Network) -> str:
        """`<name>.py`."""
        return f"{net.name}.py"

    def refusals(self, net: ir.Network) -> tuple[Diagnostic, ...]:
        """Nothing: the torch target writes every construct of the IR."""
        return ()

    def render(self, net: ir.Network, spec_label: str) -> Rendered:
        """The checked module and its source map."""
        from .emit import render_module

        return render_module(net, spec_label)

    def check(self, text: str) -> None:
        """Raise `targets.pycheck.InternalError` unless importing `text` can only define the
        network (what every module this target writes passes)."""
        from .modcheck import check_module

        check_module(text)


TARGET = TorchTarget()
