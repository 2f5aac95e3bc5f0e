"""Exact round trips: spec -> compile -> build -> state_dict -> decompile gives the same network.

For every shipped spec, for torchvision's seven ResNet-family layouts (from tests/data) and for
random valid specs (hypothesis: a fast slice by default, a long run under `pytest -m fuzz`), the
decompiled spec's analysed IR equals the original's (spans, stage names and `expect:` aside, and
the A/B/C label aside where the blocks' shortcuts are the same), and the recompiled module loads
the original state_dict with strict=True. Models are built on the meta device (shapes without
memory); a cheap subset is built for real and must compute the same outputs.
"""

from __future__ import annotations

import contextlib
import json
import math
import types
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import resnetc  # noqa: E402
from resnetc.checkpoint.decompiler import state_dict_layout  # noqa: E402
from resnetc.front.diagnostics import CompileError  # noqa: E402
from resnetc.targets.torch.emit import render  # noqa: E402
from tests import reference  # noqa: E402
from tests.conftest import REFERENCE, SPEC_DIR  # noqa: E402

REF = json.loads(REFERENCE.read_text())


def load_module(name: str, source: str) -> types.ModuleType:
    """Execute generated source as a fresh module."""
    module = types.ModuleType(name)
    exec(compile(source, f"<generated {name}>", "exec"), module.__dict__)
    return module


def build(net):
    """The model `net` (an analysed IR) compiles to, on the meta device (no memory, no init)."""
    module = load_module(net.name, render(net, "<spec>"))
    with torch.device("meta"), _no_init():
        return getattr(module, net.name)()


@contextlib.contextmanager
def _no_init():
    """Weight initialisation is skipped: the weights of a meta model have no values anyway."""
    names = ("kaiming_normal_", "kaiming_uniform_", "uniform_", "normal_", "constant_")
    saved = {n: getattr(torch.nn.init, n) for n in names}
    for n in names:
        setattr(torch.nn.init, n, lambda tensor, *args, **kwargs: tensor)
    try:
        yield
    finally:
        for n, f in saved.items():
            setattr(torch.nn.init, n, f)


@contextlib.contextmanager
def one_thread():
    """Tiny forwards run an order of magnitude faster on one thread of a shared machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def with_weights(net, weights: dict):
    """The model `net` compiles to, holding `weights` (loaded strictly), in eval mode."""
    model = build(net)
    model.load_state_dict(weights, strict=True, assign=True)
    return model.eval()


def analysed(text: str | bytes):
    """The analysed IR of a spec."""
    return resnetc.analyze(text, "<spec>").network


def normal(net, strides: bool = True) -> object:
    """The IR as plain data, without what a checkpoint cannot carry (spans, names, expect)."""
    data = net.model_dump()
    data.pop("expect"), data.pop("expect_downsample")
    data["options"].pop("shortcut")  # every block's shortcut is still compared
    for stage in data["stages"]:
        stage.pop("name")
    return _drop(data, strides)


def _drop(x: object, strides: bool) -> object:
    skip = {"output", "input", "stride", "stride_row"} if not strides else set()
    if isinstance(x, dict):
        return {
            k: _drop(v, strides) for k, v in x.items() if not k.endswith("span") and k not in skip
        }
    if isinstance(x, (list, tuple)):
        return [_drop(v, strides) for v in x]
    return x


def flags(net) -> dict:
    """The decompile options that restate what the spec chose where weights cannot tell."""
    return {
        "name": net.name,
        "input": (net.input.h, net.input.w),
        "downsample_at": net.options.downsample_at,
        "pool": net.stem.pooled,
        "stem_stride": net.stem.convs[0].stride,
        "anti_alias": net.options.anti_alias,
        "drop_path": net.options.drop_path,
    }


def round_trip(original) -> None:
    """Decompile the state_dict of the model `original` compiles to: same IR, a strict load."""
    state = build(original).state_dict()
    result = resnetc.decompile(state, **flags(original))
    assert state_dict_layout(original) == {k: tuple(v.shape) for k, v in state.items()}
    default = all(s.stride == (2 if i else 1) for i, s in enumerate(original.stages))
    explained = default or any("stride:" in line for line in result.spec.splitlines())
    assert normal(result.network, strides=explained) == normal(original, strides=explained)
    build(result.network).load_state_dict(state, strict=True)


# ---------------------------------------------------------------- shipped specs and torchvision


@pytest.mark.parametrize("path", sorted(SPEC_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_spec_round_trips(path: Path) -> None:
    round_trip(analysed(path.read_bytes()))


def meta_state(name: str) -> dict:
    """torchvision's state_dict layout for `name`, as meta tensors."""
    return {k: torch.empty(v, device="meta") for k, v in REF[name]["state_dict"].items()}


@pytest.mark.parametrize("name", list(REF))
def test_torchvision_and_timm_layouts_load_strictly(name: str) -> None:
    state = meta_state(name)
    result = resnetc.decompile(state)
    assert result.network.name == name
    model = build(analysed(result.spec))
    model.load_state_dict(state, strict=True)
    assert sum(p.numel() for p in model.parameters()) == REF[name]["params"]
    assert resnetc.decompile(model.state_dict()).spec == result.spec


