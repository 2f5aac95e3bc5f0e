"""Decompile: the inputs it reads, the spec it writes, the assumptions and flags, the command.

Refusals are in test_decompile_refusals.py and round trips in test_decompile_roundtrip.py.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import NamedTuple

import pytest

torch = pytest.importorskip("torch")

from resnetc import decompile  # noqa: E402
from resnetc.checkpoint.decompiler import check_layout  # noqa: E402
from resnetc.checkpoint.read import Checkpoint  # noqa: E402
from resnetc.cli import main  # noqa: E402
from resnetc.front.diagnostics import CompileError  # noqa: E402
from tests.conftest import REFERENCE, ROOT, unmarked  # noqa: E402
from tests.test_decompile_roundtrip import analysed, build, normal  # noqa: E402
from tests.test_startup import _imported  # noqa: E402

REF = json.loads(REFERENCE.read_text())


def tv(name: str, device: str = "meta") -> dict:
    """torchvision's state_dict layout for `name` (zeros on the CPU, or meta tensors)."""
    return {k: torch.zeros(v, device=device) for k, v in REF[name]["state_dict"].items()}


def net_of(text: str):
    """The meta-device model a spec compiles to."""
    return build(analysed(text))


RESNET50_SPEC = """\
# resnet50: a 50-layer ResNet, decompiled by resnetc from a state_dict.
# The weights fixed every kernel, width, group count and repeat, the input channels, the shortcuts
# and the classes. Strides, pooling and the input size leave no trace in the weights: lines marked
# 'assumed' follow the ImageNet convention (a 7x7 stem) and name the flag of `resnetc decompile`
# that changes them.
name: resnet50
# assumed: a 224x224 input, the ImageNet size; change it with --input HxW
input: 224x224x3
classes: 1000
stem:
  # assumed: conv1 stride 2, the ImageNet stem; change it with --stem-stride N
  conv1: 7x7, 64, /2
  # assumed: a 3x3 max pool /2 after conv1 (a pool has no weights); leave it out with --no-pool
  pool: 3x3 max, /2
# assumed: each stage after the first halves the map in its first block; give a stage `stride: 1`
# to keep its size, or pass --strides S,S,... (HF's downsample_in_first_stage: 2,2,2,2)
stages:
  conv2_x: "[[1x1,64],[3x3,64],[1x1,256]] x 3"
  conv3_x: "[[1x1,128],[3x3,128],[1x1,512]] x 4"
  conv4_x: "[[1x1,256],[3x3,256],[1x1,1024]] x 6"
  conv5_x: "[[1x1,512],[3x3,512],[1x1,2048]] x 3"
options:
  # assumed: a stage's stride sits on its first block's 3x3 (torchvision, 'ResNet v1.5');
  # --downsample-at 1x1 puts it on the first 1x1 (the paper's v1)
  downsample_at: 3x3
  # from the weights: a projection (downsample.0/.1) in each block that changes shape
  shortcut: B
  # assumed: no anti-aliasing: a blur or average pool after each strided conv (timm's resnetblur*,
  # resnetaa*, aa_layer) has no weights, so the checkpoint cannot show it; --anti-alias blur|avg
  # adds it (options: anti_alias)
  # assumed: no stochastic depth (drop path acts in training only and has no weights); --drop-path
  # RATE sets timm's drop_path_rate
  # assumed: no dilation (timm's output_stride 32): a dilated stage has the weights of a strided
  # one, and resnetc's convolutions are not dilated; a checkpoint trained with output_stride 8 or
  # 16 computes other features here
"""


def test_the_written_spec_for_torchvision_resnet50() -> None:
    result = decompile(tv("resnet50", "meta"))
    assert result.spec == RESNET50_SPEC
    assert result.analysis.warnings == ()
    assert result.network.class_name == "ResNet50"


# ---------------------------------------------------------------- inputs


def _save(path: Path, obj: object, **kwargs) -> Path:
    torch.save(obj, path, **kwargs)
    return path


