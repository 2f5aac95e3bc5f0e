"""`resnetc verify` and `compile --verify`: the compiler checked against torch, and caught lying.

Every spec verifies; a deliberately wrong shape in the IR, a wrong shape pass, a layer the model
has and the IR does not (and the reverse) are each reported at the spec text that made the layer,
naming the layer and both shapes; nothing is written by `compile --verify` when anything differs.
A loop of identical blocks is built once and checked by its arithmetic, and a loop of the wrong
length or of the wrong block is caught in every block it stands for.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from resnetc.cli import main  # noqa: E402
from resnetc.core import costs, ir, shapes  # noqa: E402
from resnetc.pipeline import analyze  # noqa: E402
from resnetc.targets.torch.emit import render  # noqa: E402
from resnetc.targets.torch.verify import verify  # noqa: E402
from tests.conftest import ROOT, SPEC_DIR  # noqa: E402

SPECS = sorted(SPEC_DIR.glob("*.yaml")) + sorted((ROOT / "tests" / "specs").glob("*.yaml"))
R50 = "spec/resnet50.yaml"


def _analysis(label: str):
    return analyze((ROOT / label).read_bytes(), label)


def _rendered(result, analysis) -> list[str]:
    return [d.render(analysis.source) for d in result.diagnostics]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_every_spec_verifies(path: Path) -> None:
    net = analyze(path.read_bytes(), str(path)).network
    result = verify(net)
    assert result.ok, [d.message for d in result.diagnostics]
    assert result.layers == len(list(costs.layers(net)))
    assert result.outputs == sum(s.repeats + 1 for s in net.stages)
    assert (result.params, result.macs) == costs.totals(net)


def _with_conv_output(net: ir.Network, stage: int, layer: int, shape: ir.Shape) -> ir.Network:
    """`net` with one layer of one stage's entry block annotated with a wrong `shape`."""
    st = net.stages[stage]
    block = st.blocks[0]
    layers = list(block.layers)
    layers[layer] = layers[layer].model_copy(update={"output": shape})
    block = block.model_copy(update={"layers": tuple(layers)})
    st = st.model_copy(update={"blocks": (block, *st.blocks[1:])})
    stages = list(net.stages)
    stages[stage] = st
    return net.model_copy(update={"stages": tuple(stages)})


def test_a_wrong_shape_in_the_ir_is_caught_at_its_row() -> None:
    analysis = _analysis(R50)
    net = analysis.network
    source = render(net, R50)
    conv2 = net.stages[1].blocks[0].layers[2]
    assert conv2.name == "conv2" and conv2.output == (128, 28, 28)
    wrong = _with_conv_output(net, 1, 2, ir.Shape(128, 56, 56))
    result = verify(wrong, source)
    assert not result.ok
    lines = _rendered(result, analysis)
    first = lines[0].splitlines()
    span = conv2.span
    assert first[0] == (
        f"{R50}:{span.line}:{span.col}: error: verify: layer2.0.conv2 gives 128x28x28,"
        " the shape pass says 128x56x56"
    )
    assert "conv3_x" in first[1] and "^" in first[2]
    # costs read the same wrong annotation, so the total disagrees too; nothing else does.
    assert [d.message for d in result.diagnostics[1:]] == [
        "verify: the model costs 4,089,184,256 multiply-adds, costs say 4,436,000,768"
    ]


def _unchecked(label: str) -> str:
    """The spec's text without its `expect:` block (which would catch a wrong shape pass first)."""
    text = (ROOT / label).read_text()
    return text[: text.index("expect:")]


