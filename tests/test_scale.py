"""Cost grows with the table, not with the network: ResNet-1202 and a 10,000-block table compile,
check and summarize in well under a second, emit as few lines as ResNet-18, and their numbers are
exact (ResNet-1202's parameters, multiply-adds and stage shapes against torch on the meta device).
"""

from __future__ import annotations

import time
import types
from pathlib import Path

import pytest
import torch
from torch import nn

from resnetc.core import costs
from resnetc.pipeline import analyze, compile_spec
from resnetc.targets.torch.emit import render
from resnetc.teach.stage_table import stage_table
from tests.conftest import ROOT, SPEC_DIR

SCALE = ROOT / "benchmarks" / "specs"
RESNET1202 = SCALE / "resnet1202.yaml"
DEEP10K = SCALE / "deep10k.yaml"


def _pipeline(path: Path) -> tuple[object, str, list[str]]:
    analysis = analyze(path.read_bytes(), str(path))
    return analysis.network, render(analysis.network, path.name), stage_table(analysis.network)


@pytest.mark.parametrize("path", [RESNET1202, DEEP10K], ids=lambda p: p.stem)
def test_deep_tables_compile_check_and_summarize_fast(path: Path) -> None:
    _pipeline(SPEC_DIR / "resnet18.yaml")  # imports, template compilation: paid once per process
    best = float("inf")
    for _ in range(3):  # the best of three: the machine is shared
        start = time.perf_counter()
        _pipeline(path)
        best = min(best, time.perf_counter() - start)
    assert best < 0.25, f"{path.name}: analyze + render + stage table took {best:.3f} s"


def test_blocks_are_run_length_encoded() -> None:
    net, _, _ = _pipeline(DEEP10K)
    assert [stage.repeats for stage in net.stages] == [2500] * 4
    assert all(len(stage.blocks) <= 2 for stage in net.stages)


@pytest.mark.parametrize("path", [RESNET1202, DEEP10K], ids=lambda p: p.stem)
def test_generated_source_does_not_grow_with_depth(path: Path) -> None:
    _, deep, _ = _pipeline(path)
    shallow = deep_spec_with_repeats(path.read_text(), 4)  # runs of 1 or 2 blocks are written out
    _, small, _ = _pipeline_text(shallow, path.name)
    assert len(deep.splitlines()) == len(small.splitlines())
    assert len(deep.splitlines()) < 250
    assert "for _ in range(" in deep


def deep_spec_with_repeats(text: str, repeats: int) -> str:
    """The same table with every stage's repeat count replaced."""
    return text.replace("x 2500", f"x {repeats}").replace("x 200", f"x {repeats}")


def _pipeline_text(text: str, name: str) -> tuple[object, str, list[str]]:
    analysis = analyze(text, name)
    return analysis.network, render(analysis.network, name), stage_table(analysis.network)


def _count_macs(model: nn.Module, x: torch.Tensor) -> tuple[int, dict[str, tuple[int, ...]]]:
    """Multiply-adds of every conv and linear layer for input `x`, and each stage's output shape."""
    total = 0
    shapes: dict[str, tuple[int, ...]] = {}

    def conv_hook(m: nn.Conv2d, inputs, out) -> None:
        nonlocal total
        total += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def fc_hook(m: nn.Linear, inputs, out) -> None:
        nonlocal total
        total += out.numel() * m.in_features

    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(conv_hook)
        elif isinstance(m, nn.Linear):
            m.register_forward_hook(fc_hook)
        elif name.startswith("layer") and "." not in name:
            m.register_forward_hook(
                lambda m, i, out, name=name: shapes.__setitem__(name, out.shape)
            )
    model(x)
    return total, shapes


def test_resnet1202_numbers_are_exact_against_torch() -> None:
    analysis = analyze(RESNET1202.read_bytes(), str(RESNET1202))
    net = analysis.network
    module = types.ModuleType("resnet1202")
    exec(compile(compile_spec(RESNET1202.read_bytes(), "r.yaml"), "r.py", "exec"), module.__dict__)
    with torch.device("meta"):
        model = module.resnet1202()
        x = torch.empty(1, net.input.c, net.input.h, net.input.w)
    params, macs = costs.totals(net)
    assert params == sum(p.numel() for p in model.parameters()) == 19_421_274
    assert sum(isinstance(m, nn.Conv2d) for m in model.modules()) == 1 + 3 * 200 * 2
    torch_macs, shapes = _count_macs(model, x)
    assert macs == torch_macs
    for i, stage in enumerate(net.stages, start=1):
        assert tuple(shapes[f"layer{i}"][1:]) == tuple(stage.output)
