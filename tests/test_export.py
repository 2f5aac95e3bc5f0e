"""The generated models work with every PyTorch tool pointed at them, and do only the layers' work.

For every shipped spec (spec/*.yaml) the module in generated/ is imported and, on a 2x3x64x64 input
(batch 2 so that the batch dimension can be dynamic), checked to:
- script with torch.jit.script, export with torch.export.export (static and dynamic batch) and
  compile with torch.compile(fullgraph=True) (a graph break raises), each giving eager's output;
- contain in its exported graph nothing but the layers' own operations, one conv per nn.Conv2d;
- keep channels_last from the first conv to the last stage, and run under bfloat16 autocast.
ONNX (the dynamo-based torch.onnx.export, which needs onnx and onnxscript) is checked on resnet18
and its ONNX graph run with onnx's reference evaluator. torch.compile's inductor backend costs
about 20-30 s of C++ compilation on this machine even for a tiny network, so it is run once, on a
three-block CIFAR network.

The battery costs about a minute warm and several on a fresh machine (inductor's cold cache), so it
is the `slow` marker's: `pytest -m slow tests/test_export.py` runs all of it (CI does), and the
default `pytest` keeps a smoke test of scripting and export on one network
(tests/test_models.py). `representatives` lists the shipped specs whose modules hold every line any
shipped module has (numbers and names aside); running only those is a quick local check
(`pytest -m slow tests/test_export.py -k "resnet18 or resnet20 or ..."`).
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import re
import types
from pathlib import Path

import pytest
import torch
from torch import nn

from resnetc.pipeline import analyze, compile_spec
from tests.conftest import GENERATED_DIR, SPEC_DIR

pytestmark = pytest.mark.slow


def module_lines(spec_path: Path) -> frozenset[str]:
    """The generated module's code lines, with numbers and the network's names abstracted."""
    net = analyze(spec_path.read_bytes(), str(spec_path)).network
    tree = ast.parse((GENERATED_DIR / f"{net.name}.py").read_text())
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            first.value.value = ""  # a docstring
    text = ast.unparse(tree).replace(net.class_name, "NET").replace(net.name, "net")
    return frozenset(re.sub(r"\b\d+\b", "N", line).strip() for line in text.splitlines())


def _depth(spec_path: Path) -> int:
    return sum(s.repeats for s in analyze(spec_path.read_bytes(), str(spec_path)).network.stages)


def representatives(specs: list[Path]) -> list[Path]:
    """Shallowest first, each spec whose module no earlier representative's module covers."""
    chosen: list[Path] = []
    for spec in sorted(specs, key=lambda p: (_depth(p), p.stem)):
        if not any(module_lines(spec) <= module_lines(rep) for rep in chosen):
            chosen.append(spec)
    return chosen


ALL_SPECS = sorted(SPEC_DIR.glob("*.yaml"))
REPRESENTATIVES = representatives(ALL_SPECS)
SPECS = ALL_SPECS
IDS = [p.stem for p in ALL_SPECS]
_CACHE: dict[str, tuple[nn.Module, torch.Tensor, torch.Tensor]] = {}

# What a forward of ours may do (ATen ops in torch.export's graph): the layers, the residual add,
# the flatten before fc, and option A's strided slice and channel padding. Nothing else.
ALLOWED_OPS = {
    "conv2d",
    "_native_batch_norm_legit_no_training",
    "batch_norm",
    "group_norm",  # resnet50_gn (norm: GN, G=32)
    "relu",
    "relu_",
    "add",
    "add_",
    "max_pool2d",
    "avg_pool2d",
    "adaptive_avg_pool2d",
    "flatten",
    "linear",
    # an attention row's own work: SE's and ECA's average, ECA's 1-d conv, the sigmoid scaling
    "mean",
    "unsqueeze",
    "conv1d",
    "view",
    "sigmoid",
    "mul",
    "slice",
    "pad",
    "constant_pad_nd",
}


