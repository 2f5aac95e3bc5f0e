"""What the Keras and Flax targets' `verify` share: the outcome, the missing framework, running
generated source as a module, and the figures every verify compares.

Each builds the model its target wrote and checks, against the shape pass and the costs: the
output of conv1, of the pool, of every block and every stage (channels last), the logits, the
trainable parameters of each stage and of the whole network. A difference is an error
diagnostic at the spec text that produced the part.

Like torch's verify, each builds a run of identical blocks once: the module's constructor runs
with a `range` that yields only the first value of a loop of several (`sampled_loops`), so the
emitted `*(Bottleneck(256, 64) for _ in range(N))` builds one block, the first of the run, and
records N. The loops' lengths must be the runs' counts, and a stage must hold one block per run;
the first block's output stands for the run's, and its parameters count N times. So verify costs
what the table costs, not what the network does: resnet152 in Keras took 13.6 s and 828 MB
building all 50 blocks' weights, and a stage of a thousand blocks did not end in 8 GB.
"""

from __future__ import annotations

import builtins
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..core import costs, ir
from ..front import limits
from ..front.diagnostics import Diagnostic, error, fail
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


@contextmanager
def module_range(module: types.ModuleType, sampled_range: Any) -> Iterator[None]:
    """Within it, the name `range` in `module` is `sampled_range` (a sampled build's: each
    target's verify runs the module's own constructor with it); afterwards, what it was."""
    namespace = module.__dict__
    had, old = "range" in namespace, namespace.get("range")
    namespace["range"] = sampled_range
    try:
        yield
    finally:
        if had:
            namespace["range"] = old
        else:
            del namespace["range"]


@contextmanager
def sampled_loops(module: types.ModuleType) -> Iterator[list[int]]:
    """Within it, `module`'s `range` yields only the first value of a range of several and
    records its length in the list given (in the order the loops ran); a range of 0 or 1 values
    is passed through untouched. The emitter writes a loop only for a run of identical blocks."""
    lengths: list[int] = []

    def sampled_range(*args: int) -> Iterator[int]:
        values = builtins.range(*args)
        if len(values) > 1:
            lengths.append(len(values))
            return iter(values[:1])
        return iter(values)

    with module_range(module, sampled_range):
        yield lengths


def check_bounded(target: str, net: ir.Network) -> None:
    """Refuse (`CompileError`), before anything is built, a network whose distinct blocks have
    more layers than `limits.MAX_FRAMEWORK_VERIFY_LAYERS`, at the stage that takes it over."""
    total = 0
    for stage in net.stages:
        total += sum(block.layer_count for block in stage.blocks)  # one block a run
        if total > limits.MAX_FRAMEWORK_VERIFY_LAYERS:
            raise fail(
                f"verify --target {target} would build {total:,} layers by {stage.name}, more"
                f" than the limit of {limits.MAX_FRAMEWORK_VERIFY_LAYERS:,}"
                " (MAX_FRAMEWORK_VERIFY_LAYERS)",
                stage.cell_span,
                help="each run of identical blocks is built once, so the limit counts the layers"
                " of one block per run; verify with torch (`resnetc verify`), which has no such"
                " limit",
            )


def run_name(stage: ir.Stage, block: ir.Block) -> str:
    """A run's part name: `layer3.4` for one block, `layer3.[1-35]` for a run of several."""
    if block.count == 1:
        return f"{stage.attr}.{block.index}"
    return f"{stage.attr}.[{block.index}-{block.index + block.count - 1}]"


def loop_lengths(net: ir.Network) -> list[int]:
    """The lengths of the loops the emitted constructor runs: one per run of several blocks."""
    return [b.count for stage in net.stages for b in stage.blocks if b.count > 1]


def expected_outputs(net: ir.Network) -> Iterator[tuple[str, tuple[int, ...], Span | None, int]]:
    """(part, expected output without the batch, span, how many outputs it stands for) for conv1,
    the pool, every run of blocks, every stage and the logits, in the order the network runs
    them."""
    yield "conv1", hwc(net.stem.conv.output), net.stem.conv.span, 1
    if net.stem.pool is not None:
        yield "pool", hwc(net.stem.pool.output), net.stem.pool.span, 1
    for stage in net.stages:
        for block in stage.blocks:
            yield run_name(stage, block), hwc(block.output), block.span, block.count
        yield stage.attr, hwc(stage.output), stage.cell_span, 1
    yield "logits", (net.classes,), net.head.fc.span, 1


def expected_params(net: ir.Network) -> Iterator[tuple[str, int, Span | None]]:
    """(stage attribute, trainable parameters, span) for every stage."""
    per_stage = costs.stages(net)
    for i, stage in enumerate(net.stages):
        yield stage.attr, per_stage[i + 1].params, stage.cell_span


def structure(target: str, net: ir.Network, lengths: list[int]) -> list[Diagnostic]:
    """What makes a sampled build stand for the network: its loops are the table's runs."""
    want = loop_lengths(net)
    if lengths == want:
        return []
    shown = ", ".join(map(str, lengths)) or "none"
    message = f"verify ({target}): the module's block loops have {shown} blocks, the table's runs"
    return [error(f"{message} {', '.join(map(str, want)) or 'none'}", net.span)]


def stage_runs(
    target: str, stage: ir.Stage, children: list[Any]
) -> tuple[list[tuple[ir.Block, Any]], list[Diagnostic]]:
    """Each run of `stage` with the block the sampled model built for it, or a diagnostic if the
    stage holds another number of blocks than the table has runs."""
    if len(children) == len(stage.blocks):
        return list(zip(stage.blocks, children, strict=True)), []
    message = f"verify ({target}): {stage.attr} builds {len(children)} distinct blocks"
    return [], [error(f"{message}, the table has {len(stage.blocks)} runs", stage.cell_span)]


def compare(
    target: str,
    net: ir.Network,
    outputs: dict[str, tuple[int, ...]],
    params: dict[str, int],
    total: int,
    found: list[Diagnostic] | None = None,
) -> Verified:
    """The verdict from what the model gave: each part's output (batch left out), each stage's
    trainable parameters, and the model's, after the differences already `found`."""
    found = list(found or ())
    checked = list(expected_outputs(net))
    for part, dims, span, _ in checked:
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
    return Verified(target, sum(n for *_, n in checked), want, tuple(found))


def failed(target: str, net: ir.Network, exc: Exception) -> Verified:
    """The verdict on a generated module that fails to build or run: that is the finding."""
    message = f"verify ({target}): the generated module fails to build or run:"
    found = error(f"{message} {type(exc).__name__}: {exc}", net.span)
    return Verified(target, 0, costs.totals(net)[0], (found,))