SD = "resnet18"
WRAPPED = {
    "plain": lambda sd: sd,
    "state_dict": lambda sd: {"state_dict": sd, "epoch": 90, "optimizer": {"state": {}}},
    "model_state_dict": lambda sd: {"model_state_dict": sd, "loss": 0.5},
    "model": lambda sd: {"model": sd, "arch": "resnet18"},
    "ddp": lambda sd: {"state_dict": {f"module.{k}": v for k, v in sd.items()}},
    "lightning": lambda sd: {"state_dict": {f"model.{k}": v for k, v in sd.items()}},
    "torch_compile": lambda sd: {f"_orig_mod.{k}": v for k, v in sd.items()},
    "ddp_of_compiled": lambda sd: {f"module._orig_mod.{k}": v for k, v in sd.items()},
    # pytorch/examples' imagenet script: a tensor beside the state_dict must not be taken for one
    "imagenet_example": lambda sd: {
        "epoch": 3,
        "arch": "resnet18",
        "state_dict": sd,
        "best_acc1": torch.tensor(69.7),
        "optimizer": {},
    },
    # timm's train.py: the arguments as an argparse.Namespace, and an EMA copy
    "timm": lambda sd: {
        "epoch": 3,
        "arch": "resnet18",
        "state_dict": sd,
        "version": 2,
        "args": argparse.Namespace(model="resnet18", lr=0.1),
        "state_dict_ema": sd,
    },
}


@pytest.mark.parametrize("wrapper", list(WRAPPED))
def test_checkpoint_files_as_training_scripts_save_them(wrapper: str, tmp_path: Path) -> None:
    path = _save(tmp_path / "ckpt.pth", WRAPPED[wrapper](tv(SD, "cpu")))
    result = decompile(path)
    assert result.network.name == "resnet18"
    assert result.spec == decompile(tv(SD)).spec.replace("a state_dict", "ckpt.pth")


def test_the_reading_is_described() -> None:
    result = decompile(WRAPPED["ddp"](tv(SD)))
    assert result.checkpoint.origin == (
        "the state_dict under 'state_dict'",
        "the prefix 'module.' stripped from every key",
    )
    timm = decompile(WRAPPED["timm"](tv(SD)))
    assert (
        "(the file also holds 'epoch', 'arch', 'version', 'args', 'state_dict_ema')"
        in (timm.summary()[0])
    )


def test_the_legacy_pickle_format_is_read(tmp_path: Path) -> None:
    path = _save(tmp_path / "old.pth", tv(SD, "cpu"), _use_new_zipfile_serialization=False)
    assert decompile(path).network.name == "resnet18"


def test_safetensors_are_read_from_the_header_alone(monkeypatch, tmp_path: Path) -> None:
    import safetensors
    from safetensors.torch import save_file

    save_file(tv(SD, "cpu"), tmp_path / "w.safetensors")
    real = safetensors.safe_open

    class HeaderOnly:
        def __init__(self, *args, **kwargs) -> None:
            self.inner = real(*args, **kwargs)

        def __enter__(self):
            self.inner.__enter__()
            return self

        def __exit__(self, *exc) -> None:
            self.inner.__exit__(*exc)

        def keys(self):
            return self.inner.keys()

        def get_slice(self, key):
            return self.inner.get_slice(key)

        def get_tensor(self, key):
            raise AssertionError(f"{key} was loaded")

    monkeypatch.setattr(safetensors, "safe_open", HeaderOnly)
    result = decompile(tmp_path / "w.safetensors")
    assert result.checkpoint.origin == ("a safetensors file (header only)",)
    assert result.spec == decompile(tv(SD)).spec.replace("a state_dict", "w.safetensors")


