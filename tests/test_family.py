"""The ResNet family from tables: the paper's CIFAR nets (option A), ResNeXt and Wide ResNet,
pre-activation nets, shortcut options A/B/C, zero_init_residual, and what torchvision's
`ResNet(block, layers, groups=, width_per_group=)` can express.

Counts are checked three ways: against the papers' printed figures, against the analysis, and
against torch's own count of the instantiated model. Outputs are checked against the independent
functional forward in tests/reference.py.
"""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from resnetc.core import costs  # noqa: E402
from resnetc.pipeline import analyze, compile_spec  # noqa: E402
from tests import reference  # noqa: E402
from tests.conftest import REFERENCE, SPEC_DIR  # noqa: E402
from tests.test_models import load_module  # noqa: E402

REF = json.loads(REFERENCE.read_text())

# Section 4.2, Table 6 of He et al. 2016: depth 6n + 2 and the printed parameter counts.
CIFAR = {20: (3, "0.27M"), 32: (5, "0.46M"), 44: (7, "0.66M"), 56: (9, "0.85M"), 110: (18, "1.7M")}
# Counted by torch on the instantiated models (BatchNorm's weight and bias included).
CIFAR_PARAMS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962}


def build(text: str, name: str, device: str = "meta"):
    """Compile spec text and instantiate its factory on `device`."""
    net = analyze(text, f"{name}.yaml").network
    module = load_module(name, compile_spec(text, f"{name}.yaml"))
    with torch.device(device):
        return getattr(module, net.name)(), net


def numel(model) -> int:
    return sum(p.numel() for p in model.parameters())


def in_millions(count: int) -> str:
    """A count as the papers print it: 0.27M, 1.7M, 10.2M (two significant figures)."""
    value = count / 1e6
    return f"{value:.2f}M" if value < 1 else f"{value:.1f}M"


def table(net) -> list[tuple[str, str]]:
    """The network's stages in the canonical notation (positions left out)."""
    return [(s.name, s.cell_text) for s in net.stages]


def spec_text(name: str) -> str:
    return (SPEC_DIR / f"{name}.yaml").read_text()


# ---------------------------------------------------------------- the paper's CIFAR-10 nets


@pytest.mark.parametrize("depth", sorted(CIFAR))
def test_cifar_parameter_counts_match_the_paper(depth: int) -> None:
    n, printed = CIFAR[depth]
    model, net = build(spec_text(f"resnet{depth}"), f"resnet{depth}")
    assert [stage.repeats for stage in net.stages] == [n, n, n]
    convs = 1 + sum(len(s.rows) * s.repeats for s in net.stages)
    assert convs + 1 == depth  # 6n + 2: the first conv, 2 per block, the fc
    assert costs.totals(net)[0] == numel(model) == CIFAR_PARAMS[depth]
    assert in_millions(CIFAR_PARAMS[depth]) == printed
    assert not any("downsample" in k for k in model.state_dict())  # option A: no projections


