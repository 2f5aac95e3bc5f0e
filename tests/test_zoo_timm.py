"""The shipped zoo specs are timm's models: same parameters, same state_dict, same outputs.

spec/resnet50d, resnet26t, seresnet50, ecaresnet50d, resnetrs50, resnet50_gn and the pruned
ecaresnet50d_pruned and ecaresnet101d_pruned (stages of several cells) compile to modules whose
state_dict has the keys and shapes of `timm.create_model(name)` (built on the meta device here, so
nothing is allocated), whose parameter count the compiler computes exactly, and which, loaded
with timm's weights (strict=True), give timm's outputs (eval, 1e-5). The outputs of all are the
slow marker's; the default run compares resnet26t's and ecaresnet50d_pruned's.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from resnetc.core import costs  # noqa: E402
from resnetc.pipeline import analyze  # noqa: E402
from resnetc.targets.torch.verify import load_module  # noqa: E402
from tests.conftest import GENERATED_DIR, SPEC_DIR  # noqa: E402
from tests.zoo import timm  # noqa: E402

ZOO = ["resnet50d", "resnet26t", "seresnet50", "ecaresnet50d", "resnetrs50", "resnet50_gn"]
ZOO += ["ecaresnet50d_pruned", "ecaresnet101d_pruned"]

TIMM_PARAMS = {  # sum(p.numel() for p in timm.create_model(name).parameters()), timm 1.0.31
    "resnet50d": 25_576_264,
    "resnet26t": 16_011_872,
    "seresnet50": 28_088_024,
    "ecaresnet50d": 25_576_350,
    "resnetrs50": 35_691_912,
    "resnet50_gn": 25_557_032,
    "ecaresnet50d_pruned": 19_939_713,
    "ecaresnet101d_pruned": 24_876_040,
}


def _generated(name: str):
    path = GENERATED_DIR / f"{name}.py"
    return getattr(load_module(name, path.read_text(encoding="utf-8")), name)


def _layout(model) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def randomized(model):
    """`model` with random BatchNorm statistics and norm affine parameters, so that outputs differ
    wherever a layer is wired differently."""
    gen = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=gen) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)
            m.weight.data.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(m.bias.shape, generator=gen) * 0.2 - 0.1)
        elif isinstance(m, torch.nn.GroupNorm) and m.affine:  # timm's resnet50_gn
            m.weight.data.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
            m.bias.data.copy_(torch.rand(m.bias.shape, generator=gen) * 0.2 - 0.1)
    return model.eval()


def _tensor(out):
    """A model's output as a tensor: HF's logits, or its backbone's pooled features."""
    if hasattr(out, "logits"):
        return out.logits
    if hasattr(out, "pooler_output"):
        return out.pooler_output.flatten(1)
    return out


def max_difference(theirs, mine, size: int = 64) -> float:
    """The largest output difference on a random batch (eval, no gradients)."""
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    x = x.to(next(theirs.parameters()).dtype)
    with torch.no_grad():
        return (_tensor(theirs(x)) - _tensor(mine(x))).abs().max().item()


@pytest.mark.parametrize("name", ZOO)
def test_parameters_and_state_dict_are_timms(name: str) -> None:
    lib = timm()
    path = SPEC_DIR / f"{name}.yaml"
    params, _ = costs.totals(analyze(path.read_bytes(), str(path)).network)
    with torch.device("meta"):
        theirs = lib.create_model(name, pretrained=False)
        mine = _generated(name)()
    assert params == TIMM_PARAMS[name] == sum(p.numel() for p in theirs.parameters())
    assert _layout(mine) == _layout(theirs)


def _check_outputs(name: str) -> None:
    torch.manual_seed(0)
    theirs = randomized(timm().create_model(name, pretrained=False))
    mine = _generated(name)().eval()
    mine.load_state_dict(theirs.state_dict(), strict=True)
    assert max_difference(theirs, mine) <= 1e-5


def test_resnet26t_gives_timms_outputs() -> None:
    _check_outputs("resnet26t")


def test_a_pruned_stage_gives_timms_outputs() -> None:
    """ecaresnet50d_pruned: every block of a stage has widths of its own (a list of cells)."""
    _check_outputs("ecaresnet50d_pruned")


@pytest.mark.slow
@pytest.mark.parametrize("name", ZOO)
def test_every_zoo_spec_gives_timms_outputs(name: str) -> None:
    _check_outputs(name)