def test_safetensors_need_no_torch(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    save_file(tv(SD, "cpu"), tmp_path / "w.safetensors")
    code = f"import resnetc; resnetc.decompile({str(tmp_path / 'w.safetensors')!r})"
    names = _imported(tmp_path, [], code)
    assert "resnetc.checkpoint.recognize" in names
    assert "torch" not in names


def test_a_live_module_and_a_wrapped_one() -> None:
    model = net_of((ROOT / "spec/resnet34.yaml").read_text())
    direct = decompile(model)
    assert direct.network.name == "resnet34"
    assert direct.checkpoint.origin == ("the state_dict of a live ResNet34 module",)
    wrapper = torch.nn.Module()
    wrapper.module = model  # how DistributedDataParallel holds it
    assert decompile(wrapper).spec == direct.spec.replace("ResNet34", "Module")


def test_checkpoints_without_num_batches_tracked_load_strictly() -> None:
    old = {k: v for k, v in tv(SD).items() if not k.endswith("num_batches_tracked")}
    model = net_of(decompile(old).spec)
    model.load_state_dict(old, strict=True, assign=True)  # BatchNorm fills num_batches_tracked in
    assert model.bn1.num_batches_tracked.item() == 0


def test_the_layout_check_can_fail() -> None:
    found = decompile(tv(SD)).found
    net = analysed((ROOT / "spec/resnet34.yaml").read_text())
    shapes = {k: tuple(v) for k, v in REF[SD]["state_dict"].items()}
    with pytest.raises(AssertionError, match=r"differs from x\.pth at layer1\.2"):
        check_layout(net, Checkpoint("x.pth", shapes), found)


# ---------------------------------------------------------------- stages whose blocks differ


def _bn(name: str, channels: int) -> dict:
    parts = ("weight", "bias", "running_mean", "running_var")
    return {f"{name}.{p}": torch.zeros(channels, device="meta") for p in parts}


def pruned_resnet34() -> dict:
    """resnet34 with layer2.1 narrowed inside (its conv1 of 96 filters, as pruning leaves it)
    and an ECA module in layer1's blocks, of 3 taps but for layer1.2's 5."""
    state = tv("resnet34")
    state["layer2.1.conv1.weight"] = torch.zeros(96, 128, 3, 3, device="meta")
    state["layer2.1.conv2.weight"] = torch.zeros(128, 96, 3, 3, device="meta")
    state.update(_bn("layer2.1.bn1", 96))
    for i, k in ((0, 3), (1, 3), (2, 5)):
        state[f"layer1.{i}.se.conv.weight"] = torch.zeros(1, 1, k, device="meta")
    return state


def test_blocks_that_differ_start_a_new_cell_and_equal_ones_repeat_it() -> None:
    from resnetc.checkpoint.recognize import recognise

    found = recognise({k: tuple(v.shape) for k, v in pruned_resnet34().items()})
    assert [len(s.cells) for s in found.stages] == [2, 3, 1, 1]
    assert found.stages[0].cell_texts == (
        "[[3x3,64],[3x3,64],[eca,k=3]] x 2",
        "[[3x3,64],[3x3,64],[eca,k=5]] x 1",
    )
    assert found.stages[1].cell_texts == (  # layer2.2 is layer2.0 again, yet a cell of its own
        "[[3x3,128],[3x3,128]] x 1",
        "[[3x3,96],[3x3,128]] x 1",
        "[[3x3,128],[3x3,128]] x 2",
    )
    assert found.stages[1].rows == found.stages[1].cells[0].rows and found.stages[1].repeats == 4
    assert found.pruned and found.depth == 34 and found.kind == "pruned ResNet"


def test_a_stage_whose_blocks_differ_is_written_as_a_list_of_cells() -> None:
    state = pruned_resnet34()
    result = decompile(state)
    assert result.network.name == "ecaresnet34_pruned"
    assert (
        "# from the weights: the blocks of conv2_x and conv3_x differ in their widths (a pruned"
        " network's,\n# as timm's ecaresnet50d_pruned), so each of those is a list of cells, one"
        " per run of identical\n# blocks, every one ending at the stage's width\nstages:\n"
    ) in result.spec
    assert (
        "  conv3_x:\n"
        '    - "[[3x3,128],[3x3,128]] x 1"\n'
        '    - "[[3x3,96],[3x3,128]] x 1"\n'
        '    - "[[3x3,128],[3x3,128]] x 2"\n'
        '  conv4_x: "[[3x3,256],[3x3,256]] x 6"\n'
    ) in result.spec
    assert [s.pruned for s in result.network.stages] == [True, True, False, False]
    net_of(result.spec).load_state_dict(state, strict=True, assign=True)
    summary = result.summary()
    assert summary[1].startswith("recognised a 34-layer pruned ResNet in its")
    assert summary[5:8] == [  # one line a cell
        "  conv3_x  [[3x3,128],[3x3,128]] x 1          basic blocks",
        "           [[3x3,96],[3x3,128]] x 1           blocks of 2 convolutions",
        "           [[3x3,128],[3x3,128]] x 2          basic blocks",
    ]
    # a stage of its own stride: its cells listed under `cell:`
    again = decompile(net_of(result.spec).state_dict(), strides=(1, 1, 2, 2))
    assert (
        '  conv3_x:\n    cell:\n      - "[[3x3,128],[3x3,128]] x 1"\n'
        '      - "[[3x3,96],[3x3,128]] x 1"\n      - "[[3x3,128],[3x3,128]] x 2"\n'
        "    stride: 1\n"
    ) in again.spec
    assert again.network.stages[1].stride == 1
    assert again.network.stages[1].cell_texts == result.network.stages[1].cell_texts


# ---------------------------------------------------------------- assumptions and flags

CIFAR = """\
name: cifar
input: 32x32x3
classes: 10
stem:
  conv1: 3x3, 16
stages:
  conv2_x: "[[3x3,16],[3x3,16]] x 3"
  conv3_x: "[[3x3,32],[3x3,32]] x 3"
  conv4_x: "[[3x3,64],[3x3,64]] x 3"
options:
  shortcut: {shortcut}
"""


@pytest.mark.parametrize("shortcut", ["A", "B", "C"])
def test_a_3x3_stem_follows_the_cifar_convention(shortcut: str) -> None:
    state = net_of(CIFAR.format(shortcut=shortcut)).state_dict()
    spec = decompile(state).spec
    assert (
        "# assumed: a 32x32 input, the CIFAR size; change it with --input HxW\ninput: 32x32x3\n"
        in (spec)
    )
    assert "  conv1: 3x3, 16\n" in spec
    assert "  # assumed: no pool after conv1, as in the CIFAR stem;" in spec
    assert f"  shortcut: {shortcut}\n" in spec
    assert "downsample_at" not in spec  # basic blocks: nothing to assume
    same = normal(decompile(state, name="cifar").network)
    assert same == normal(analysed(CIFAR.format(shortcut=shortcut)))
    assert decompile(state).network.name == "resnet20"


def test_flags_replace_the_assumptions() -> None:
    result = decompile(
        tv("resnet50"),
        name="r50",
        input="160x128",
        downsample_at="1x1",
        pool=False,
        stem_stride=1,
        strides=(1, 2, 2, 2),
        drop_path=0.1,
    )
    spec = result.spec
    assert "# from --input 160x128\ninput: 160x128x3\n" in spec
    assert "  # from --stem-stride 1\n  conv1: 7x7, 64\n" in spec
    assert "  # from --no-pool: no pooling after conv1\n# from --strides" in spec
    assert "  pool:" not in spec
    assert "  # from --downsample-at\n  downsample_at: 1x1\n" in spec
    assert "# from --strides: each stage's stride (1, 2, 2, 2)\n" in spec
    assert "  drop_path: 0.1\n" in spec
    assert [a for a, _ in result.assumptions] == ["no anti-aliasing", "no dilation"]
    net = result.network
    assert net.options.drop_path == 0.1
    blurred = decompile(tv("resnet50"), anti_alias="blur")
    assert "  anti_alias: blur\n" in blurred.spec
    assert blurred.network.options.anti_alias == "blur"
    assert (net.name, net.input.h, net.input.w, net.stem.conv.stride) == ("r50", 160, 128, 1)
    assert net.stem.pool is None and net.options.downsample_at == "1x1"
    assert net.stages[1].blocks[0].convs[0].stride == 2  # the paper's v1: on the first 1x1


def test_input_channels_and_classes_come_from_the_weights() -> None:
    gray = decompile(tv(SD), input="64x64x3").network
    assert gray.input.c == 3
    with pytest.raises(CompileError, match=r"--input asks for 1 input channels, but conv1\.weight"):
        decompile(tv(SD), input="64x64x1")
    with pytest.raises(CompileError, match=r"--classes 10, but fc\.weight"):
        decompile(tv(SD), classes=10)
    assert decompile(tv(SD), classes=1000).network.classes == 1000


def test_a_headless_backbone_needs_classes_and_then_loads_all_but_fc() -> None:
    backbone = {k: v for k, v in tv(SD).items() if not k.startswith("fc.")}
    with pytest.raises(CompileError) as info:
        decompile(backbone)
    assert "fc.weight is missing: the checkpoint has no classifier" in info.value.render()
    assert "pass --classes N" in info.value.render()
    result = decompile(backbone, classes=10)
    assert "# from --classes: the checkpoint has no fc" in result.spec
    missing, unexpected = net_of(result.spec).load_state_dict(backbone, strict=False)
    assert (sorted(missing), unexpected) == (["fc.bias", "fc.weight"], [])


def test_bad_options_are_value_errors() -> None:
    for options in (
        {"name": "class"},
        {"input": "32"},
        {"downsample_at": "2x2"},
        {"stem_stride": 0},
        {"classes": 0},
    ):
        with pytest.raises(ValueError):
            decompile(tv(SD), **options)


STRIDES = """\
name: odd
input: 64x64x3
classes: 5
stem:
  conv1: 3x3, 8
stages:
  conv2_x:
    cell: "[[3x3,8],[3x3,8]] x 2"
    stride: 2
  conv3_x: "[[3x3,16],[3x3,16]] x 2"
  conv4_x:
    cell: "[[3x3,16],[3x3,16]] x 2"
    stride: 1
"""


def test_option_b_projections_show_strides_where_channels_stay() -> None:
    state = net_of(STRIDES).state_dict()
    result = decompile(state, name="odd", input="64x64")
    spec = result.spec
    assert (
        '  conv2_x:\n    cell: "[[3x3,8],[3x3,8]] x 2"\n    # from the weights: layer1.0 keeps 8'
        " channels yet has a projection: under option B its map\n    # halves\n    stride: 2\n"
    ) in spec
    assert "layer3.0 keeps 16 channels and has no projection: under option B its map\n" in spec
    assert '  conv3_x: "[[3x3,16],[3x3,16]] x 2"\n' in spec
    assert normal(result.network) == normal(analysed(STRIDES))


# ---------------------------------------------------------------- the command


class Run(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def resnetc(capsys):
    """`resnetc ARGS...` in this process (torch is already imported): exit code and output."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors
            code = exc.code
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run


def test_the_command_writes_the_spec_and_says_what_it_recognised(resnetc, tmp_path: Path) -> None:
    ckpt = _save(tmp_path / "resnext.pth", {"state_dict": tv("resnext50_32x4d", "cpu")})
    out = tmp_path / "spec" / "mine.yaml"
    run = resnetc("decompile", str(ckpt), "-o", str(out), "--name", "mine")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    lines = run.stdout.splitlines()
    assert lines[0] == f"read {ckpt}: the state_dict under 'state_dict'"
    assert lines[1] == "recognised a 50-layer ResNet in its 320 tensors, 25,028,904 parameters:"
    assert lines[3] == (
        "  conv2_x  [[1x1,128],[3x3,128,C=32],[1x1,256]] x 3     bottlenecks, expansion 4"
    )
    assert "  input 224x224                                 --input HxW" in lines
    assert lines[-1] == f"wrote {out}; compile it with: resnetc compile {out} -o DIR"
    expected = decompile(ckpt, name="mine", filename=str(out)).spec
    assert unmarked(out.read_text()) == expected
    assert sorted(p.name for p in out.parent.iterdir()) == ["mine.yaml"]  # no temporary left
    compiled = resnetc("compile", str(out), "-o", str(tmp_path / "gen"))
    assert compiled.returncode == 0, compiled.stderr


def test_the_command_never_overwrites_unless_forced(resnetc, tmp_path: Path) -> None:
    ckpt = _save(tmp_path / "r18.pth", tv(SD, "cpu"))
    out = tmp_path / "r18.yaml"
    out.write_text("mine\n")
    run = resnetc("decompile", str(ckpt), "-o", str(out))
    assert run.returncode == 1
    assert run.stderr == (
        f"{out}: error: this file was not generated by resnetc; refusing to replace it with the"
        f" output of {ckpt}\n"
        "  = help: move it away or choose another -o file, or pass --force to replace it\n"
        "resnetc: nothing written\n"
    )
    assert out.read_text() == "mine\n"
    assert resnetc("decompile", str(ckpt), "-o", str(out), "--force").returncode == 0
    assert unmarked(out.read_text()).startswith(
        "# resnet18: an 18-layer ResNet, decompiled by resnetc"
    )
    again = resnetc("decompile", str(ckpt), "-o", str(out))  # its own file, not edited: replaced
    assert again.returncode == 0, again.stderr
    out.write_text(out.read_text().replace("classes: 1000", "classes: 10"))  # edited: the user's
    edited = resnetc("decompile", str(ckpt), "-o", str(out))
    assert edited.returncode == 1 and "this file was edited since resnetc wrote it" in edited.stderr
    assert resnetc("decompile", str(ckpt), "-o", str(tmp_path)).returncode == 2


def test_the_command_prints_to_stdout_with_dash(resnetc, tmp_path: Path) -> None:
    ckpt = _save(tmp_path / "r18.pth", tv(SD, "cpu"))
    run = resnetc("decompile", str(ckpt), "-o", "-", "--input", "32x32")
    assert run.returncode == 0, run.stderr
    assert run.stdout == decompile(ckpt, input="32x32").spec
    assert "recognised an 18-layer ResNet" in run.stderr
    assert list(tmp_path.iterdir()) == [ckpt]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "class"], "argument --name: network name 'class' is a Python keyword"),
        (["--input", "32"], "argument --input: cannot read the input size '32'"),
        (["--downsample-at", "2x2"], "argument --downsample-at: invalid choice: '2x2'"),
        (["--stem-stride", "0"], "argument --stem-stride: expected a positive number, not '0'"),
    ],
)
def test_bad_options_are_usage_errors(resnetc, args: list[str], message: str, tmp_path) -> None:
    run = resnetc("decompile", "x.pth", "-o", str(tmp_path / "x.yaml"), *args)
    assert run.returncode == 2
    assert message in run.stderr


def test_warnings_of_the_written_spec_are_shown(resnetc, tmp_path: Path) -> None:
    narrow = (ROOT / "tests/cases/warn_design_rules/spec.yaml").read_text()
    ckpt = _save(
        tmp_path / "narrow.pth",
        {k: torch.zeros(v.shape) for k, v in net_of(narrow).state_dict().items()},
    )
    out = tmp_path / "narrow.yaml"
    run = resnetc("decompile", str(ckpt), "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert f"{out}:" in run.stderr and ": warning: " in run.stderr


def test_weights_whose_blocks_alternate_past_the_cell_limit_are_refused() -> None:
    """Each block unlike the one before is a cell: past MAX_CELLS the walk stops, naming it."""
    from resnetc.checkpoint.foreign import Mismatch
    from resnetc.checkpoint.recognize import recognise
    from resnetc.front import limits

    def bn(name: str, c: int) -> dict:
        return {f"{name}.{p}": (c,) for p in ("weight", "bias", "running_mean", "running_var")}

    shapes: dict = {"conv1.weight": (64, 3, 7, 7), **bn("bn1", 64)}
    for i in range(limits.MAX_CELLS + 2):
        w = 32 if i % 2 else 48
        shapes[f"layer1.{i}.conv1.weight"] = (w, 64, 3, 3)
        shapes.update(bn(f"layer1.{i}.bn1", w))
        shapes[f"layer1.{i}.conv2.weight"] = (64, w, 3, 3)
        shapes.update(bn(f"layer1.{i}.bn2", 64))
    shapes |= {"fc.weight": (10, 64), "fc.bias": (10,)}
    with pytest.raises(
        Mismatch, match=r"^layer1 takes the table to 130 cells, more than the limit"
    ):
        recognise(shapes)
    for i in (limits.MAX_CELLS, limits.MAX_CELLS + 1):  # 128 blocks, 128 cells: read
        for key in [k for k in shapes if k.startswith(f"layer1.{i}.")]:
            del shapes[key]
    assert len(recognise(shapes).stages[0].cells) == limits.MAX_CELLS
