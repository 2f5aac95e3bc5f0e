"""SENet-154's 3x3 projections (`shortcut_kernel: 3x3`) and GroupNorm (`norm: GN, G=32`): the
notation, its shapes and exact costs against the instantiated timm models (on the meta device),
the torch module's state_dict, the spec writer, decompile (from a state_dict's shapes and from a
live module), the teaching text, and the targets that refuse them. All in process and fast; the
slow batteries of test_zoo_decompile.py and test_zoo_timm.py compare the outputs.
"""

from __future__ import annotations

from functools import partial

import pytest

torch = pytest.importorskip("torch")

from resnetc import decompile  # noqa: E402
from resnetc.core import costs  # noqa: E402
from resnetc.core.spec_writer import network_spec  # noqa: E402
from resnetc.pipeline import analyze, target  # noqa: E402
from resnetc.teach.markdown import markdown  # noqa: E402
from resnetc.teach.variants import toggles  # noqa: E402
from tests.conftest import SPEC_DIR  # noqa: E402
from tests.zoo import timm  # noqa: E402
from tests.zoo_roundtrip import compiled  # noqa: E402

SENET154 = """\
name: senet154
input: 224x224x3
classes: 1000
stem:
  conv1: 3x3, 64, /2; 3x3, 64; 3x3, 128
  pool: 3x3 max, /2
stages:
  conv2_x: "[[1x1,128],[3x3,256,C=64],[1x1,256],[fc,[16,256]]] x 3"
  conv3_x: "[[1x1,256],[3x3,512,C=64],[1x1,512],[fc,[32,512]]] x 8"
  conv4_x: "[[1x1,512],[3x3,1024,C=64],[1x1,1024],[fc,[64,1024]]] x 36"
  conv5_x: "[[1x1,1024],[3x3,2048,C=64],[1x1,2048],[fc,[128,2048]]] x 3"
options:
  shortcut_kernel: 3x3
"""

PARAMS = {"senet154": 115_088_984, "resnet50_gn": 25_557_032}
"""sum(p.numel() for p in timm.create_model(name).parameters()), timm 1.0.31."""


