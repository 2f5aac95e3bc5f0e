"""The compiler checking itself against torch: build the emitted module, run it, compare.

`verify(net)` renders the network's module, executes it as a fresh module (no file), builds the
model on torch's meta device (no memory, no weights) and runs one forward pass on a meta input of
the spec's size, with a forward hook on every submodule and torch's `FlopCounterMode` counting.
Then, layer by layer under the state_dict's dotted names, it compares what torch did with what the
compiler says (`costs.layers()`, read off the shape pass):

- the same layers: every conv, bn, pool and fc the IR knows is in the model, and the model has no
  layer (no conv, norm, pool or linear module, nor any module holding parameters) the IR does not
  know;
- each layer's operation (kernel, stride, groups), parameters, output shape and multiply-adds;
- every block's and every stage's output shape;
- the total parameters and multiply-adds.

Every difference is an error diagnostic at the span of the spec text that produced the layer.
torch is imported here only, lazily: compiling never needs it.
"""

from __future__ import annotations

import types
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ...core import costs, ir
from ...front.diagnostics import Diagnostic, error
from ...front.source import Span

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


@dataclass
class _Run:
    """What one forward pass did: each submodule's outputs (in call order) and MACs."""

    modules: dict[str, Any]
    outputs: dict[str, list[tuple[int, ...]]] = field(default_factory=lambda: defaultdict(list))
    macs: dict[str, int] = field(default_factory=dict)
    total_macs: int = 0


def verify(net: ir.Network, source: str | None = None) -> Verified:
    """Compare the model that `source` (default: the module `net` compiles to) builds with `net`."""
    torch = import_torch()
    if source is None:
        from .emit import render

        source = render(net, f"{net.name}.yaml")
    expected = list(costs.layers(net))
    outputs = list(_block_outputs(net))
    params, macs = costs.totals(net)
    try:
        run = _run(torch, net, source)
    except Exception as exc:  # the generated module itself failed: that is the finding
        found = error(
            f"verify: the generated module fails to build or run: {type(exc).__name__}: {exc}",
            net.span,
        )
        return Verified(len(expected), len(outputs), params, macs, (found,))
    found = [*_compare_layers(net, expected, run), *_compare_outputs(outputs, run)]
    found += _compare_totals(net, params, macs, run)
    return Verified(len(expected), len(outputs), params, macs, tuple(_capped(found)))


def _run(torch: Any, net: ir.Network, source: str) -> _Run:
    from torch.utils.flop_counter import FlopCounterMode

    module = load_module(net.name, source)
    with torch.device("meta"):
        model = getattr(module, net.name)().eval()
    run = _Run(modules=dict(model.named_modules()))
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


def _recorder(run: _Run, name: str):
    def hook(module: Any, inputs: Any, output: Any) -> None:
        """Record the output's shape, batch left out."""
        shape = getattr(output, "shape", None)
        run.outputs[name].append(tuple(shape[1:]) if shape is not None else ())

    return hook


def _block_outputs(net: ir.Network):
    """(dotted name, expected output, span) for every block and every stage."""
    for stage in net.stages:
        for block in stage.blocks:
            for i in range(block.index, block.index + block.count):
                yield f"{stage.attr}.{i}", tuple(block.output), block.span
        yield stage.attr, tuple(stage.output), stage.cell_span


def describe(module: Any) -> str | None:
    """A torch module in `costs.layer_op`'s words (`conv 3x3/2 C=32`), or None if not a layer."""
    from torch import nn

    if isinstance(module, nn.Conv2d):
        k, s = module.kernel_size, module.stride
        op = f"conv {k[0]}x{k[1]}" + (f"/{s[0]}" if s != (1, 1) else "")
        return op + (f" C={module.groups}" if module.groups != 1 else "")
    if isinstance(module, nn.modules.batchnorm._BatchNorm):
        return "bn"
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        return "avgpool" if isinstance(module, nn.AdaptiveAvgPool2d) else "adaptive maxpool"
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kind = "max" if isinstance(module, nn.MaxPool2d) else "avg"
        return f"{kind}pool {_pair(module.kernel_size)}/{_single(module.stride)}"
    if isinstance(module, nn.Linear):
        return "fc"
    if any(True for _ in module.parameters(recurse=False)):
        return type(module).__name__
    return None


def _pair(value: Any) -> str:
    a, b = (value, value) if isinstance(value, int) else tuple(value)
    return f"{a}x{b}"