def _load(spec_path) -> types.ModuleType:
    name = analyze(spec_path.read_bytes(), str(spec_path)).network.name
    path = GENERATED_DIR / f"{name}.py"
    module_spec = importlib.util.spec_from_file_location(f"generated_{name}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    module.FACTORY = getattr(module, name)
    return module


def model_for(spec_path) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """(the generated model in eval mode, an input, eager's output), built once per spec."""
    key = spec_path.stem
    if key not in _CACHE:
        torch.manual_seed(0)
        model = _load(spec_path).FACTORY().eval()
        x = torch.randn(2, 3, 64, 64)
        with torch.no_grad():
            _CACHE[key] = (model, x, model(x))
    return _CACHE[key]


def assert_same(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """Equal up to float32 rounding of a differently ordered computation (1e-3 of the scale)."""
    scale = expected.abs().max().item()
    torch.testing.assert_close(actual, expected, rtol=1e-3, atol=1e-3 * scale)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_torchscript(spec) -> None:
    model, x, ref = model_for(spec)
    scripted = torch.jit.script(model)
    with torch.no_grad():
        assert_same(scripted(x), ref)


def _op_names(ep: torch.export.ExportedProgram) -> list[str]:
    return [
        node.target.__name__.split(".")[0]
        for node in ep.graph.nodes
        if node.op == "call_function" and hasattr(node.target, "__name__")
    ]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_export_static_does_only_the_layers_work(spec) -> None:
    model, x, ref = model_for(spec)
    ep = torch.export.export(model, (x,))
    with torch.no_grad():
        assert_same(ep.module()(x), ref)
    ops = _op_names(ep)
    assert set(ops) <= ALLOWED_OPS, sorted(set(ops) - ALLOWED_OPS)
    convs = sum(isinstance(m, nn.Conv2d) for m in model.modules())
    norms = sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    groups = sum(isinstance(m, nn.GroupNorm) for m in model.modules())
    assert ops.count("conv2d") == convs
    assert ops.count("_native_batch_norm_legit_no_training") + ops.count("batch_norm") == norms
    assert ops.count("group_norm") == groups
    assert ops.count("linear") == 1


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_export_dynamic_batch(spec) -> None:
    model, x, _ = model_for(spec)
    batch = torch.export.Dim("batch", max=1024)
    ep = torch.export.export(model, (x,), dynamic_shapes={"x": {0: batch}})
    other = torch.randn(3, *x.shape[1:])
    with torch.no_grad():
        assert_same(ep.module()(other), model(other))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_compile_fullgraph_has_no_graph_breaks(spec) -> None:
    model, x, ref = model_for(spec)
    torch._dynamo.reset()
    compiled = torch.compile(model, fullgraph=True, backend="eager")  # a graph break raises
    with torch.no_grad():
        assert_same(compiled(x), ref)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_channels_last_end_to_end(spec) -> None:
    model, x, ref = model_for(spec)
    model_cl = copy.deepcopy(model).to(memory_format=torch.channels_last)
    stages = [m for name, m in model_cl.named_children() if name.startswith("layer")]
    seen: list[torch.Tensor] = []
    hook = stages[-1].register_forward_hook(lambda m, i, out: seen.append(out))
    with torch.no_grad():
        out = model_cl(x.to(memory_format=torch.channels_last))
    hook.remove()
    assert seen[0].is_contiguous(memory_format=torch.channels_last)
    assert_same(out, ref)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_autocast_bfloat16(spec) -> None:
    model, x, ref = model_for(spec)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(x)
    assert out.dtype == torch.bfloat16
    error = (out.float() - ref).norm() / ref.norm()
    assert error < 0.1, f"bfloat16 output is {error:.3f} away from float32's (relative)"


def test_every_shipped_module_is_covered_by_a_representative() -> None:
    for spec in ALL_SPECS:
        lines = module_lines(spec)
        assert any(lines <= module_lines(rep) for rep in REPRESENTATIVES), spec.stem
    assert len(REPRESENTATIVES) < len(ALL_SPECS)


def test_onnx_export_resnet18_dynamo_exporter() -> None:
    pytest.importorskip("onnxscript", reason="the dynamo ONNX exporter needs onnxscript")
    onnx = pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator

    model, x, _ = model_for(SPEC_DIR / "resnet18.yaml")
    batch = torch.export.Dim("batch", max=1024)
    program = torch.onnx.export(
        model, (x,), dynamo=True, dynamic_shapes={"x": {0: batch}}, verbose=False
    )
    proto = program.model_proto
    onnx.checker.check_model(proto)
    assert not proto.graph.input[0].type.tensor_type.shape.dim[0].HasField("dim_value")
    other = torch.randn(3, *x.shape[1:])
    (out,) = ReferenceEvaluator(proto).run(None, {proto.graph.input[0].name: other.numpy()})
    with torch.no_grad():
        assert_same(torch.from_numpy(out), model(other))


TINY = """\
name: resnet8
input: 32x32x3
classes: 10
stem:
  conv1: 3x3, 16
  pool: none
stages:
  conv2_x: "[3x3, 16; 3x3, 16] x 1"
  conv3_x: "[3x3, 32; 3x3, 32] x 1"
  conv4_x: "[3x3, 64; 3x3, 64] x 1"
options:
  shortcut: A
"""


def test_compile_inductor_tiny_network() -> None:
    """The real backend once (C++ compilation takes 20-30 s on 2 cores, so one tiny net)."""
    module = types.ModuleType("resnet8")
    exec(compile(compile_spec(TINY, "resnet8.yaml"), "resnet8.py", "exec"), module.__dict__)
    torch.manual_seed(0)
    model = module.resnet8().eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch._dynamo.reset()
        assert_same(torch.compile(model, fullgraph=True)(x), model(x))
