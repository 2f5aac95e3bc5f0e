"""`resnetc decompile` reads the zoos: timm's resnet.py and ResNetV2, HF transformers' ResNet.

Each model is decompiled (from the live module, and from its state_dict or a file, where the
weights cannot show everything), the spec is compiled, the model's weights are loaded into the
compiled module with strict=True (renamed by `--weights-out` where the layout's names differ)
and the outputs are compared (eval). The default run covers timm's two layouts and a pruned
ECA-ResNet (its stages lists of cells), in process; `pytest -m slow` runs the command on an HF
checkpoint and covers every model of timm's resnet.py and ResNetV2, and HF's configs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from resnetc import decompile  # noqa: E402
from resnetc.cli import main  # noqa: E402
from resnetc.core import costs  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.test_zoo_timm import max_difference, randomized  # noqa: E402
from tests.zoo import timm, transformers  # noqa: E402
from tests.zoo_roundtrip import compiled, round_trip  # noqa: E402

PRUNED = ["ecaresnet50d_pruned", "ecaresnet101d_pruned"]
"""timm's pruned ECA-ResNet-Ds: every block of a stage has widths of its own (timm's
models/_pruned/*.txt), read back as a list of cells per stage."""

ANTI_ALIASED = {"resnetblur": "blur", "resnetaa": "avg", "seresnetaa": "avg", "seresnextaa": "avg"}

V2 = ["resnetv2_18", "resnetv2_18d", "resnetv2_34", "resnetv2_34d", "resnetv2_50"]
V2 += ["resnetv2_50d", "resnetv2_50t", "resnetv2_101", "resnetv2_101d"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resnetc", *args], cwd=ROOT, capture_output=True, text=True
    )


def _anti_alias(name: str) -> str | None:
    return next((aa for word, aa in ANTI_ALIASED.items() if name.startswith(word)), None)


def _model(name: str):
    torch.manual_seed(0)
    return randomized(timm().create_model(name, pretrained=False))


# ---------------------------------------------------------------- the default run


def test_a_timm_checkpoint_with_anti_aliasing_says_so_and_its_flag_adds_it(tmp_path) -> None:
    model = _model("resnetaa50")
    path = tmp_path / "resnetaa50.pth"
    torch.save(model.state_dict(), path)
    result = decompile(path)
    plain = result.spec
    assert "checkpoint cannot show it; --anti-alias blur|avg" in " ".join(plain.split())
    assert ("no anti-aliasing", "--anti-alias blur|avg") in result.assumptions
    wrong = compiled(plain)().eval()
    wrong.load_state_dict(model.state_dict(), strict=True)  # it loads, and computes else
    assert max_difference(model, wrong) > 1e-2
    assert (
        main(["decompile", str(path), "-o", str(tmp_path / "aa.yaml"), "--anti-alias", "avg"]) == 0
    )
    spec = (tmp_path / "aa.yaml").read_text()
    assert "  anti_alias: avg\n" in spec and "name: resnetaa50\n" in spec
    mine = compiled(spec)().eval()
    mine.load_state_dict(model.state_dict(), strict=True)
    assert max_difference(model, mine) <= 1e-5


def test_a_live_module_shows_its_anti_aliasing_and_drop_path() -> None:
    model = timm().create_model("resnetblur50d", pretrained=False, drop_path_rate=0.05)
    result = decompile(model)
    assert result.network.options.anti_alias == "blur"
    assert result.network.options.drop_path == 0.05
    assert "  # from the module: anti-aliased downsampling, a 3x3 blur" in result.spec
    assert round_trip(_model("resnetblur50d"))[0] <= 1e-5


def test_timm_resnetv2_writes_weights_under_the_generated_names(tmp_path, capsys) -> None:
    model = _model("resnetv2_18d")
    path = tmp_path / "v2.pth"
    torch.save(model.state_dict(), path)
    out, weights = tmp_path / "v2.yaml", tmp_path / "v2.safetensors"
    args = ["decompile", str(path), "-o", str(out), "--avg-down", "--weights-out", str(weights)]
    assert main(args) == 0, capsys.readouterr().err
    assert "under the generated module's names" in capsys.readouterr().out
    spec = out.read_text()
    assert "name: resnetv2_18d\n" in spec and "  preact: true\n" in spec
    from safetensors.torch import load_file

    mine = compiled(spec)().eval()
    mine.load_state_dict(load_file(weights), strict=True)
    assert max_difference(model.double(), mine.double()) <= 1e-5  # large preact activations


@pytest.mark.parametrize("name", PRUNED)
def test_timms_pruned_nets_are_read_as_lists_of_cells(name: str) -> None:
    with torch.device("meta"):  # shapes only: nothing is allocated
        model = timm().create_model(name, pretrained=False)
    result = decompile(model.state_dict())
    assert result.network.name == name and result.found.pruned
    assert f"# {name}: a {result.found.depth}-layer pruned ResNet, decompiled" in result.spec
    assert "# from the weights: the blocks of every stage differ in their widths" in result.spec
    for stage, theirs in zip(result.network.stages, (model.layer1, model.layer2, model.layer3,
                             model.layer4), strict=True):  # fmt: skip
        widths = [tuple(c.out_channels for c in (b.conv1, b.conv2, b.conv3)) for b in theirs]
        assert [cell.count for cell in stage.cells] == [1] * len(theirs)  # no two blocks alike
        assert [tuple(r.filters for r in cell.rows) for cell in stage.cells] == widths
    params, _ = costs.totals(result.network)
    assert params == sum(p.numel() for p in model.parameters())
    summary = result.summary()  # the deep stem whole, from the input's channels
    assert " ".join(summary[2].split()) == "conv1 3x3, 32; 3x3, 32; 3x3, 64 from 3 input channels"
    if name == "ecaresnet50d_pruned":
        assert (
            "  conv2_x:\n"
            '    - "[[1x1,47],[3x3,18],[1x1,19],[eca,k=5]] x 1"\n'
            '    - "[[1x1,52],[3x3,22],[1x1,19],[eca,k=5]] x 1"\n'
        ) in result.spec


@pytest.mark.parametrize(  # the default run compares the smaller one's outputs
    "name", ["ecaresnet50d_pruned", pytest.param("ecaresnet101d_pruned", marks=pytest.mark.slow)]
)
def test_timms_pruned_nets_decompile_to_their_outputs(name: str, tmp_path) -> None:
    model = _model(name)
    path, out = tmp_path / f"{name}.pth", tmp_path / "net.yaml"
    torch.save(model.state_dict(), path)
    assert main(["decompile", str(path), "-o", str(out)]) == 0
    spec = out.read_text()
    assert f"name: {name}\n" in spec
    mine = compiled(spec)().eval()
    mine.load_state_dict(model.state_dict(), strict=True)
    assert max_difference(model, mine, 64) <= 1e-5
    assert round_trip(model)[0] <= 1e-5  # the live module: the same spec, its strides seen


@pytest.mark.slow
def test_hf_resnet_for_image_classification_round_trips(tmp_path) -> None:
    tf = transformers()
    config = tf.ResNetConfig(embedding_size=16, hidden_sizes=[32, 64, 96, 128], depths=[1, 2, 1, 1])
    torch.manual_seed(0)
    model = randomized(tf.ResNetForImageClassification(config))
    path = tmp_path / "hf.safetensors"
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path))
    out, weights = tmp_path / "hf.yaml", tmp_path / "hf_resnetc.pth"
    run = _run("decompile", str(path), "-o", str(out), "--weights-out", str(weights))
    assert run.returncode == 0, run.stderr
    mine = compiled(out.read_text())().eval()
    mine.load_state_dict(torch.load(weights, weights_only=True), strict=True)
    assert max_difference(model, mine) <= 1e-5


@pytest.mark.slow
def test_a_checkpoint_that_needs_no_renaming_loads_as_it_is(tmp_path) -> None:
    path = tmp_path / "r26t.pth"
    torch.save(_model("resnet26t").state_dict(), path)
    run = _run("decompile", str(path), "-o", str(tmp_path / "x.yaml"), "--weights-out", "w.pth")
    assert run.returncode == 0, run.stderr
    assert "it loads as it is, nothing written" in run.stdout
    assert not Path(ROOT / "w.pth").exists()


# ---------------------------------------------------------------- the slow batteries


def _resnet_py() -> list[str]:
    try:
        return sorted(timm().list_models(module="resnet"))
    except BaseException:  # collected without timm: the test itself skips, saying why
        return ["resnet18"]


@pytest.mark.slow
@pytest.mark.parametrize("name", _resnet_py())
def test_every_timm_resnet_decompiles_to_its_outputs(name: str) -> None:
    model = _model(name)
    assert round_trip(model)[0] <= 1e-5  # the live module shows everything
    aa = _anti_alias(name)
    assert round_trip(model, model.state_dict(), anti_alias=aa)[0] <= 1e-5


@pytest.mark.slow
@pytest.mark.parametrize("name", V2)
def test_every_timm_resnetv2_decompiles_to_its_outputs(name: str) -> None:
    model = _model(name).double()  # pre-activation nets grow large: compare in float64
    assert round_trip(model)[0] <= 1e-5
    avg = name.endswith(("d", "t"))
    assert round_trip(model, model.state_dict(), avg_down=avg)[0] <= 1e-5


HF = [
    {"layer_type": "bottleneck"},
    {"layer_type": "basic"},
    {"layer_type": "bottleneck", "downsample_in_first_stage": True},
    {"layer_type": "basic", "downsample_in_first_stage": True},
    {"layer_type": "bottleneck", "downsample_in_bottleneck": True},
]


@pytest.mark.slow
@pytest.mark.parametrize("head", [True, False], ids=["classifier", "backbone"])
@pytest.mark.parametrize("options", HF, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_hf_resnets_decompile_to_their_outputs(options: dict, head: bool) -> None:
    tf = transformers()
    sizes = [64, 128, 256, 512] if options["layer_type"] == "basic" else [256, 512, 1024, 2048]
    config = tf.ResNetConfig(hidden_sizes=sizes, depths=[2, 1, 2, 1], **options)
    torch.manual_seed(0)
    model = (tf.ResNetForImageClassification if head else tf.ResNetModel)(config)
    classes = None if head else 10
    assert round_trip(model, classes=classes)[0] <= 1e-5
    flags = {"classes": classes}
    if options.get("downsample_in_first_stage"):
        flags["strides"] = (2, 2, 2, 2)
    if options.get("downsample_in_bottleneck"):
        flags["downsample_at"] = "1x1"
    assert round_trip(model, model.state_dict(), **flags)[0] <= 1e-5