def _single(value: Any) -> str:
    return str(value if isinstance(value, int) else value[0])


def _shape(dims: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in dims) or "no tensor"


def _compare_layers(net: ir.Network, expected: list[costs.LayerCost], run: _Run) -> list:
    by_name: dict[str, list[costs.LayerCost]] = defaultdict(list)
    for layer in expected:
        by_name[layer.name].append(layer)
    found = []
    for name, entries in by_name.items():
        module = run.modules.get(name)
        found += _compare_layer(name, entries, module, run)
    for name, module in run.modules.items():
        op = describe(module) if name else None
        if op is not None and name not in by_name:
            found.append(
                error(
                    f"verify: the model has a layer {name} ({op}) that the IR does not know",
                    _owner_span(net, name),
                )
            )
    return found


def _compare_layer(
    name: str, entries: list[costs.LayerCost], module: Any, run: _Run
) -> list[Diagnostic]:
    """One layer: its operation and parameters, then what each run of it gave."""
    first, op = entries[0], describe(module) if module is not None else None
    if op is None:
        what = "no such module" if module is None else f"a {type(module).__name__} there"
        message = f"verify: the IR has a layer {name} ({first.op}); the model has {what}"
        return [error(message, first.span)]
    found = []
    if op != first.op:
        message = f"verify: {name} is {op} in the model, the IR says {first.op}"
        found.append(error(message, first.span))
    own = sum(p.numel() for p in module.parameters(recurse=False))
    if own != first.params:
        message = f"verify: {name} has {own:,} parameters, costs say {first.params:,}"
        found.append(error(message, first.span))
    return found + _compare_runs(name, entries, run, same_op=op == first.op)


def _compare_runs(
    name: str, entries: list[costs.LayerCost], run: _Run, same_op: bool
) -> list[Diagnostic]:
    """Each call's output shape against the shape pass; then the layer's MACs against torch's."""
    found = []
    calls = run.outputs.get(name, [])
    if len(calls) != len(entries):
        message = (
            f"verify: the model runs {name} {_times(len(calls))} in its forward,"
            f" the IR has it {_times(len(entries))}"
        )
        found.append(error(message, entries[0].span))
    for got, layer in zip(calls, entries, strict=False):
        if got != layer.dims:
            message = (
                f"verify: {name} gives {_shape(got)}, the shape pass says {_shape(layer.dims)}"
            )
            found.append(error(message, layer.span))
    macs = sum(layer.macs for layer in entries)
    torch_macs = run.macs.get(name, 0)
    if not found and same_op and torch_macs != macs:  # else the difference above explains it
        message = f"verify: {name} costs {torch_macs:,} multiply-adds in torch, costs say {macs:,}"
        found.append(error(message, entries[0].span))
    return found


def _times(n: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")


def _compare_outputs(outputs: list, run: _Run) -> list[Diagnostic]:
    found = []
    for name, dims, span in outputs:
        calls = run.outputs.get(name)
        if name not in run.modules or not calls:
            found.append(error(f"verify: the model has no {name} that runs", span))
        elif calls[0] != dims:
            found.append(
                error(
                    f"verify: {name} gives {_shape(calls[0])}, the shape pass says {_shape(dims)}",
                    span,
                )
            )
    return found


def _compare_totals(net: ir.Network, params: int, macs: int, run: _Run) -> list[Diagnostic]:
    model = run.modules[""]
    torch_params = sum(p.numel() for p in model.parameters())
    found = []
    if torch_params != params:
        found.append(
            error(
                f"verify: the model has {torch_params:,} parameters, costs say {params:,}",
                net.span,
            )
        )
    if run.total_macs != macs:
        found.append(
            error(
                f"verify: the model costs {run.total_macs:,} multiply-adds, costs say {macs:,}",
                net.span,
            )
        )
    return found


def _owner_span(net: ir.Network, name: str) -> Span | None:
    """The spec text a module named `name` belongs to: its stage's cell, else the network name."""
    head = name.split(".", 1)[0]
    for stage in net.stages:
        if stage.attr == head:
            return stage.cell_span
    return net.span


def _capped(found: list[Diagnostic]) -> list[Diagnostic]:
    if len(found) <= MAX_SHOWN:
        return found
    rest = len(found) - MAX_SHOWN
    more = error(
        f"verify: {rest} more difference{'s' if rest != 1 else ''} not shown"
        " (the first one usually explains the rest)",
        None,
    )
    return [*found[:MAX_SHOWN], more]
