"""Run PyTorch's model and a Keras or Flax target's on the same weights; print how far apart.

    python -m tests.frameworks_check keras SPEC...    # Keras on $KERAS_BACKEND (which must be set)
    python -m tests.frameworks_check flax SPEC...
    python -m tests.frameworks_check keras,flax SPEC...

For each spec: the PyTorch module resnetc writes is built with random weights (seeded) and
randomised BatchNorm statistics and affine parameters, so that eval mode exercises the running
statistics; its state_dict goes through the target module's `load_torch_state_dict`; both run in
eval mode on the same random batch of two images of the spec's input size (NCHW for torch, the
same array transposed to NHWC for the target). One JSON object per spec is printed: the largest
absolute difference of the logits, the largest absolute logit, both models' trainable parameter
counts, and the seconds each step took. Run in a process of its own: Keras chooses its backend
when it is first imported.
"""

from __future__ import annotations

import json
import sys
import time
import types
from pathlib import Path


def _module(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"<resnetc {name}>", "exec"), module.__dict__)
    return module


def torch_model(torch, net, source: str):
    """The PyTorch model with seeded random weights and BatchNorm statistics, in eval mode."""
    torch.manual_seed(0)
    model = getattr(_module(net.name, source), net.name)().eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return model


def _keras(module, net, state_dict, batch):
    import keras
    import numpy as np

    model = getattr(module, net.name)()
    module.load_torch_state_dict(model, state_dict)
    out = model.predict(batch, verbose=0)  # eval mode, compiled where the backend compiles
    params = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    return out, params, f"keras-{keras.backend.backend()}"


def _flax(module, net, state_dict, batch):
    import jax
    import numpy as np
    from flax import nnx

    model = nnx.eval_shape(lambda: getattr(module, net.name)())  # no random draws
    module.load_torch_state_dict(model, state_dict)
    model.eval()
    out = np.asarray(nnx.jit(lambda m, x: m(x))(model, batch))
    params = sum(leaf.size for leaf in jax.tree.leaves(nnx.state(model, nnx.Param)))
    return out, params, "flax"


def measure(target: str, spec: Path) -> dict:
    """The figures for one spec and target."""
    import numpy as np
    import torch

    from resnetc.pipeline import analyze, render

    analysis = analyze(spec.read_bytes(), str(spec))
    net = analysis.network
    started = time.perf_counter()
    model = torch_model(torch, net, render(analysis, str(spec)).text)
    x = torch.randn(
        2, net.input.c, net.input.h, net.input.w, generator=torch.Generator().manual_seed(1)
    )
    with torch.no_grad():
        expected = model(x).numpy()
    torch_s = time.perf_counter() - started
    module = _module(f"{net.name}_{target}", render(analysis, str(spec), target).text)
    run = _keras if target == "keras" else _flax
    started = time.perf_counter()
    got, params, name = run(module, net, model.state_dict(), np.transpose(x.numpy(), (0, 2, 3, 1)))
    return {
        "spec": spec.stem,
        "target": name,
        "input": f"{net.input.h}x{net.input.w}",
        "max_abs_diff": float(np.abs(got - expected).max()),
        "max_abs_logit": float(np.abs(expected).max()),
        "params": params,
        "torch_params": sum(p.numel() for p in model.parameters()),
        "torch_s": round(torch_s, 2),
        "target_s": round(time.perf_counter() - started, 2),
    }


def main(argv: list[str]) -> int:
    """Measure every spec of `argv[1:]` for each target of `argv[0]` (`keras,flax`)."""
    targets, specs = argv[0].split(","), argv[1:]
    for spec in specs:
        for target in targets:
            print(json.dumps(measure(target, Path(spec))), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