def test_a_wrong_shape_pass_is_caught_at_the_first_layer_it_breaks(monkeypatch) -> None:
    source = render(_analysis(R50).network, R50)

    def ceil_size(size: int, kernel: int, stride: int, padding: int) -> int:
        return -(-(size + 2 * padding - kernel) // stride) + 1  # ceil mode: a plausible bug

    monkeypatch.setattr(shapes, "out_size", ceil_size)
    analysis = analyze(_unchecked(R50), R50)
    result = verify(analysis.network, source)
    first = _rendered(result, analysis)[0].splitlines()[0]
    assert first.startswith(f"{R50}:7:10: error: verify: conv1 gives 64x112x112,")
    assert first.endswith("the shape pass says 64x113x113")
    assert len(result.diagnostics) == 13
    assert result.diagnostics[-1].span is None
    assert result.diagnostics[-1].message.endswith(
        "more differences not shown (the first one usually explains the rest)"
    )


def test_a_layer_the_ir_does_not_know_is_caught() -> None:
    analysis = _analysis(R50)
    source = render(analysis.network, R50)
    anchor = "        self.relu = nn.ReLU(inplace=True)\n        self.downsample = downsample\n"
    assert anchor in source
    extra = source.replace(anchor, anchor + "        self.gate = nn.Conv2d(planes, planes, 1)\n")
    result = verify(analysis.network, extra)
    messages = [d.message for d in result.diagnostics]
    assert messages[0] == (
        "verify: the model has a layer layer1.0.gate (conv 1x1) that the IR does not know"
    )
    assert result.diagnostics[0].span == analysis.network.stages[0].cell_span
    assert messages[3] == (
        "verify: the model has a layer layer2.0.gate (conv 1x1) that the IR does not know"
    )
    assert result.diagnostics[3].span == analysis.network.stages[1].cell_span
    assert (
        messages[-1]
        == "verify: 5 more differences not shown (the first one usually explains the rest)"
    )


def test_a_layer_the_model_does_not_have_is_caught() -> None:
    analysis = _analysis(R50)
    source = render(analysis.network, R50)
    missing = source.replace("        self.bn3 = nn.BatchNorm2d(out_channels)\n", "").replace(
        "        out = self.bn3(out)\n", ""
    )
    result = verify(analysis.network, missing)
    messages = [d.message for d in result.diagnostics]
    assert (
        messages[0] == "verify: the IR has a layer layer1.0.bn3 (bn); the model has no such module"
    )
    assert result.diagnostics[0].span == analysis.network.stages[0].blocks[0].layers[5].span


def test_a_wrong_operation_and_parameter_count_are_caught() -> None:
    analysis = _analysis(R50)
    source = render(analysis.network, R50)
    grouped = source.replace(
        "self.conv2 = conv3x3(planes, planes, stride)",
        "self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, groups=2, bias=False)",
    )
    messages = [d.message for d in verify(analysis.network, grouped).diagnostics]
    assert "verify: layer1.0.conv2 is conv 3x3 C=2 in the model, the IR says conv 3x3" in messages
    assert "verify: layer1.0.conv2 has 18,432 parameters, costs say 36,864" in messages


def test_a_wrong_cost_formula_is_caught_layer_by_layer(monkeypatch) -> None:
    real = costs.layer_cost

    def input_sized(layer, prefix=""):  # a plausible bug: strided convs costed at their input
        cost = real(layer, prefix)
        strided = isinstance(layer, ir.Conv) and layer.stride == 2
        return cost._replace(macs=cost.macs * 4) if strided else cost

    monkeypatch.setattr(costs, "layer_cost", input_sized)
    analysis = _analysis(R50)
    messages = [d.message for d in verify(analysis.network).diagnostics]
    assert messages[:2] == [
        "verify: conv1 costs 118,013,952 multiply-adds in torch, costs say 472,055,808",
        "verify: layer2.0.conv2 costs 115,605,504 multiply-adds in torch, costs say 462,422,016",
    ]
    assert messages[-1].startswith("verify: the model costs 4,089,184,256 multiply-adds")


def test_a_module_that_fails_to_run_is_a_diagnostic_not_a_traceback() -> None:
    analysis = _analysis(R50)
    source = render(analysis.network, R50).replace(
        "        out += identity\n", "        raise RuntimeError('boom')\n", 1
    )
    (only,) = verify(analysis.network, source).diagnostics
    assert only.message == (
        "verify: the generated module fails to build or run: RuntimeError: boom"
    )
    assert only.span == analysis.network.span


def test_a_loop_of_the_wrong_length_is_caught_block_by_block() -> None:
    """verify builds a loop's block once, but counts the loop: one block short is every layer of
    the missing block, named, and its output; one block over is the extra block's layers."""
    analysis = _analysis(R50)
    source = render(analysis.network, R50)
    loop = "*(Bottleneck(1024, 256) for _ in range(5)),"
    assert loop in source
    short = verify(analysis.network, source.replace(loop, loop.replace("(5)", "(4)")))
    messages = [d.message for d in short.diagnostics]
    assert messages[:2] == [
        "verify: the IR has a layer layer3.5.conv1 (conv 1x1); the model has no such module",
        "verify: the IR has a layer layer3.5.bn1 (bn); the model has no such module",
    ]
    assert "verify: the model has no layer3.5 that runs" in messages
    block = analysis.network.stages[2].blocks[1]
    assert short.diagnostics[0].span == block.layers[0].span
    over = verify(analysis.network, source.replace(loop, loop.replace("(5)", "(6)")))
    messages = [d.message for d in over.diagnostics]
    assert messages[0] == (
        "verify: the model has a layer layer3.6.conv1 (conv 1x1) that the IR does not know"
    )
    params, macs = _built_in_full(
        analysis.network, source.replace(loop, loop.replace("(5)", "(6)"))
    )
    assert messages[-2:] == [
        f"verify: the model has {params:,} parameters, costs say 25,557,032",
        f"verify: the model costs {macs:,} multiply-adds, costs say 4,089,184,256",
    ]
    assert params == 25_557_032 + 1_117_184  # one more Bottleneck(1024, 256)


def _built_in_full(net: ir.Network, source: str) -> tuple[int, int]:
    """The parameters and multiply-adds of the model `source` builds, every block built."""
    from torch.utils.flop_counter import FlopCounterMode

    from resnetc.targets.torch.verify import load_module

    with torch.device("meta"):
        model = getattr(load_module(net.name, source), net.name)().eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.empty(1, *net.input, device="meta"))
    return sum(p.numel() for p in model.parameters()), counter.get_total_flops() // 2


