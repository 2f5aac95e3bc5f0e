"""The compiler checking itself against torch: build the emitted module, run it, compare.

`verify(net)` renders the network's module, executes it as a fresh module (no file), builds the
model on torch's meta device (no memory, no weights) with each loop of identical blocks run once
(`sampled.build`), and runs one forward pass on a meta input of the spec's size, with a forward
hook on every submodule and torch's `FlopCounterMode` counting. Then, layer by layer under the
state_dict's dotted names, it compares what torch did with what the compiler says (the costs of
each layer, read off the shape pass; `compare.py`):

- the same layers: every conv, bn, pool and fc the IR knows is in the model, and the model has no
  layer (no conv, norm, pool or linear module, nor any module holding parameters) the IR does not
  know;
- each layer's operation (kernel, stride, groups), parameters, output shape and multiply-adds;
- every block's and every stage's output shape;
- the total parameters and multiply-adds.

A block the model builds in a loop of N stands for N blocks: each difference found in it is a
difference in each of them, named one by one (`layer3.7.conv2`); the block must give the shape it
is given, so that every copy sees what the first saw; and its parameters and MACs count N times
in the totals. So verify costs what the table costs: a stage of a million blocks is checked in
the time of one. Every difference is an error diagnostic at the span of the spec text that
produced the layer. torch is imported here only, lazily: compiling never needs it.
"""

from __future__ import annotations

import types
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ...core import costs, ir
from ...front.diagnostics import Diagnostic, error
from . import compare, sampled

MAX_SHOWN = 12
"""At most this many differences are reported one by one; the rest are counted in one line."""


class TorchMissing(Exception):  # noqa: N818 (a verdict about the environment)
    """torch cannot be imported, so nothing can be verified."""


@dataclass(frozen=True)
class Verified:
    """The outcome for one network: what was compared, and every difference found."""

    layers: int
    outputs: int
    params: int
    macs: int
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the model agrees with the compiler in everything compared."""
        return not self.diagnostics


def import_torch() -> Any:
    """The torch module, or `TorchMissing` saying why it cannot be had."""
    try:
        import torch
        import torch.utils.flop_counter
    except ImportError as exc:
        raise TorchMissing(
            f"verify needs PyTorch, which cannot be imported here ({exc}); install torch"
            " (compiling, check and summary do not need it)"
        ) from None
    return torch


def load_module(name: str, source: str) -> types.ModuleType:
    """Execute generated source as a fresh module (no file, no import machinery)."""
    module = types.ModuleType(name)
    exec(compile(source, f"<resnetc {name}>", "exec"), module.__dict__)
    return module


def verify(net: ir.Network, source: str | None = None) -> Verified:
    """Compare the model that `source` (default: the module `net` compiles to) builds with `net`."""
    torch = import_torch()
    if source is None:
        from .emit import render

        source = render(net, f"{net.name}.yaml")
    layers, outputs = compare.counts(net)
    params, macs = costs.totals(net)
    try:
        run = _run(torch, net, source)
    except Exception as exc:  # the generated module itself failed: that is the finding
        failure = error(
            f"verify: the generated module fails to build or run: {type(exc).__name__}: {exc}",
            net.span,
        )
        return Verified(layers, outputs, params, macs, (failure,))
    found: list[compare.Bundle | Diagnostic] = [
        *compare.differences(net, run),
        *_compare_totals(net, params, macs, run),
    ]
    return Verified(layers, outputs, params, macs, tuple(_capped(found)))


@dataclass
class Run:
    """What one forward pass of the sampled model did: each submodule's input and output shapes
    (in call order) and MACs, and which blocks each child of a stage stands for."""

    modules: dict[str, Any]
    groups: dict[str, list[sampled.Group]]
    inputs: dict[str, list[tuple[int, ...]]] = field(default_factory=lambda: defaultdict(list))
    outputs: dict[str, list[tuple[int, ...]]] = field(default_factory=lambda: defaultdict(list))
    macs: dict[str, int] = field(default_factory=dict)
    total_macs: int = 0


def _run(torch: Any, net: ir.Network, source: str) -> Run:
    from torch.utils.flop_counter import FlopCounterMode

    module = load_module(net.name, source)
    model, groups = sampled.build(torch, module, net.name, [s.attr for s in net.stages])
    run = Run(modules=dict(model.named_modules()), groups=groups)
    for name, sub in run.modules.items():
        if name:
            sub.register_forward_hook(_recorder(run, name))
    x = torch.empty(1, *net.input, device="meta")
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(x)
    root = type(model).__name__
    for key, per_op in counter.get_flop_counts().items():
        if key.startswith(root + "."):
            run.macs[key[len(root) + 1 :]] = sum(per_op.values()) // 2
    run.total_macs = counter.get_total_flops() // 2
    return run


def _recorder(run: Run, name: str):
    def hook(module: Any, inputs: Any, output: Any) -> None:
        """Record the input's and the output's shape, batch left out."""
        run.outputs[name].append(_dims(output))
        run.inputs[name].append(_dims(inputs[0]) if inputs else ())

    return hook


def _dims(value: Any) -> tuple[int, ...]:
    shape = getattr(value, "shape", None)
    return tuple(shape[1:]) if shape is not None else ()


def _copies(run: Run) -> list[tuple[str, int]]:
    """(model name, copies left out) of every child that stands for more than one block."""
    return [(f"{attr}.{g.key}", g.count - 1) for attr, gs in run.groups.items() for g in gs]


def _compare_totals(net: ir.Network, params: int, macs: int, run: Run) -> list[Diagnostic]:
    """The whole model's parameters and MACs, each block built once counted as many times as
    the blocks it stands for."""
    model = run.modules[""]
    torch_params = sum(p.numel() for p in model.parameters())
    torch_macs = run.total_macs
    for name, more in _copies(run):
        if more:
            torch_params += more * sum(p.numel() for p in run.modules[name].parameters())
            torch_macs += more * run.macs.get(name, 0)
    found = []
    if torch_params != params:
        found.append(
            error(
                f"verify: the model has {torch_params:,} parameters, costs say {params:,}",
                net.span,
            )
        )
    if torch_macs != macs:
        found.append(
            error(
                f"verify: the model costs {torch_macs:,} multiply-adds, costs say {macs:,}",
                net.span,
            )
        )
    return found


def _capped(found: list[compare.Bundle | Diagnostic]) -> list[Diagnostic]:
    """The first `MAX_SHOWN` differences one by one (a bundle block by block), then a count."""
    shown: list[Diagnostic] = []
    total = 0
    for item in found:
        bundle = item if isinstance(item, compare.Bundle) else compare.Bundle.one(item)
        total += bundle.size
        if len(shown) < MAX_SHOWN:
            shown += bundle.diagnostics(MAX_SHOWN - len(shown))
    rest = total - len(shown)
    if rest <= 0:
        return shown
    more = error(
        f"verify: {rest:,} more difference{'s' if rest != 1 else ''} not shown"
        " (the first one usually explains the rest)",
        None,
    )
    return [*shown, more]
