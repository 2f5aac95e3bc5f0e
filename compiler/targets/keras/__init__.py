"""The Keras 3 target: channels-last modules that load a PyTorch state_dict, and `verify`.

`TARGET` is this package's face to the pipeline (`targets.target.Target`): `resnet50_keras.py`
for ResNet-50, written by `emit` (block classes by `blocks`, laid out by `targets.pylayout`,
checked by `modcheck`). It writes what `knows.KNOWS` lists and refuses the rest, located
(`targets.refusal`). `verify` builds what it wrote with Keras and compares it with the compiler;
Keras is imported there only, and only when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing this package (for its module check, on a cache hit) loads nothing
    from ...core import ir
    from ...front.diagnostics import Diagnostic
    from ..target import Rendered


class KerasTarget:
    """Standalone Keras 3 modules whose weights load from the PyTorch module's state_dict."""

    name = "keras"
    suffix = "_keras"

    def file_name(self, net: ir.Network) -> str:
        """`<name>_keras.py`."""
        return f"{net.name}{self.suffix}.py"

    def refusals(self, net: ir.Network) -> tuple[Diagnostic, ...]:
        """What in `net` this target cannot write, each at its span."""
        from ..refusal import refusals
        from .knows import KNOWS

        return tuple(refusals(net, KNOWS))

    def render(self, net: ir.Network, spec_label: str) -> Rendered:
        """The checked module and its source map; `CompileError` if `net` has what this target
        cannot write."""
        found = self.refusals(net)
        if found:
            from ...front.diagnostics import CompileError

            raise CompileError(found)
        from .emit import render_module

        return render_module(net, spec_label)

    def check(self, text: str) -> None:
        """Raise `targets.pycheck.InternalError` unless importing `text` can only define the
        network (what every module this target writes passes)."""
        from .modcheck import check_module

        check_module(text)


TARGET = KerasTarget()
