"""What a generated PyTorch module may contain (the rules are targets.pycheck's): its docstring,
`import torch`, `from torch import Tensor, nn`, literals, classes and functions, a few builtins,
and no dunder attribute but `__init__`. Any breach is an `InternalError` (a bug in resnetc)."""

from __future__ import annotations

from ..pycheck import Allowed, InternalError, check

__all__ = ["ALLOWED", "InternalError", "check_module"]

ALLOWED = Allowed(
    imports=frozenset({("torch", None)}),
    from_imports={"torch": frozenset({"Tensor", "nn"})},
    builtins=frozenset({"super", "isinstance", "range", "int", "bool", "tuple", "len", "float"}),
    dunders=frozenset({"__init__"}),
)
"""The imports and builtins a PyTorch module may use."""


def check_module(text: str) -> None:
    """Parse emitted source back and check that importing it can only define the network."""
    check(text, ALLOWED)