def _layout(module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def _theirs(name: str, **kwargs):
    with torch.device("meta"):
        return timm().create_model(name, pretrained=False, **kwargs)


def _words(analysis) -> str:
    """The explain walk, its lines joined."""
    return " ".join(markdown(analysis).split())


def _gn_text() -> str:
    return (SPEC_DIR / "resnet50_gn.yaml").read_text()


# ---------------------------------------------------------------- SENet-154's projections


def test_senet154_is_timms_in_parameters_and_state_dict() -> None:
    net = analyze(SENET154.encode(), "senet154.yaml").network
    assert net.options.shortcut_kernel == 3
    kernels = [(s.blocks[0].shortcut.kernel, s.blocks[0].stride) for s in net.stages]
    assert kernels == [(1, 1), (3, 2), (3, 2), (3, 2)]  # timm: 1x1 where it does not stride
    conv = net.stages[1].blocks[0].shortcut.layers[0]
    assert (conv.name, conv.kernel, conv.padding, conv.stride) == ("downsample.0", 3, 1, 2)
    assert conv.output == (512, 28, 28)
    assert costs.layer_cost(conv).params == 512 * 256 * 9
    theirs = _theirs("senet154")
    assert costs.totals(net)[0] == PARAMS["senet154"] == sum(p.numel() for p in theirs.parameters())
    with torch.device("meta"):
        mine = compiled(SENET154)()
    assert _layout(mine) == _layout(theirs)


def test_the_3x3_projection_is_written_back_explained_and_refused_by_keras_and_flax() -> None:
    analysis = analyze(SENET154.encode(), "senet154.yaml")
    net = analysis.network
    text = network_spec(net)
    assert "  shortcut_kernel: 3x3\n" in text
    again = analyze(text.encode(), "again.yaml").network
    assert [s.cell_text for s in again.stages] == [s.cell_text for s in net.stages]
    assert again.options.shortcut_kernel == 3 and costs.totals(again) == costs.totals(net)
    words = _words(analysis)
    assert (
        "has a 3x3 projection shortcut (`downsample`: conv 3x3/2, padding 1, + BatchNorm;" in words
    )
    assert "`shortcut_kernel: 3x3`" in words
    hints = [o.hint for o in toggles(net)[1].options]  # the page's shortcut toggle says so too
    assert hints[1:] == [
        "a projection (3x3 where it strides, else 1x1) where the shape changes",
        "a projection (3x3 where it strides, else 1x1) in every block",
    ]
    for name in ("keras", "flax"):
        found = target(name).refusals(net)
        option = [d for d in found if "a 3x3 projection shortcut" in d.message]
        assert option and option[0].span is not None and option[0].span.line == 13
        assert any("a projection shortcut other than a 1x1 conv" in d.message for d in found)


def test_decompile_reads_senet154s_3x3_projections_from_the_shapes() -> None:
    result = decompile(_theirs("senet154").state_dict())
    assert "  shortcut_kernel: 3x3\n" in result.spec
    assert result.network.name == "senet154"  # as Hu et al. count it: the deep stem's 3 convs
    assert "layer2.0.downsample.0 is a 3x3 conv" in " ".join(result.spec.split())
    assert costs.totals(result.network)[0] == PARAMS["senet154"]
    assert result.network.stages[0].blocks[0].shortcut.kernel == 1


# ---------------------------------------------------------------- GroupNorm


def test_resnet50_gn_is_timms_with_group_norms_and_no_running_statistics() -> None:
    analysis = analyze(_gn_text().encode(), "resnet50_gn.yaml")
    net = analysis.network
    norms = [x for s in net.stages for b in s.blocks for x in (*b.layers, *b.shortcut.layers)]
    norms = [x for x in norms if type(x).__name__ == "Norm"] + [net.stem.norm]
    assert norms and all(n.groups == 32 for n in norms)
    assert costs.layer_op(net.stem.norm) == "gn G=32"
    with torch.device("meta"):
        mine = compiled(_gn_text())()
    assert isinstance(mine.bn1, torch.nn.GroupNorm) and mine.bn1.num_groups == 32
    assert not any("running" in k or "num_batches" in k for k in mine.state_dict())
    assert costs.totals(net)[0] == PARAMS["resnet50_gn"]
    assert "  norm: GN, G=32\n" in network_spec(net)
    assert "Each norm is a GroupNorm of 32 groups" in _words(analysis)


def test_a_group_norm_checkpoint_says_its_groups_are_assumed_and_the_flag_changes_them() -> None:
    state = _theirs("resnet50_gn").state_dict()
    result = decompile(state)
    flat = " ".join(result.spec.split())
    assert "  norm: GN, G=32\n" in result.spec and "name: resnet50_gn\n" in result.spec
    assert "the group count leaves no trace in the weights" in flat
    assert "--norm-groups G changes it (options: norm)" in flat
    assert ("GroupNorm of 32 groups", "--norm-groups G") in result.assumptions
    assert "  norm: GN, G=16\n" in decompile(state, norm_groups=16).spec


def test_a_live_group_norm_module_shows_its_groups() -> None:
    from timm.layers import GroupNorm

    model = _theirs("resnet50_gn", norm_layer=partial(GroupNorm, num_groups=16))
    result = decompile(model)
    assert "  norm: GN, G=16\n" in result.spec
    assert "# from the module: 16 groups" in result.spec
    assert result.network.stem.norm.groups == 16


def test_group_norm_is_refused_by_keras_and_flax_once_at_the_option() -> None:
    net = analyze(_gn_text().encode(), "resnet50_gn.yaml").network
    for name in ("keras", "flax"):
        found = target(name).refusals(net)
        messages = [d.message for d in found]
        assert sum("a GroupNorm (`Norm.groups`)" in m for m in messages) == 1
        (option,) = [
            d for d in found if "GroupNorm (`norm: GN`) in place of BatchNorm" in d.message
        ]
        assert option.span is not None and option.span.line == 24


def test_norm_groups_is_refused_for_a_batchnorm_checkpoint() -> None:
    from resnetc.front.diagnostics import CompileError

    with pytest.raises(CompileError, match="they are BatchNorms, which have no groups"):
        decompile(_theirs("resnet18").state_dict(), norm_groups=32)


TINY_GN = """\
name: tiny_gn
input: 32x32x3
classes: 10
stem:
  conv1: 3x3, 32
stages:
  conv2_x: "[[3x3,32],[3x3,32]] x 1"
  conv3_x: "[[3x3,64],[3x3,64]] x 1"
options:
  norm: GN, G=16
"""


def test_the_decompile_command_takes_norm_groups(tmp_path, capsys) -> None:
    from resnetc.cli import main

    path, out = tmp_path / "tiny_gn.pth", tmp_path / "tiny.yaml"
    torch.save(compiled(TINY_GN)().state_dict(), path)
    assert main(["decompile", str(path), "-o", str(out), "--norm-groups", "16"]) == 0
    assert "every norm a GroupNorm of 16 groups" in capsys.readouterr().out
    spec = out.read_text()
    assert "  # from --norm-groups: 16 groups\n  norm: GN, G=16\n" in spec
    assert main(["decompile", str(path), "-o", "-"]) == 0
    assert "  norm: GN, G=32\n" in capsys.readouterr().out  # the assumption, 32 dividing 32, 64
