"""The compiler checking its Keras module against Keras: build it, run it symbolically, compare.

`verify(net)` renders the network's Keras module, executes it as a fresh module (no file),
builds the model for the spec's input (`resnet50(input_shape=...)`) with each run of identical
blocks built once (`verdict.sampled_loops`), and passes a symbolic input (`keras.KerasTensor`,
no data) through conv1, the pool, the block of every run and every stage in turn, recording each
output's shape, then through the whole model; it counts the trainable weights of every stage and
of the model, a run's block as many times as the run has blocks. All of it runs in a Keras
stateless scope that does not initialize variables: they keep their shapes and draw no values
(drawing them cost jax a compile per weight shape, 5 s for ResNet-18). `targets.verdict.compare`
checks all of it against the shape pass and the costs. Keras is imported here only, lazily, on
whatever backend `KERAS_BACKEND` (or Keras' own configuration) names; where that backend is not
installed and KERAS_BACKEND is not set, jax then torch is chosen, whichever is installed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
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

_BACKENDS = ("jax", "torch")


def import_framework() -> Any:
    """The keras module, or `FrameworkMissing` saying why it cannot be had."""
    configured = _configured()
    if "KERAS_BACKEND" not in os.environ and importlib.util.find_spec(configured) is None:
        found = [b for b in _BACKENDS if importlib.util.find_spec(b) is not None]
        if found:
            os.environ["KERAS_BACKEND"] = found[0]
    try:
        import keras
    except ImportError as exc:
        raise FrameworkMissing(
            f"verify --target keras needs Keras 3 and a backend (jax, torch or tensorflow),"
            f" which cannot be imported here ({exc}); pip install -e '.[keras]'"
            " (compiling does not need them)"
        ) from None
    if not hasattr(keras, "ops"):
        raise FrameworkMissing(f"verify --target keras needs Keras 3; this is {keras.__version__}")
    return keras


def _configured() -> str:
    """The backend Keras' own configuration file names (Keras writes one naming tensorflow on
    its first import), or tensorflow, Keras' default."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as f:
            backend = json.load(f).get("backend", "tensorflow")
    except (OSError, ValueError, AttributeError):
        return "tensorflow"
    return backend if isinstance(backend, str) and backend.isidentifier() else "tensorflow"


def verify(net: ir.Network, source: str | None = None) -> Verified:
    """Compare the model that `source` (default: the Keras module of `net`) builds with `net`."""
    keras = import_framework()
    if source is None:
        from .emit import render_module

        source = render_module(net, f"{net.name}.yaml").text
    try:
        # shapes only: in a stateless scope that does not initialize them, the variables keep
        # their shapes and draw no initial values (which took jax a compile per weight shape)
        with keras.StatelessScope(initialize_variables=False):
            outputs, params, total, found = _run(keras, net, source)
    except Exception as exc:  # the generated module itself failed: that is the finding
        return failed("keras", net, exc)
    return compare("keras", net, outputs, params, total, found)


def _run(keras: Any, net: ir.Network, source: str):
    module = load_module(f"{net.name}_keras", source)
    shape = (net.input.h, net.input.w, net.input.c)
    with sampled_loops(module) as lengths:
        model = getattr(module, net.name)(input_shape=shape)
    found = structure("keras", net, lengths)
    outputs: dict[str, tuple[int, ...]] = {}

    def step(name: str, layer: Any, x: Any) -> Any:
        y = layer(x)
        outputs[name] = tuple(y.shape[1:])
        return y

    x = keras.KerasTensor((1, *shape))
    x = step("conv1", model.conv1, x)
    if net.stem.norm is not None:
        x = model.relu(getattr(model, net.stem.norm.name)(x))
    pool = net.stem.pool
    if pool is not None:
        x = step("pool", getattr(model, pool.name), _pool_input(keras, net, pool, x))
    params = {}
    copies = 0  # the parameters of the blocks the sampled model stands for but did not build
    for stage in net.stages:
        layer = getattr(model, stage.attr)
        runs, wrong = stage_runs("keras", stage, list(layer.layers))
        found += wrong
        params[stage.attr] = 0
        for run, block in runs:
            x = step(run_name(stage, run), block, x)
            weights = _count(block.trainable_weights)
            params[stage.attr] += weights * run.count
            copies += weights * (run.count - 1)
        outputs[stage.attr] = tuple(layer(keras.KerasTensor((1, *_input(net, stage)))).shape[1:])
    outputs["logits"] = tuple(model(keras.KerasTensor((1, *shape))).shape[1:])
    return outputs, params, _count(model.trainable_weights) + copies, found


def _pool_input(keras: Any, net: ir.Network, pool: ir.Pool, x: Any) -> Any:
    """What the model's `call` feeds its pool: x, padded with -inf where no ReLU precedes it."""
    if pool.kind == "max" and pool.padding and net.stem.norm is None:
        p = pool.padding
        return keras.ops.pad(x, ((0, 0), (p, p), (p, p), (0, 0)), constant_values=float("-inf"))
    return x


def _input(net: ir.Network, stage: ir.Stage) -> tuple[int, int, int]:
    first = ir.annotated(stage.blocks[0].input)
    return (first.h, first.w, first.c)


def _count(weights: list) -> int:
    return sum(math.prod(w.shape) for w in weights)
