"""A zoo model through decompile and compile and back: the helpers the zoo tests share."""

from __future__ import annotations

import torch

from resnetc import decompile
from resnetc.pipeline import analyze
from resnetc.targets.torch.emit import render
from resnetc.targets.torch.verify import load_module
from tests.test_zoo_timm import max_difference, randomized


def compiled(spec: str, label: str = "decompiled.yaml"):
    """The module class a spec's text compiles to."""
    analysis = analyze(spec.encode(), label)
    net = analysis.network
    return getattr(load_module(net.name, render(net, label)), net.name)


def round_trip(model, source=None, size: int = 64, **options) -> tuple[float, str]:
    """Decompile `source` (default: the live `model`), compile the spec, load `model`'s weights
    strictly (renamed where its names differ) and return the largest output difference and the
    spec."""
    model = randomized(model)
    result = decompile(model if source is None else source, **options)
    mine = compiled(result.spec)().eval().to(next(model.parameters()).dtype)
    state = model.state_dict()
    if result.renamed is not None and result.renamed.renamed:
        from resnetc.checkpoint.weights import renamed_state_dict

        state = renamed_state_dict(state, result.renamed)
    if result.found.classes is None:  # a backbone (HF's ResNetModel): compare its features
        missing = mine.load_state_dict(state, strict=False).missing_keys
        assert sorted(missing) == ["fc.bias", "fc.weight"], missing
        mine.fc = torch.nn.Identity()
    else:
        mine.load_state_dict(state, strict=True)
    return max_difference(model, mine, size), result.spec


__all__ = ["compiled", "round_trip", "torch"]
