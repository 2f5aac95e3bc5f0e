"""What a generated Flax module may contain (see targets.pycheck): its docstring, `import jax`,
`import jax.numpy as jnp`, `import numpy as np`, `from flax import nnx`, `Mapping` and `Any` for
its annotations, literals, classes and functions."""

from __future__ import annotations

from ..pycheck import Allowed, check

ALLOWED = Allowed(
    imports=frozenset({("jax", None), ("jax.numpy", "jnp"), ("numpy", "np")}),
    from_imports={
        "collections.abc": frozenset({"Mapping"}),
        "typing": frozenset({"Any"}),
        "flax": frozenset({"nnx"}),
    },
    builtins=frozenset(
        {"super", "isinstance", "range", "int", "bool", "tuple", "len", "set", "getattr", "str"}
        | {"hasattr", "id", "ValueError", "object"}
    ),
)
"""The imports and builtins a Flax module may use."""


def check_module(text: str) -> None:
    """Parse emitted source back and check that importing it can only define the network."""
    check(text, ALLOWED)
