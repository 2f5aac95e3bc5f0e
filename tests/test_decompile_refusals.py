"""Honest refusals: what is not a ResNet resnetc can describe is named, key and shape, with help.

A checkpoint has no lines to point at, so every diagnostic is `path: error: message`, a `help`
line and notes saying what was recognised; the command exits 1, writes nothing, and never prints a
traceback. Loading is safe: a pickle that would run code is refused, not executed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

import resnetc  # noqa: E402
from resnetc.front.diagnostics import CompileError  # noqa: E402
from tests.conftest import REFERENCE, ROOT  # noqa: E402

REF = json.loads(REFERENCE.read_text())


def tv(name: str) -> dict:
    """torchvision's state_dict layout for `name`, as meta tensors (a fresh dict to edit)."""
    return {k: torch.empty(v, device="meta") for k, v in REF[name]["state_dict"].items()}


def meta(*shape: int):
    return torch.empty(shape, device="meta")


def refused(checkpoint: object, **options) -> str:
    """The rendered diagnostics of a refused decompile."""
    with pytest.raises(CompileError) as info:
        resnetc.decompile(checkpoint, **options)
    return info.value.render()


def without(sd: dict, *prefixes: str) -> dict:
    return {k: v for k, v in sd.items() if not k.startswith(prefixes)}


