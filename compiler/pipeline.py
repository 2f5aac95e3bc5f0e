"""The one chain every command runs: text -> spec -> IR -> shape-annotated IR -> source.

`analyze` reads a spec (front), lowers it and runs the shape pass (core); `compile_spec` then
renders it with a target. Commands and the teaching, table and checkpoint wings call these and
never chain the stages themselves.

The stages are imported when first used: a command that answers from the compile cache never
loads PyYAML, pydantic or jinja2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .front.diagnostics import CompileError, Diagnostic
from .front.source import Source

if TYPE_CHECKING:
    from .core import ir
    from .front.yamlsrc import Node
    from .targets.target import Rendered, Target


@dataclass(frozen=True)
class Analysis:
    """A checked spec: the shape-annotated IR, its warnings, and the source it came from."""

    network: ir.Network
    warnings: tuple[Diagnostic, ...]
    source: Source


def analyze(text: str | bytes, filename: str = "<spec>") -> Analysis:
    """Parse, lower and shape-check one spec; raise `CompileError` if it cannot be built."""
    from .front.yamlsrc import decode, load

    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    source = decode(data, filename)
    try:
        return analyze_tree(load(source), source)
    except CompileError as exc:
        raise exc.with_source(source) from None


def analyze_tree(tree: Node, source: Source) -> Analysis:
    """Validate, lower and shape-check a YAML node tree (a spec file's, or one built from a
    pasted table's cells); raise `CompileError` with every diagnostic found."""
    from .core.lower import lower
    from .core.shapes import annotate
    from .front.spec import read_spec

    network, warnings = annotate(lower(read_spec(tree, source)))
    return Analysis(network, tuple(warnings), source)


TARGET_NAMES = ("torch", "keras", "flax")
"""The targets `compile` can write, the default first."""

FILE_SUFFIXES = {"torch": "", "keras": "_keras", "flax": "_flax"}
"""Each target's `suffix` (`<name><suffix>.py`), known without importing the target: a compile
answered from the cache imports none (tests/test_frameworks.py checks they agree)."""


def target(name: str = "torch") -> Target:
    """The target called `name` (one of `TARGET_NAMES`); importing it imports no framework."""
    TARGET: Target  # noqa: N806 (the name every target module gives its target)
    if name == "torch":
        from .targets.torch import TARGET
    elif name == "keras":
        from .targets.keras import TARGET
    elif name == "flax":
        from .targets.flax import TARGET
    else:
        raise ValueError(f"unknown target {name!r}; expected one of {', '.join(TARGET_NAMES)}")
    return TARGET


def render(analysis: Analysis, spec_label: str, target_name: str = "torch") -> Rendered:
    """The analysed network's module for a target, with its source map; `CompileError` (located,
    with the spec's source) if the network holds a construct that target cannot write."""
    chosen = target(target_name)
    found = chosen.refusals(analysis.network)
    if found:
        raise CompileError(found, analysis.source)
    return chosen.render(analysis.network, spec_label)


def compile_spec(text: str | bytes, filename: str = "<spec>", spec_label: str | None = None) -> str:
    """The generated PyTorch module for one spec (`spec_label` names it in the header)."""
    return render(analyze(text, filename), spec_label or filename).text
