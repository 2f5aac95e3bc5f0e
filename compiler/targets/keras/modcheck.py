"""What a generated Keras module may contain (see targets.pycheck): its docstring, `import keras`,
`import numpy as np`, `Mapping` and `Any` for its annotations, literals, classes and functions."""

from __future__ import annotations

from ..pycheck import Allowed, check

ALLOWED = Allowed(
    imports=frozenset({("keras", None), ("numpy", "np")}),
    from_imports={"collections.abc": frozenset({"Mapping"}), "typing": frozenset({"Any"})},
    builtins=frozenset(
        {"super", "isinstance", "range", "int", "bool", "float", "tuple", "len", "set", "getattr"}
        | {"str", "hasattr", "ValueError"}
    ),
)
"""The imports and builtins a Keras module may use."""


def check_module(text: str) -> None:
    """Parse emitted source back and check that importing it can only define the network."""
    check(text, ALLOWED)
