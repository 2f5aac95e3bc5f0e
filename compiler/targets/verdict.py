"""What the Keras and Flax targets' `verify` share: the outcome, the missing framework, running
generated source as a module, and the figures every verify compares.

Each builds the model its target wrote and checks, against the shape pass and the costs: the
output of conv1, of the pool, of every block and every stage (channels last), the logits, the
trainable parameters of each stage and of the whole network. A difference is an error
diagnostic at the spec text that produced the part.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import dataclass

from ..core import costs, ir
from ..front.diagnostics import Diagnostic, error
from ..front.source import Span


class FrameworkMissing(Exception):  # noqa: N818 (a verdict about the environment)
    """The target's framework cannot be imported, so nothing can be verified."""


@dataclass(frozen=True)
class Verified:
    """The outcome for one network: what was compared, and every difference found."""

    target: str
    outputs: int
    params: int
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the model agrees with the compiler in everything compared."""
        return not self.diagnostics


def load_module(name: str, source: str) -> types.ModuleType:
    """Execute generated source as a fresh module (no file, no import machinery)."""
    module = types.ModuleType(name)
    exec(compile(source, f"<resnetc {name}>", "exec"), module.__dict__)
    return module


def hwc(shape: ir.Shape | None) -> tuple[int, int, int]:
    """An output of the shape pass (which has set it) as a channels-last framework holds it."""
    shape = ir.annotated(shape)
    return (shape.h, shape.w, shape.c)


def expected_outputs(net: ir.Network) -> Iterator[tuple[str, tuple[int, ...], Span | None]]:
    """(part, expected output without the batch, span) for conv1, the pool, every block, every
    stage and the logits, in the order the network runs them."""
    yield "conv1", hwc(net.stem.conv.output), net.stem.conv.span
    if net.stem.pool is not None:
        yield "pool", hwc(net.stem.pool.output), net.stem.pool.span
    for stage in net.stages:
        for block in stage.blocks:
            for i in range(block.index, block.index + block.count):
                yield f"{stage.attr}.{i}", hwc(block.output), block.span
        yield stage.attr, hwc(stage.output), stage.cell_span
    yield "logits", (net.classes,), net.head.fc.span


def expected_params(net: ir.Network) -> Iterator[tuple[str, int, Span | None]]:
    """(stage attribute, trainable parameters, span) for every stage."""
    per_stage = costs.stages(net)
    for i, stage in enumerate(net.stages):
        yield stage.attr, per_stage[i + 1].params, stage.cell_span


def compare(
    target: str,
    net: ir.Network,
    outputs: dict[str, tuple[int, ...]],
    params: dict[str, int],
    total: int,
) -> Verified:
    """The verdict from what the model gave: each part's output (batch left out), each stage's
    trainable parameters, and the model's."""
    found: list[Diagnostic] = []
    checked = list(expected_outputs(net))
    for part, dims, span in checked:
        got = outputs.get(part)
        if got != dims:
            shown = "x".join(map(str, got)) if got is not None else "nothing"
            message = f"verify ({target}): {part} gives {shown}, the shape pass says"
            found.append(error(f"{message} {'x'.join(map(str, dims))}", span))
    for attr, count, span in expected_params(net):
        if params.get(attr) != count:
            message = f"verify ({target}): {attr} has {params.get(attr, 0):,} trainable parameters"
            found.append(error(f"{message}, costs say {count:,}", span))
    want = costs.totals(net)[0]
    if total != want:
        message = f"verify ({target}): the model has {total:,} trainable parameters"
        found.append(error(f"{message}, costs say {want:,}", net.span))
    return Verified(target, len(checked), want, tuple(found))


def failed(target: str, net: ir.Network, exc: Exception) -> Verified:
    """The verdict on a generated module that fails to build or run: that is the finding."""
    message = f"verify ({target}): the generated module fails to build or run:"
    found = error(f"{message} {type(exc).__name__}: {exc}", net.span)
    return Verified(target, 0, costs.totals(net)[0], (found,))
