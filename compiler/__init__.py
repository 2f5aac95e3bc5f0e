"""resnetc: compile the ResNet paper's Table 1, written as YAML, into readable PyTorch source.

The public API, one function per step a user may want:

- `analyze(text, filename)`: parse, lower and shape-check a spec; returns an `Analysis` holding
  the shape-annotated IR (`network`), the warnings and the source.
- `compile_spec(text, filename, spec_label=None)`: all of the above, then the generated module's
  source text.
- `decompile(checkpoint, ...)`: a ResNet checkpoint (a path, a state_dict or an `nn.Module`) read
  back into a spec that compiles to code loading it with `strict=True` (needs torch for `.pt`
  files, the `safetensors` package for `.safetensors`); returns a `Decompiled`.
- `CompileError`: raised by all three with every `Diagnostic` (render them with `.render()`).

Each name is imported on first use, so that `import resnetc` itself costs nothing (the compile
cache answers an unchanged spec without importing pydantic, PyYAML or jinja2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if __name__ != "resnetc":  # the folder is compiler/, but the package is installed as resnetc
    raise ImportError(f"resnetc's package is imported as `resnetc`, not `{__name__}`")

if TYPE_CHECKING:
    from .checkpoint.decompiler import Decompiled, decompile
    from .front.diagnostics import CompileError, Diagnostic
    from .pipeline import Analysis, analyze, compile_spec

__all__ = [
    "Analysis",
    "CompileError",
    "Decompiled",
    "Diagnostic",
    "analyze",
    "compile_spec",
    "decompile",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """The public names, imported when first used."""
    if name in ("Analysis", "analyze", "compile_spec"):
        from . import pipeline

        return getattr(pipeline, name)
    if name in ("CompileError", "Diagnostic"):
        from .front import diagnostics

        return getattr(diagnostics, name)
    if name in ("Decompiled", "decompile"):
        from .checkpoint import decompiler

        return getattr(decompiler, name)
    raise AttributeError(f"module 'resnetc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
