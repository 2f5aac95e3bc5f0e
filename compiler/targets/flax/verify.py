"""The compiler checking its Flax module against Flax: build it abstractly, trace it, compare.

`verify(net)` renders the network's Flax module, executes it as a fresh module (no file), builds
the model abstractly (`nnx.eval_shape`: shapes only, no memory, no random draws) with each run
of identical blocks built once (`verdict.sampled_loops`), and in eval mode traces conv1, the
pool (a function call in `__call__`, traced with the module's arguments), the block of every run
and every stage in turn with `jax.eval_shape`, recording each output's shape, then the whole
model; it counts the parameters (`nnx.Param`) of every stage and of the model, a run's block as
many times as the run has blocks. `targets.verdict.compare` checks all of it against the shape
pass and the costs. jax and Flax are imported here only, lazily.
"""

from __future__ import annotations

import math
from typing import Any

from ...core import ir
from ..verdict import (
    FrameworkMissing,
    Verified,
    compare,
    failed,
    load_module,
    run_name,
    sampled_loops,
    stage_runs,
    structure,
)


def import_framework() -> tuple[Any, Any, Any]:
    """(jax, jax.numpy, flax.nnx), or `FrameworkMissing` saying why they cannot be had."""
    try:
        import jax
        import jax.numpy as jnp
        from flax import nnx
    except ImportError as exc:
        raise FrameworkMissing(
            f"verify --target flax needs jax and Flax, which cannot be imported here ({exc});"
            " pip install -e '.[flax]' (compiling does not need them)"
        ) from None
    return jax, jnp, nnx


def verify(net: ir.Network, source: str | None = None) -> Verified:
    """Compare the model that `source` (default: the Flax module of `net`) builds with `net`."""
    frameworks = import_framework()
    if source is None:
        from .emit import render_module

        source = render_module(net, f"{net.name}.yaml").text
    try:
        outputs, params, total, found = _run(frameworks, net, source)
    except Exception as exc:  # the generated module itself failed: that is the finding
        return failed("flax", net, exc)
    return compare("flax", net, outputs, params, total, found)


def _run(frameworks: tuple[Any, Any, Any], net: ir.Network, source: str):
    jax, jnp, nnx = frameworks
    module = load_module(f"{net.name}_flax", source)
    with sampled_loops(module) as lengths:
        model = nnx.eval_shape(lambda: getattr(module, net.name)(rngs=nnx.Rngs(0)))
    model.eval()
    found = structure("flax", net, lengths)
    outputs: dict[str, tuple[int, ...]] = {}

    def apply(fn: Any, part: Any, x: Any) -> Any:
        graph, state = nnx.split(part)
        return jax.eval_shape(lambda s, v: fn(nnx.merge(graph, s), v), state, x)

    def step(name: str, part: Any, x: Any) -> Any:
        y = apply(lambda m, v: m(v), part, x)
        outputs[name] = tuple(y.shape[1:])
        return y

    def spec(shape: ir.Shape) -> Any:
        return jax.ShapeDtypeStruct((1, shape.h, shape.w, shape.c), jnp.float32)

    step("conv1", model.conv1, spec(net.input))
    pool = net.stem.pool
    if pool is not None:
        outputs["pool"] = _pool(jax, jnp, module, net, pool)
    params = {}
    copies = 0  # the parameters of the blocks the sampled model stands for but did not build
    for stage in net.stages:
        layer = getattr(model, stage.attr)
        first = ir.annotated(stage.blocks[0].input)
        x = spec(first)
        runs, wrong = stage_runs("flax", stage, list(layer.layers))
        found += wrong
        params[stage.attr] = 0
        for run, block in runs:
            x = step(run_name(stage, run), block, x)
            weights = _count(nnx, block)
            params[stage.attr] += weights * run.count
            copies += weights * (run.count - 1)
        step(stage.attr, layer, spec(first))
    step("logits", model, spec(net.input))
    return outputs, params, _count(nnx, model) + copies, found


def _pool(jax: Any, jnp: Any, module: Any, net: ir.Network, pool: ir.Pool) -> tuple[int, ...]:
    """The pool's output: the module calls its own `max_pool` or `avg_pool` in `__call__` (it is
    no module), so that function is traced as the module calls it, on conv1's output; the
    logits check the whole chain."""
    fn = module.max_pool if pool.kind == "max" else module.avg_pool
    k, s, p = pool.kernel, pool.stride, pool.padding
    conv = ir.annotated(net.stem.conv.output)
    x = jax.ShapeDtypeStruct((1, conv.h, conv.w, conv.c), jnp.float32)
    y = jax.eval_shape(lambda v: fn(v, k, stride=s, padding=p), x)
    return tuple(y.shape[1:])


def _count(nnx: Any, part: Any) -> int:
    import jax

    return sum(math.prod(leaf.shape) for leaf in jax.tree.leaves(nnx.state(part, nnx.Param)))
