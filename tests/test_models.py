"""Torch tests of the shipped Table 1 networks: built from generated/, compared with torchvision.

Each generated module is imported from its source, built on the meta device (no memory, no
weights) to compare every stage's output shape with the shape pass and the state_dict layout with
torchvision's; small real forwards compare outputs with an independent functional ResNet.
"""

from __future__ import annotations

import json
import types

import pytest

torch = pytest.importorskip("torch")

import resnetc  # noqa: E402
from tests import reference  # noqa: E402
from tests.conftest import GENERATED_DIR, REFERENCE, ROOT, SPEC_DIR  # noqa: E402

TABLE1 = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
REF = json.loads(REFERENCE.read_text())


def load_module(name: str, source: str) -> types.ModuleType:
    """Execute generated source as a fresh module (no import machinery, no files)."""
    module = types.ModuleType(name)
    exec(compile(source, f"<generated {name}>", "exec"), module.__dict__)
    return module


def build(name: str, device: str = "meta"):
    source = (GENERATED_DIR / f"{name}.py").read_text()
    module = load_module(name, source)
    with torch.device(device):
        return getattr(module, name)()


def analysis(name: str):
    path = SPEC_DIR / f"{name}.yaml"
    return resnetc.analyze(path.read_bytes(), f"spec/{name}.yaml")


@pytest.mark.parametrize("name", TABLE1)
def test_state_dict_equals_torchvision(name: str) -> None:
    model = build(name)
    layout = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    assert layout == list(REF[name]["state_dict"].items())
    assert sum(p.numel() for p in model.parameters()) == REF[name]["params"]


@pytest.mark.parametrize("name", TABLE1)
def test_every_stage_shape_matches_the_shape_pass(name: str) -> None:
    net = analysis(name).network
    model = build(name).eval()
    seen: dict[str, tuple[int, ...]] = {}
    stage_modules = {"conv1": model.conv1, "fc": model.fc}
    if net.stem.pool is not None:
        stage_modules["pool"] = model.maxpool
    for stage in net.stages:
        stage_modules[stage.name] = getattr(model, stage.attr)
    for key, module in stage_modules.items():
        module.register_forward_hook(lambda m, i, o, key=key: seen.__setitem__(key, tuple(o.shape)))
    x = torch.empty(2, *net.input, device="meta")
    model(x)
    expected = {"conv1": net.stem.conv.output, "fc": (net.classes,)}
    if net.stem.pool is not None:
        expected["pool"] = net.stem.pool.output
    expected.update({s.name: s.output for s in net.stages})
    assert {k: v[1:] for k, v in seen.items()} == {k: tuple(v) for k, v in expected.items()}
    assert seen["conv2_x" if "conv2_x" in seen else net.stages[0].name][0] == 2


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
def test_outputs_equal_an_independent_torchvision_forward(name: str) -> None:
    torch.manual_seed(0)
    model = build(name, device="cpu").eval()
    weights = reference.randomized(model.state_dict())
    model.load_state_dict(weights, strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ours = model(x)
        theirs = reference.forward(weights, x)
    torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", TABLE1)
def test_generated_file_is_what_the_spec_compiles_to(name: str) -> None:
    spec = f"spec/{name}.yaml"
    text = resnetc.compile_spec((ROOT / spec).read_bytes(), spec)
    assert text == (GENERATED_DIR / f"{name}.py").read_text()


def test_any_input_size_channels_and_classes() -> None:
    spec = (SPEC_DIR / "resnet18.yaml").read_text()
    spec = spec.replace("input: 224x224x3", "input: 96x128x4").replace(
        "classes: 1000", "classes: 7"
    )
    spec = spec[: spec.index("expect:")]  # Table 1's sizes are for 224x224
    text = resnetc.compile_spec(spec, "odd.yaml")
    model = load_module("odd", text).resnet18().eval()
    with torch.no_grad():
        out = model(torch.randn(1, 4, 96, 128))
    assert out.shape == (1, 7)


@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")
def test_a_generated_module_scripts_and_exports() -> None:
    """The default run's smoke test of tests/test_export.py's battery (`pytest -m slow` runs it
    on every shipped spec): resnet20 scripts and exports, each giving eager's output."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("smoke_resnet20", GENERATED_DIR / "resnet20.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # from its file: torch.jit.script reads the source
    torch.manual_seed(0)
    model = module.resnet20().eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model(x)
        scripted = torch.jit.script(model)(x)
        exported = torch.export.export(model, (x,)).module()(x)
    torch.testing.assert_close(scripted, expected, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(exported, expected, rtol=1e-4, atol=1e-4)