def test_resnext_and_wide_decompile_to_the_cells_a_user_would_write() -> None:
    resnext = resnetc.decompile(meta_state("resnext50_32x4d")).spec
    assert 'conv2_x: "[[1x1,128],[3x3,128,C=32],[1x1,256]] x 3"' in resnext
    assert 'conv5_x: "[[1x1,1024],[3x3,1024,C=32],[1x1,2048]] x 3"' in resnext
    wide = resnetc.decompile(meta_state("wide_resnet50_2")).spec
    assert 'conv2_x: "[[1x1,128],[3x3,128],[1x1,256]] x 3"' in wide
    assert 'conv4_x: "[[1x1,512],[3x3,512],[1x1,1024]] x 6"' in wide


@pytest.mark.parametrize("name", ["resnet18", "resnext50_32x4d"])
def test_decompiled_code_computes_what_torchvision_computes(name: str) -> None:
    weights = reference.randomized(meta_state(name))
    model = with_weights(analysed(resnetc.decompile(weights).spec), weights)
    x = torch.randn(1, 3, 48, 48, generator=torch.Generator().manual_seed(1))
    with torch.no_grad(), one_thread():
        torch.testing.assert_close(model(x), reference.forward(weights, x), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- random specs


@st.composite
def rows(draw, channels: int, width: int) -> list[tuple[int, int, int]]:
    """One block's rows: basic, bottleneck (maybe grouped) or any kernels and widths."""
    kind = draw(st.sampled_from(["basic", "bottleneck", "other"]))
    w = draw(st.integers(1, width))
    if kind == "basic":
        out = [(3, w, 1), (3, w, 1)]
    elif kind == "bottleneck":
        groups = draw(st.sampled_from([g for g in (1, 2, 4) if w % g == 0]))
        out = [(1, w, 1), (3, w, groups), (1, w * draw(st.integers(1, 4)), 1)]
    else:
        n = draw(st.integers(1, 4))
        out = [(draw(st.sampled_from([1, 3, 5])), draw(st.integers(1, width)), 1) for _ in range(n)]
    kernel, filters, groups = out[0]
    common = math.gcd(channels, filters, out[-1][1])
    if groups == 1:  # a grouped first row must divide the block's input channels too
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if common % g == 0]))
    return [(kernel, filters, groups), *out[1:]]


@st.composite
def specs(draw, width: int = 24) -> str:
    """A random valid spec within the conventions the decompiler assumes (or restates)."""
    kernel = draw(st.sampled_from([1, 3, 5, 7]))
    filters = draw(st.integers(1, width))
    imagenet = kernel >= 5
    stem = f"  conv1: {kernel}x{kernel}, {filters}" + (", /2" if imagenet else "")
    if imagenet and draw(st.booleans()):
        stem += "\n  pool: 3x3 max, /2"
    h, w = draw(st.integers(8, 64)), draw(st.integers(8, 64))
    channels, lines = filters, []
    for s in range(draw(st.integers(1, 4))):
        block = draw(rows(channels, width))
        cell = ",".join(f"[{k}x{k},{f}" + (f",C={g}]" if g > 1 else "]") for k, f, g in block)
        lines.append(f'  conv{s + 2}_x: "[{cell}] x {draw(st.integers(1, 3))}"')
        channels = block[-1][1]
    return "\n".join(
        [
            "name: net",
            f"input: {h}x{w}x{draw(st.integers(1, 4))}",
            f"classes: {draw(st.integers(1, 20))}",
            "stem:",
            stem,
            "stages:",
            *lines,
            "options:",
            f"  shortcut: {draw(st.sampled_from('ABC'))}",
            f"  downsample_at: {draw(st.sampled_from(['3x3', '1x1']))}",
            f"  preact: {draw(st.sampled_from(['false', 'true']))}",
            "",
        ]
    )


def _analysed(text: str):
    """The analysed IR, or None where the spec is refused (option A asked to drop channels)."""
    try:
        return analysed(text)
    except CompileError:
        return None


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LONG = settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
fuzz = pytest.mark.skipif(
    "'fuzz' not in config.getoption('markexpr') or 'not fuzz' in config.getoption('markexpr')",
    reason="a long run: select it with pytest -m fuzz",
)


def _property(text: str) -> None:
    net = _analysed(text)
    hypothesis.assume(net is not None)
    round_trip(net)


@FAST
@given(specs())
def test_random_specs_round_trip(text: str) -> None:
    _property(text)


@pytest.mark.fuzz
@fuzz
@LONG
@given(specs(width=64))
def test_random_specs_round_trip_long(text: str) -> None:
    _property(text)


def _same_outputs(text: str) -> None:
    original = _analysed(text)
    hypothesis.assume(original is not None)
    weights = reference.randomized(build(original).state_dict())
    model = with_weights(original, weights)
    again = with_weights(analysed(resnetc.decompile(weights, **flags(original)).spec), weights)
    x = torch.randn(2, original.input.c, 12, 10, generator=torch.Generator().manual_seed(2))
    with torch.no_grad(), one_thread():
        torch.testing.assert_close(again(x), model(x), rtol=0, atol=0)


@settings(max_examples=20, deadline=None)
@given(specs(width=8))
def test_random_specs_compute_the_same_outputs(text: str) -> None:
    _same_outputs(text)


@pytest.mark.fuzz
@fuzz
@settings(max_examples=500, deadline=None)
@given(specs(width=16))
def test_random_specs_compute_the_same_outputs_long(text: str) -> None:
    _same_outputs(text)