def test_cifar_option_a_output_equals_the_reference() -> None:
    torch.manual_seed(0)
    model, _ = build(spec_text("resnet20"), "resnet20", device="cpu")
    weights = reference.randomized(model.state_dict())
    model.load_state_dict(weights, strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        out = model.eval()(x)
    torch.testing.assert_close(out, reference.forward(weights, x, reference.CIFAR_A))


# ---------------------------------------------------------------- ResNeXt and Wide ResNet


@pytest.mark.parametrize("name", ["resnext50_32x4d", "wide_resnet50_2"])
def test_resnext_and_wide_equal_torchvision(name: str) -> None:
    model, net = build(spec_text(name), name)
    layout = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    assert layout == list(REF[name]["state_dict"].items())
    assert costs.totals(net) == (REF[name]["params"], REF[name]["macs_conv_fc"])


def test_resnext_cell_is_written_as_the_resnext_paper_writes_it() -> None:
    text = spec_text("resnext50_32x4d")
    assert '"[[1x1,128],[3x3,128,C=32],[1x1,256]] x 3"' in text


# ---------------------------------------------------------------- pre-activation


PREACT_CIFAR = """\
name: preact_resnet{depth}
input: 32x32x3
classes: 10
stem:
  conv1: 3x3, 16
stages:
  conv2_x: "[[1x1,16],[3x3,16],[1x1,64]] x {n}"
  conv3_x: "[[1x1,32],[3x3,32],[1x1,128]] x {n}"
  conv4_x: "[[1x1,64],[3x3,64],[1x1,256]] x {n}"
options:
  preact: true
  downsample_at: 1x1
"""


def conv_fc_weights(net) -> int:
    """The conv and fc weights alone (no BatchNorm, no fc bias)."""
    layers = costs.layers(net)
    return sum(c.params for c in layers if c.op.startswith("conv")) + net.head.fc.in_features * (
        net.classes
    )


@pytest.mark.parametrize(("depth", "total", "printed"), [(164, 1_703_258, "1.7M")])
def test_preact_resnet164_matches_the_identity_mappings_paper(depth, total, printed) -> None:
    text = PREACT_CIFAR.format(depth=depth, n=(depth - 2) // 9)
    model, net = build(text, f"preact_resnet{depth}")
    assert numel(model) == costs.totals(net)[0] == total
    assert in_millions(total) == printed


def test_preact_resnet1001_counts_as_the_paper_prints_it() -> None:
    """The paper prints 10.2M: that is the conv and fc weights; torch's count adds BN's 149,216."""
    net = analyze(PREACT_CIFAR.format(depth=1001, n=111), "preact_resnet1001.yaml").network
    total = costs.totals(net)[0]
    assert total == 10_327_706
    assert in_millions(conv_fc_weights(net)) == "10.2M"
    assert total - conv_fc_weights(net) - net.classes == 149_216  # BN weight + bias


def test_shipped_preact_spec_is_resnet164() -> None:
    shipped = analyze(spec_text("preact_resnet164"), "spec/preact_resnet164.yaml").network
    ours = analyze(PREACT_CIFAR.format(depth=164, n=18), "x.yaml").network
    assert table(shipped) == table(ours)
    assert (shipped.options.preact, shipped.options.downsample_at) == (True, "1x1")


@pytest.mark.parametrize("rows", ["[[3x3,16],[3x3,16]]", "[[1x1,16],[3x3,16],[1x1,64]]"])
@pytest.mark.parametrize("shortcut", ["A", "B", "C"])
def test_preact_forward_equals_the_reference(rows: str, shortcut: str) -> None:
    wide = rows.replace(",16]", ",32]").replace(",64]", ",128]")
    text = f"""\
name: tiny_preact
input: 16x16x3
classes: 5
stem:
  conv1: 3x3, 16
stages:
  s1: "{rows} x 2"
  s2: "{wide} x 2"
options:
  preact: true
  shortcut: {shortcut}
"""
    torch.manual_seed(0)
    model, net = build(text, "tiny_preact", device="cpu")
    keys = model.state_dict().keys()
    assert "bn1.weight" not in keys and "final_bn.weight" in keys
    assert net.stem.norm is None and net.head.norm is not None
    weights = reference.randomized(model.state_dict())
    model.load_state_dict(weights, strict=True)
    x = torch.randn(2, 3, 16, 16)
    layout = reference.Layout(stem_stride=1, pool=False, zero_pad_shortcut=True, preact=True)
    with torch.no_grad():
        out = model.eval()(x)
    torch.testing.assert_close(out, reference.forward(weights, x, layout))
    assert numel(model) == costs.totals(net)[0]


# ---------------------------------------------------------------- shortcut options, zero init


def test_option_c_projects_in_every_block() -> None:
    text = spec_text("resnet18").replace("expect:", "options:\n  shortcut: C\nexpect:")
    model, net = build(text, "resnet18")
    blocks = {k.rsplit(".downsample", 1)[0] for k in model.state_dict() if ".downsample." in k}
    assert len(blocks) == sum(s.repeats for s in net.stages) == 8
    assert numel(model) == costs.totals(net)[0]


@pytest.mark.parametrize(("name", "last"), [("resnet20", "bn2"), ("preact_resnet164", "conv3")])
def test_zero_init_residual_from_the_spec(name: str, last: str) -> None:
    text = spec_text(name) + ("options:\n" if "options:" not in spec_text(name) else "")
    text += "  zero_init_residual: true\n"
    model, net = build(text, name, device="cpu")
    assert net.options.zero_init_residual
    zeroed = [k for k, v in model.state_dict().items() if k.endswith(f".{last}.weight")]
    assert len(zeroed) == sum(s.repeats for s in net.stages)
    assert all(not model.state_dict()[k].any() for k in zeroed)
    untouched, _ = build(spec_text(name), name, device="cpu")
    assert all(untouched.state_dict()[k].any() for k in zeroed)


# ---------------------------------------------------------------- torchvision's ResNet(...)


TORCHVISION_CASES = {
    # (block, layers, groups, width_per_group): what torchvision's constructor can express
    "basic_1111": ("basic", [1, 1, 1, 1], 1, 64),
    "basic_3573": ("basic", [3, 5, 7, 3], 1, 64),
    "bottleneck_2222": ("bottleneck", [2, 2, 2, 2], 1, 64),
    "bottleneck_g8_w16": ("bottleneck", [1, 2, 1, 1], 8, 16),
    "bottleneck_g4_w32": ("bottleneck", [2, 1, 1, 2], 4, 32),
    "bottleneck_w128": ("bottleneck", [1, 1, 2, 1], 1, 128),
}


def torchvision_spec(block: str, layers: list[int], groups: int, width_per_group: int) -> str:
    """The table of `ResNet(block, layers, groups, width_per_group)` in the paper's notation."""
    lines = []
    for i, (planes, count) in enumerate(zip((64, 128, 256, 512), layers, strict=True)):
        if block == "basic":
            cell = f"[[3x3,{planes}],[3x3,{planes}]] x {count}"
        else:
            width = planes * width_per_group // 64 * groups
            c = f",C={groups}" if groups > 1 else ""
            cell = f"[[1x1,{width}],[3x3,{width}{c}],[1x1,{planes * 4}]] x {count}"
        lines.append(f'  conv{i + 2}_x: "{cell}"')
    stages = "\n".join(lines)
    return f"""\
name: tv_net
input: 64x64x3
classes: 10
stem:
  conv1: 7x7, 64, /2
  pool: 3x3 max, /2
stages:
{stages}
"""


@pytest.mark.parametrize("case", sorted(TORCHVISION_CASES))
def test_what_torchvision_can_express_is_state_dict_and_output_identical(case: str) -> None:
    block, layers, groups, width = TORCHVISION_CASES[case]
    torch.manual_seed(0)
    model, _ = build(torchvision_spec(block, layers, groups, width), "tv_net", device="cpu")
    layout = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    assert layout == reference.torchvision_layout(block, layers, groups, width, num_classes=10)
    weights = reference.randomized(model.state_dict())
    model.load_state_dict(weights, strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        out = model.eval()(x)
    torch.testing.assert_close(out, reference.forward(weights, x), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("resnet18", ("basic", [2, 2, 2, 2])),
        ("resnet34", ("basic", [3, 4, 6, 3])),
        ("resnet50", ("bottleneck", [3, 4, 6, 3])),
        ("resnet101", ("bottleneck", [3, 4, 23, 3])),
        ("resnet152", ("bottleneck", [3, 8, 36, 3])),
        ("resnext50_32x4d", ("bottleneck", [3, 4, 6, 3], 32, 4)),
        ("wide_resnet50_2", ("bottleneck", [3, 4, 6, 3], 1, 128)),
    ],
)
def test_the_torchvision_layout_reference_is_right(name: str, args: tuple) -> None:
    """The reference's rules reproduce torchvision's seven published layouts."""
    assert reference.torchvision_layout(*args) == [
        (k, v) for k, v in REF[name]["state_dict"].items()
    ]


def test_the_torchvision_spec_helper_reproduces_the_shipped_specs() -> None:
    ours = analyze(torchvision_spec("bottleneck", [3, 4, 6, 3], 32, 4), "x.yaml").network
    shipped = analyze(spec_text("resnext50_32x4d"), "spec/resnext50_32x4d.yaml").network
    assert table(ours) == table(shipped)