def with_se(sd: dict) -> dict:
    """timm's SE-ResNet: a squeeze-and-excitation module after every block's last conv."""
    out = dict(sd)
    for key, value in sd.items():
        if key.endswith(".conv3.weight"):
            block, c = key[: -len("conv3.weight")], value.shape[0]
            out[block + "se.fc1.weight"], out[block + "se.fc1.bias"] = (
                meta(c // 16, c, 1, 1),
                meta(c // 16),
            )
            out[block + "se.fc2.weight"], out[block + "se.fc2.bias"] = (
                meta(c, c // 16, 1, 1),
                meta(c),
            )
    return out


def avg_down(sd: dict) -> dict:
    """timm's resnet*d shortcut: downsample.0 an AvgPool2d, .1 the conv, .2 the BatchNorm."""
    out = {}
    for key, value in sd.items():
        if ".downsample." in key:
            head, tail = key.split(".downsample.")
            index, rest = tail.split(".", 1)
            key = f"{head}.downsample.{int(index) + 1}.{rest}"
        out[key] = value
    return out


def deep_stem(sd: dict) -> dict:
    stem = {
        "conv1.0.weight": meta(32, 3, 3, 3),
        "conv1.1.weight": meta(32),
        "conv1.3.weight": meta(32, 32, 3, 3),
        "conv1.6.weight": meta(64, 32, 3, 3),
    }
    return {**stem, **without(sd, "conv1.")}


R18, R50 = "resnet18", "resnet50"

CASES = {
    "groups_do_not_fit": (
        lambda: {**tv(R18), "layer2.0.conv2.weight": meta(128, 96, 3, 3)},
        "layer2.0.conv2.weight has shape [128, 96, 3, 3]: a 3x3 conv of 128 filters after"
        " layer2.0.conv1 (128 channels) needs 128 or 128/groups input channels, not 96",
        "note: recognised before it: conv1 7x7, 64 from 3 input channels; layer1"
        " [[3x3,64],[3x3,64]] x 2",
    ),
    "squeeze_and_excitation_of_another_width": (
        lambda: {**with_se(tv(R50)), "layer1.0.se.fc2.weight": meta(128, 16, 1, 1)},
        "layer1.0.se.fc2.weight has shape [128, 16, 1, 1]: expected [256, 16, 1, 1]",
        "note: recognised before it: conv1 7x7, 64 from 3 input channels",
    ),
    "deep_stem_without_its_batchnorm": (
        lambda: deep_stem(tv(R50)),
        "conv1.1.bias is missing: expected the BatchNorm after conv1.0 (32 filters), [32]",
    ),
    "avg_down_in_one_stage_only": (
        lambda: {
            **without(tv(R50), "layer1.0.downsample."),
            **{
                k.replace("downsample.1", "downsample.2").replace("downsample.0", "downsample.1"): v
                for k, v in tv(R50).items()
                if k.startswith("layer1.0.downsample.")
            },
        },
        "layer1.0's projection is ResNet-D's (downsample.1, .2) and layer2.0's a strided 1x1",
    ),
    "vgg": (
        lambda: {
            "features.0.weight": meta(64, 3, 3, 3),
            "features.0.bias": meta(64),
            "classifier.0.weight": meta(4096, 25088),
        },
        "this looks like a VGG or AlexNet (features.N, classifier.N), not a ResNet (its first key"
        " is features.0.weight [64, 3, 3, 3])",
    ),
    "vit": (
        lambda: {
            "cls_token": meta(1, 1, 768),
            "pos_embed": meta(1, 197, 768),
            "patch_embed.proj.weight": meta(768, 3, 16, 16),
        },
        "this looks like a Vision Transformer",
    ),
    "unknown": (
        lambda: {"encoder.weight": meta(3, 3), "decoder.weight": meta(3, 3)},
        "conv1.weight is missing: a ResNet's state_dict begins with its stem convolution,"
        " conv1.weight [filters, input channels, k, k]; this one begins with encoder.weight [3, 3]",
    ),
    "extra_head": (
        lambda: {**tv(R18), "head.weight": meta(10, 512), "head.bias": meta(10)},
        "error: 2 of 124 entries are not part of the ResNet the others describe",
        "note: not recognised: head.*: 2 keys, e.g. head.weight [10, 512]",
        "remove them and decompile again",
        "note: recognised: an 18-layer ResNet;",
    ),
    "non_tensor_entry": (
        lambda: {**tv(R18), "epoch": 5},
        "note: not recognised: epoch: an int, not a tensor",
    ),
    "head_of_several_layers": (
        lambda: {
            **without(tv(R18), "fc."),
            "fc.0.weight": meta(256, 512),
            "fc.0.bias": meta(256),
            "fc.2.weight": meta(10, 256),
        },
        "fc.weight is missing, but fc.0.weight [256, 512] exists: a head of several layers",
    ),
    "fc_width": (
        lambda: {**tv(R18), "fc.weight": meta(1000, 256)},
        "fc.weight has shape [1000, 256]: layer4.1 gives 512 channels, so the fc (an nn.Linear)"
        " needs [classes, 512]",
    ),
    "stage_gap": (
        lambda: without(tv(R18), "layer3."),
        "layer3.0.conv1.weight is missing, but layer4.* exists: stages are numbered layer1,"
        " layer2, ... without gaps",
    ),
    "block_gap": (
        lambda: without(tv(R18), "layer2.0."),
        "layer2.0.conv1.weight is missing, but layer2.1.* exists",
    ),
    "no_stages": (
        lambda: {k: v for k, v in tv(R18).items() if not k.startswith("layer")},
        "layer1.0.conv1.weight is missing: a ResNet's stages are layer1, layer2, ..., each a"
        " sequence of blocks layerN.0, layerN.1, ...; after the stem comes fc.weight",
    ),
    "conv_bias": (
        lambda: {**tv(R18), "layer1.0.conv1.bias": meta(64)},
        "layer1.0.conv1.bias exists: resnetc's convolutions have no bias",
    ),
    "norms_mixed": (  # one GroupNorm (no running statistics) among BatchNorms
        lambda: without(tv(R18), "bn1.running", "bn1.num"),
        "layer1.0.bn1.running_mean exists: layer1.0.bn1 has running statistics, so it is a"
        " BatchNorm, but bn1 is a GroupNorm; resnetc's norms are all BatchNorm or all GroupNorm",
    ),
    "norms_mixed_the_other_way": (
        lambda: without(tv(R18), "layer1.0.bn1.running", "layer1.0.bn1.num"),
        "layer1.0.bn1.running_mean is missing: layer1.0.bn1 has no running statistics, so it is a"
        " GroupNorm, but bn1 is a BatchNorm",
    ),
    "batchnorm_without_affine": (
        lambda: without(tv(R18), "bn1.weight", "bn1.bias"),
        "bn1.weight is missing, but bn1.running_mean exists: a BatchNorm without affine",
    ),
    "batchnorm_width": (
        lambda: {**tv(R18), "layer1.0.bn1.weight": meta(32)},
        "layer1.0.bn1.weight has shape [32]: the BatchNorm after layer1.0.conv1 (64 filters)"
        " needs [64]",
    ),
    "not_square": (
        lambda: {**tv(R18), "layer1.0.conv1.weight": meta(64, 64, 3, 1)},
        "layer1.0.conv1.weight has shape [64, 64, 3, 1]: resnetc's kernels are square",
    ),
    "projection_kernel": (
        lambda: {**tv(R18), "layer2.0.downsample.0.weight": meta(128, 64, 3, 3)},
        "layer2.0.downsample.0.weight has shape [128, 64, 3, 3], but"
        " layer3.0.downsample.0.weight has shape [256, 128, 1, 1]: both blocks stride, and"
        " resnetc's shortcut_kernel is one kernel for every projection that strides",
    ),
    "projection_kernel_5x5": (
        lambda: {**tv(R18), "layer2.0.downsample.0.weight": meta(128, 64, 5, 5)},
        "layer2.0.downsample.0.weight has shape [128, 64, 5, 5]: a projection shortcut from 64 to"
        " 128 channels is a 1x1 conv of shape [128, 64, 1, 1] (or a 3x3, [128, 64, 3, 3]:"
        " SENet-154's)",
    ),
    "projection_kernel_3x3_unstrided": (
        lambda: {
            **tv(R50),
            "layer1.0.downsample.0.weight": meta(256, 64, 3, 3),
            **{
                f"layer{n}.0.downsample.0.weight": meta(256 << (n - 1), 128 << (n - 1), 3, 3)
                for n in (2, 3, 4)
            },
        },
        "layer1.0.downsample.0.weight has shape [256, 64, 3, 3]: a 3x3 projection where the"
        " block keeps its map size (stride 1)",
    ),
    "a_later_block_ends_at_another_width": (  # blocks may differ (a pruned stage), ends may not
        lambda: {
            **tv(R18),
            "layer2.1.conv2.weight": meta(96, 128, 3, 3),
            **{
                f"layer2.1.bn2.{p}": meta(96)
                for p in ("weight", "bias", "running_mean", "running_var")
            },
        },
        "layer2.1.conv2.weight has shape [96, 128, 3, 3]: layer2.1 ends at 96 channels, but"
        " layer2.0 at 128; the cells of one stage end at one width",
        "= help: resnetc's stages change their width only in their first block",
        "note: recognised before it: conv1 7x7, 64 from 3 input channels; layer1"
        " [[3x3,64],[3x3,64]] x 2",
    ),
    "projection_where_nothing_changes": (
        lambda: {
            **tv(R18),
            "layer1.1.downsample.0.weight": meta(64, 64, 1, 1),
            **{
                f"layer1.1.downsample.1.{p}": meta(64)
                for p in ("weight", "bias", "running_mean", "running_var")
            },
        },
        "layer1.1.downsample.0.weight exists: layer1.1 keeps its shape and yet has a projection",
    ),
    "missing_projection": (
        lambda: without(tv(R18), "layer3.0.downsample."),
        "layer3.0.downsample.0.weight is missing: layer3.0 changes 128 channels to 256 with no"
        " projection, while layer2.0 has one",
    ),
    "zero_pad_cannot_drop_channels": (
        lambda: (
            without(
                {**tv(R18), **narrower_layer4()},
                "layer2.0.downsample.",
                "layer3.0.downsample.",
                "layer4.0.downsample.",
            )
            | {"fc.weight": meta(1000, 128)}
        ),
        "layer4.0.downsample.0.weight is missing: layer4.0 reduces 256 channels to 128, which"
        " needs a projection shortcut (a zero-padded identity, option A, can only add channels)",
    ),
    "resnet_under_a_prefix": (
        lambda: {**{f"backbone.{k}": v for k, v in tv(R18).items()}, "head.w": meta(3, 512)},
        "conv1.weight is missing, but backbone.conv1.weight exists: the ResNet sits under"
        " 'backbone.'",
    ),
}


def narrower_layer4() -> dict:
    """layer4 of 128 channels after layer3's 256 (so its entry block drops channels)."""
    out = {}
    for i, cin in ((0, 256), (1, 128)):
        out[f"layer4.{i}.conv1.weight"] = meta(128, cin, 3, 3)
        out[f"layer4.{i}.conv2.weight"] = meta(128, 128, 3, 3)
        for j in (1, 2):
            for p in ("weight", "bias", "running_mean", "running_var"):
                out[f"layer4.{i}.bn{j}.{p}"] = meta(128)
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_layout_refusals_name_the_key_and_what_was_expected(case: str) -> None:
    make, *expected = CASES[case]
    text = refused(make())
    first = text.splitlines()[0]
    assert first.startswith("<state_dict>: error: "), text
    assert "  = help: " in text
    for fragment in expected:
        assert fragment in text, text


# ---------------------------------------------------------------- files


class Payload:
    """A pickle that would create a file if unpickled: it must be refused, not run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def save(path: Path, obj: object, **kwargs) -> Path:
    torch.save(obj, path, **kwargs)
    return path


def cpu(name: str) -> dict:
    return {k: torch.zeros(v) for k, v in REF[name]["state_dict"].items()}


def test_a_pickle_that_runs_code_is_refused_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = save(tmp_path / "evil.pth", {"state_dict": cpu(R18), "x": Payload(marker)})
    text = refused(path)
    assert text.startswith(f"{path}: error: refusing to unpickle this file: it pickles ")
    assert "system, which is neither a tensor nor plain data" in text
    assert "unpickling it could run arbitrary code" in text
    assert "weights_only=True" in text
    assert not marker.exists()


def test_a_whole_pickled_model_is_refused_with_what_to_do(tmp_path: Path) -> None:
    text = refused(save(tmp_path / "model.pth", torch.nn.Linear(2, 3)))
    assert "it pickles an object of class torch.nn.modules.linear.Linear" in text
    assert "torch.save(model.state_dict(), 'weights.pt')" in text


def _truncated(tmp_path: Path) -> Path:
    whole = save(tmp_path / "whole.pth", cpu(R18)).read_bytes()
    path = tmp_path / "cut.pth"
    path.write_bytes(whole[: len(whole) // 3])
    return path


def _truncated_safetensors(tmp_path: Path) -> Path:
    from safetensors.torch import save_file

    save_file(cpu(R18), tmp_path / "whole.safetensors")
    path = tmp_path / "cut.safetensors"
    path.write_bytes((tmp_path / "whole.safetensors").read_bytes()[:1000])
    return path


def _written(name: str, data: bytes):
    def make(tmp_path: Path) -> Path:
        (tmp_path / name).write_bytes(data)
        return tmp_path / name

    return make


FILES = {
    "empty": (_written("empty.pth", b""), "the file is empty (0 bytes)"),
    "truncated": (_truncated, "torch cannot read this checkpoint; it is truncated or corrupt"),
    "truncated_safetensors": (_truncated_safetensors, "truncated or corrupt (SafetensorError"),
    "text": (_written("notes.pth", b"epoch 3, acc 0.7"), "it begins with text: 'epoch 3, acc 0."),
    "hdf5": (_written("w.h5", b"\x89HDF\r\n\x1a\n" + bytes(8)), "an HDF5 file"),
    "tensor": (lambda p: save(p / "t.pth", torch.zeros(3, 4)), "holds a tensor of shape [3, 4]"),
    "list": (lambda p: save(p / "l.pth", [torch.zeros(1)]), "the file holds a list of 1 items"),
    "int": (lambda p: save(p / "i.pth", 7), "the file holds an int:"),
    "empty_dict": (lambda p: save(p / "e.pth", {}), "holds an empty dict: there are no tensors"),
    "optimizer": (
        lambda p: save(p / "o.pth", {"state": {0: {"step": torch.zeros(())}}, "param_groups": []}),
        "this is an optimizer's state, not a model's",
    ),
    "no_state_dict": (
        lambda p: save(p / "n.pth", {"a": {"x": torch.zeros(1)}, "b": {"y": torch.zeros(1)}}),
        "no state_dict found in a dict with the keys 'a', 'b'",
    ),
    "directory": (lambda p: p, "cannot read this file: it is a directory"),
    "missing": (lambda p: p / "nope.pth", "cannot read this file: No such file or directory"),
}


@pytest.mark.parametrize("case", list(FILES))
def test_unreadable_files_get_one_diagnostic(case: str, tmp_path: Path) -> None:
    make, expected = FILES[case]
    path = make(tmp_path)
    text = refused(path)
    assert text.startswith(f"{path}: error: "), text
    assert expected in text, text
    assert "Traceback" not in text


def run_resnetc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "resnetc", *args], cwd=cwd, capture_output=True, text=True
    )


def test_the_command_refuses_with_exit_1_and_writes_nothing(tmp_path: Path) -> None:
    extra = {**tv(R50), "aux.weight": meta(10, 2048)}
    path = save(tmp_path / "aux.pth", {k: torch.zeros(v.shape) for k, v in extra.items()})
    out = tmp_path / "aux.yaml"
    run = run_resnetc("decompile", str(path), "-o", str(out))
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith(f"{path}: error: 1 of 321 entries are not part of the ResNet")
    assert run.stderr.rstrip().endswith("resnetc: nothing written")
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert list(tmp_path.iterdir()) == [path]


def test_prefixes_stripped_are_named_where_keys_are_quoted(tmp_path: Path) -> None:
    sd = {f"module.{k}": v for k, v in tv(R18).items()}
    sd["module.layer2.0.conv2.weight"] = meta(128, 96, 3, 3)
    text = refused({"state_dict": sd})
    assert "layer2.0.conv2.weight has shape [128, 96, 3, 3]" in text
    assert "note: keys are named here with the prefix 'module.' stripped from every key" in text