def test_a_loop_of_the_wrong_block_is_caught_in_every_block_it_stands_for() -> None:
    analysis = _analysis(R50)
    source = render(analysis.network, R50)
    loop = "*(Bottleneck(1024, 256) for _ in range(5)),"
    projecting = "*(Bottleneck(1024, 256, downsample=projection(1024, 1024)) for _ in range(5)),"
    wrong = source.replace(loop, projecting)
    messages = [d.message for d in verify(analysis.network, wrong).diagnostics]
    unknown = "verify: the model has a layer layer3.{}.downsample.{} ({}) that the IR does not know"
    assert messages[:10] == [
        unknown.format(i, j, op) for i in range(1, 6) for j, op in ((0, "conv 1x1"), (1, "bn"))
    ]
    params, macs = _built_in_full(analysis.network, wrong)
    assert messages[10:] == [
        f"verify: the model has {params:,} parameters, costs say 25,557,032",
        f"verify: the model costs {macs:,} multiply-adds, costs say 4,089,184,256",
    ]


def test_a_million_block_stage_verifies_with_one_block_built() -> None:
    text = (
        "name: million\ninput: 32x32x3\nclasses: 10\nstem:\n  conv1: 3x3, 16\nstages:\n"
        '  s1: "[[3x3,16],[3x3,16]] x 1000000"\n'
    )
    net = analyze(text, "million.yaml").network
    start = time.perf_counter()
    result = verify(net)
    assert result.ok, [d.message for d in result.diagnostics]
    assert (result.params, result.macs) == costs.totals(net)
    assert result.layers == 2 + 4 * 1_000_000 + 2 and result.outputs == 1_000_001
    assert time.perf_counter() - start < 5.0


def test_the_command_verifies_every_file_and_reports_each(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    bad = "tests/cases/bad_shape_errors/spec.yaml"
    code = main(["verify", "spec/resnet18.yaml", bad, "tests/specs/cifar_resnet8_a.yaml"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.splitlines() == [
        "spec/resnet18.yaml: verified 43 layers, 12 block and stage outputs,"
        " 11,689,512 parameters, 1,814,073,344 multiply-adds",
        "tests/specs/cifar_resnet8_a.yaml: verified 16 layers, 6 block and stage outputs,"
        " 75,290 parameters, 12,239,488 multiply-adds",
    ]
    assert err.startswith(f"{bad}:") and err.endswith("resnetc: 1 of 3 specs failed\n")
    assert "Traceback" not in err


def test_without_torch_verify_says_so_and_exits_2(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    assert main(["verify", str(SPEC_DIR / "resnet18.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("resnetc: error: verify needs PyTorch") and "Traceback" not in err
    out_dir = tmp_path / "out"
    assert main(["compile", str(SPEC_DIR / "resnet18.yaml"), "-o", str(out_dir), "--verify"]) == 2
    assert "nothing written" in capsys.readouterr().err
    assert not out_dir.exists()


def test_compile_verify_writes_only_when_everything_verifies(
    capsys, monkeypatch, tmp_path: Path
) -> None:
    specs = []
    for name in ("resnet18", "resnet50"):
        (tmp_path / f"{name}.yaml").write_text(_unchecked(f"spec/{name}.yaml"))
        specs.append(str(tmp_path / f"{name}.yaml"))
    assert main(["compile", *specs, "-o", str(tmp_path / "ok"), "--verify"]) == 0
    out = capsys.readouterr().out
    assert out.count(": verified ") == 2 and out.count("wrote ") == 2
    assert sorted(p.name for p in (tmp_path / "ok").iterdir()) == ["resnet18.py", "resnet50.py"]

    # A shape pass that disagrees with torch on one network: nothing is written at all.
    real = shapes.out_size
    monkeypatch.setattr(
        shapes, "out_size", lambda n, k, s, p: real(n, k, s, p) + (k == 7)
    )  # wrong for 7x7 convs only; the ResNet-50 stem has one, so does ResNet-18's
    code = main(["compile", *specs, "-o", str(tmp_path / "bad"), "--verify"])
    err = capsys.readouterr().err
    assert code == 1
    assert "verify: conv1 gives 64x112x112, the shape pass says 64x113x113" in err
    assert err.endswith("resnetc: 2 of 2 specs refused or failed verification; nothing written\n")
    assert not (tmp_path / "bad").exists()


def test_verify_of_resnet152_is_quick_once_torch_is_loaded() -> None:
    verify(analyze((SPEC_DIR / "resnet18.yaml").read_bytes(), "r18").network)  # torch warm-up
    net = analyze((SPEC_DIR / "resnet152.yaml").read_bytes(), "r152").network
    start = time.perf_counter()
    assert verify(net).ok
    assert time.perf_counter() - start < 3.0


def test_importing_verify_imports_no_torch(tmp_path: Path) -> None:
    from tests.test_startup import _imported

    names = _imported(tmp_path, [], code="import resnetc.targets.torch.verify, resnetc.cli.verify")
    assert not [n for n in names if n.split(".")[0] == "torch"]
