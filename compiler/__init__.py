"""resnetc: compile the ResNet paper's Table 1, written as YAML, into readable PyTorch source.

The public API, one function per step a user may want:

- `analyze(text, filename)`: parse, lower and shape-check a spec; returns an `Analysis` holding
  the shape-annotated IR (`network`) and the warnings.
- `compile_spec(text, filename, spec_label=None)`: all of the above, then the generated module's
  source text.
- `decompile(checkpoint, ...)`: a ResNet checkpoint (a path, a state_dict or an `nn.Module`) read
  back into a spec that compiles to code loading it with `strict=True` (needs torch for `.pt`
  files, the `safetensors` package for `.safetensors`).
- `CompileError`: raised by all three with every diagnostic (render them with `.render()`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .diagnostics import CompileError, Diagnostic

__all__ = ["Analysis", "CompileError", "Diagnostic", "analyze", "compile_spec", "decompile"]
__version__ = "0.1.0"


@dataclass(frozen=True)
class Analysis:
    """A checked spec: the shape-annotated IR, its warnings, and the source it came from."""

    network: object
    warnings: tuple[Diagnostic, ...]
    source: object


def analyze(text: str | bytes, filename: str = "<spec>") -> Analysis:
    """Parse, lower and shape-check one spec; raise `CompileError` if it cannot be built."""
    from .lower import lower
    from .shapes import analyze as shape_pass
    from .spec import read_spec
    from .yamlsrc import decode, load

    data = text.encode("utf-8") if isinstance(text, str) else text
    source = decode(data, filename) if isinstance(text, bytes) else _source(text, filename)
    try:
        spec = read_spec(load(source), source)
        network, warnings = shape_pass(lower(spec))
    except CompileError as exc:
        raise exc.with_source(source) from None
    return Analysis(network, tuple(warnings), source)


def _source(text: str, filename: str):
    from .yamlsrc import decode

    return decode(text.encode("utf-8", "surrogatepass"), filename)


def compile_spec(text: str | bytes, filename: str = "<spec>", spec_label: str | None = None) -> str:
    """The generated PyTorch module for one spec (`spec_label` names it in the header)."""
    from .emit import render

    result = analyze(text, filename)
    return render(result.network, spec_label or filename)


def decompile(checkpoint: object, **options: object):
    """Read a ResNet checkpoint back into a spec (a `compiler.decompiler.Decompiled`).

    `checkpoint` is a path to a `.pt`/`.pth`/`.safetensors` file (read safely: pickles with
    `torch.load(weights_only=True)`, safetensors from the header alone), a state_dict, or a live
    `nn.Module`. The weights fix kernels, widths, groups, repeats, shortcuts, input channels and
    classes. Keyword options: `input` ("HxW"), `downsample_at` ("3x3"/"1x1"), `pool` (bool) and
    `stem_stride` override what the stem's convention assumes; `name` names the network;
    `classes` gives a headless backbone an fc; `filename` names the spec in diagnostics. The
    result's `.spec` is the YAML text, `.analysis` its analysis, `.summary()` what was recognised.
    Raises `CompileError` when the checkpoint is refused, `ValueError` for a bad option.
    """
    from .decompiler import decompile as run

    return run(checkpoint, **options)
