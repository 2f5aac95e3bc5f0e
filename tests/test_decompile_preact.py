"""Pre-activation checkpoints (He et al. 2016), laid out as resnetc emits them.

The state_dicts are built here from the layout's description alone: `conv1` with no `bn1` in the
stem; in every block `bnJ` before `convJ`, over its input channels; a projection shortcut is one
bias-free 1x1 conv `downsample`; the head is `final_bn` then `fc`.
"""

from __future__ import annotations

import pytest

import resnetc
from resnetc.checkpoint.recognize import recognise
from resnetc.checkpoint.write import Choices, spec_text
from resnetc.front.diagnostics import CompileError

Rows = list[tuple[int, int, int]]  # (kernel, filters, groups)


def _bn(sd: dict, name: str, channels: int) -> None:
    for part in ("weight", "bias", "running_mean", "running_var"):
        sd[f"{name}.{part}"] = (channels,)
    sd[f"{name}.num_batches_tracked"] = ()


def preact_state(
    channels: int, stem: tuple[int, int], stages: list[tuple[Rows, int]], classes: int, option: str
) -> dict[str, tuple[int, ...]]:
    """Keys and shapes of a pre-activation ResNet (`option` places the projections)."""
    kernel, filters = stem
    sd: dict[str, tuple[int, ...]] = {"conv1.weight": (filters, channels, kernel, kernel)}
    c = filters
    for n, (rows, repeats) in enumerate(stages, start=1):
        for i in range(repeats):
            prefix, cin = f"layer{n}.{i}", c
            for j, (k, width, groups) in enumerate(rows, start=1):
                _bn(sd, f"{prefix}.bn{j}", c)
                sd[f"{prefix}.conv{j}.weight"] = (width, c // groups, k, k)
                c = width
            changes = i == 0 and (n > 1 or cin != c)
            if option == "C" or (option == "B" and changes):
                sd[f"{prefix}.downsample.weight"] = (c, cin, 1, 1)
    _bn(sd, "final_bn", c)
    sd["fc.weight"], sd["fc.bias"] = (classes, c), (classes,)
    return sd


BASIC = [(3, 16, 1), (3, 16, 1)]
PREACT_RESNET20 = preact_state(
    3, (3, 16), [(BASIC, 3), ([(3, 32, 1)] * 2, 3), ([(3, 64, 1)] * 2, 3)], 10, "B"
)
BOTTLENECK = [(1, 64, 1), (3, 64, 1), (1, 256, 1)]
PREACT_RESNET50 = preact_state(
    3, (7, 64), [(BOTTLENECK, 3), ([(1, 128, 1), (3, 128, 32), (1, 512, 1)], 4)], 1000, "B"
)


def test_the_preact_layout_is_recognised() -> None:
    found = recognise(PREACT_RESNET20)
    assert found.preact
    assert (found.in_channels, found.stem_kernel, found.stem_filters) == (3, 3, 16)
    assert [(s.repeats, s.projections) for s in found.stages] == [(3, ()), (3, (0,)), (3, (0,))]
    assert found.classes == 10 and found.depth == 20
    grouped = recognise(PREACT_RESNET50)
    assert [r.groups for r in grouped.stages[1].rows] == [1, 32, 1]


@pytest.mark.parametrize("option", ["A", "B", "C"])
def test_the_preact_spec_says_preact_and_the_shortcut(option: str) -> None:
    state = preact_state(3, (3, 16), [(BASIC, 2), ([(3, 32, 1)] * 2, 2)], 10, option)
    text, _ = spec_text(recognise(state), "net", "ckpt.pth", Choices())
    assert "# net: a 10-layer pre-activation ResNet, decompiled by resnetc from ckpt.pth." in text
    assert '  conv2_x: "[[3x3,16],[3x3,16]] x 2"\n  conv3_x: "[[3x3,32],[3x3,32]] x 2"\n' in text
    assert f"  shortcut: {option}\n" in text
    assert "  # from the weights: each bnJ comes before its convJ, and final_bn before fc" in text
    assert text.endswith("  preact: true\n")


def test_preact_shapes_are_checked_against_the_input_channels() -> None:
    state = dict(PREACT_RESNET20)
    state["layer2.0.bn1.weight"] = (32,)  # a post-activation bn1 would have conv1's 32 filters
    with pytest.raises(CompileError) as info:
        resnetc.decompile({k: _Shape(v) for k, v in state.items()})
    assert (
        "layer2.0.bn1.weight has shape [32]: the BatchNorm before layer2.0.conv1 (16 channels from"
        " layer1.2) needs [16]"
    ) in info.value.render()


def test_a_two_conv_projection_in_a_preact_net_is_refused() -> None:
    state = {k: _Shape(v) for k, v in PREACT_RESNET20.items()}
    state["layer2.0.downsample.0.weight"] = state.pop("layer2.0.downsample.weight")
    with pytest.raises(CompileError, match=r"layer2\.0\.downsample\.0\.weight has shape"):
        resnetc.decompile(state)


class _Shape:
    """A stand-in tensor: decompile reads nothing but `shape` (and checks there is a `dtype`)."""

    dtype = "float32"

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape


@pytest.mark.parametrize("state", [PREACT_RESNET20, PREACT_RESNET50], ids=["basic", "grouped"])
def test_preact_checkpoints_decompile_to_code_that_loads_them(state: dict) -> None:
    torch = pytest.importorskip("torch")
    from tests.test_decompile_roundtrip import build

    result = resnetc.decompile({k: _Shape(v) for k, v in state.items()})
    net = result.network
    assert net.options.preact and net.stem.norm is None
    assert net.head.norm is not None and net.head.norm.name == "final_bn"
    model = build(net)
    model.load_state_dict({k: torch.empty(v, device="meta") for k, v in state.items()}, strict=True)
