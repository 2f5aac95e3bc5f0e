"""Checkpoints whose names differ from the generated module's: renamed before they are read.

Two zoos name the same networks their own way:

- HF transformers' ResNet (`ResNetModel`, `ResNetForImageClassification`): `embedder.embedder.
  convolution` / `.normalization` is conv1 / bn1, `encoder.stages.S.layers.I.layer.J.convolution`
  / `.normalization` is `layer{S+1}.I.conv{J+1}` / `bn{J+1}`, `...shortcut.convolution` /
  `.normalization` is `downsample.0` / `.1`, `classifier.1` is fc (all under `resnet.` in the
  classifier);
- timm's ResNetV2 (pre-activation, `resnetv2_50`, `resnetv2_50d`): `stem.conv` (or the deep
  `stem.conv1`, `norm1`, `conv2`, `norm2`, `conv3`) is conv1 (`conv1.0`, `.1`, `.3`, `.4`, `.6`),
  `stages.S.blocks.I.normJ` / `convJ` is `layer{S+1}.I.bnJ` / `convJ`, `...downsample.conv` is
  the projection, `norm` is final_bn and `head.fc`, a 1x1 conv, is fc (its weight reshaped to
  [classes, features]).

`translate` renames a checkpoint's shapes to resnetc's names and keeps the map (resnetc name ->
the checkpoint's name, and which tensors change shape), so that `--weights-out` can write the same
tensors under the generated module's names. Names of torchvision's and timm's resnet.py layouts
are resnetc's already: they pass through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .read import Checkpoint


@dataclass(frozen=True)
class Renamed:
    """A checkpoint under resnetc's names: `ckpt`, and how its tensors were renamed."""

    ckpt: Checkpoint
    layout: str
    """`torchvision` (resnetc's own names), `hf` or `timm-resnetv2`."""
    sources: dict[str, str] = field(default_factory=dict)
    """resnetc name -> the checkpoint's name, for every renamed tensor."""
    reshaped: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """resnetc name -> its shape, for tensors whose shape changes too (ResNetV2's conv head)."""

    @property
    def renamed(self) -> bool:
        """Whether the checkpoint's names differ from the generated module's."""
        return bool(self.sources)


_HF_BLOCK = re.compile(
    r"(?:resnet\.)?encoder\.stages\.([0-9]+)\.layers\.([0-9]+)\."
    r"(?:layer\.([0-9]+)|shortcut)\.(convolution|normalization)\.(\w+)$"
)
_HF_STEM = re.compile(r"(?:resnet\.)?embedder\.embedder\.(convolution|normalization)\.(\w+)$")

_V2_BLOCK = re.compile(r"stages\.([0-9]+)\.blocks\.([0-9]+)\.(norm|conv)([0-9]+)\.(\w+)$")
_V2_DOWN = re.compile(r"stages\.([0-9]+)\.blocks\.([0-9]+)\.downsample\.conv\.(\w+)$")
_V2_STEM = {
    "conv": "conv1",
    "conv1": "conv1.0",
    "norm1": "conv1.1",
    "conv2": "conv1.3",
    "norm2": "conv1.4",
    "conv3": "conv1.6",
}


def _hf(key: str) -> str | None:
    m = _HF_STEM.match(key)
    if m:
        return f"{'conv1' if m.group(1) == 'convolution' else 'bn1'}.{m.group(2)}"
    m = _HF_BLOCK.match(key)
    if m:
        stage, block, row, what, part = m.groups()
        prefix = f"layer{int(stage) + 1}.{block}."
        if row is None:  # the shortcut
            return (
                prefix + ("downsample.0" if what == "convolution" else "downsample.1") + "." + part
            )
        j = int(row) + 1
        return prefix + (f"conv{j}" if what == "convolution" else f"bn{j}") + "." + part
    m = re.match(r"classifier\.1\.(weight|bias)$", key)
    return f"fc.{m.group(1)}" if m else None


def _v2(key: str, avg_down: bool) -> str | None:
    m = re.match(r"stem\.(\w+)\.(\w+)$", key)
    if m and m.group(1) in _V2_STEM:
        return f"{_V2_STEM[m.group(1)]}.{m.group(2)}"
    m = _V2_BLOCK.match(key)
    if m:
        stage, block, what, j, part = m.groups()
        return f"layer{int(stage) + 1}.{block}.{'bn' if what == 'norm' else 'conv'}{j}.{part}"
    m = _V2_DOWN.match(key)
    if m:
        stage, block, part = m.groups()
        name = "downsample.1" if avg_down else "downsample"
        return f"layer{int(stage) + 1}.{block}.{name}.{part}"
    m = re.match(r"norm\.(\w+)$", key)
    if m:
        return f"final_bn.{m.group(1)}"
    m = re.match(r"head\.fc\.(weight|bias)$", key)
    return f"fc.{m.group(1)}" if m else None


def layout_of(shapes: dict[str, tuple[int, ...]]) -> str:
    """Which zoo's names these are: `hf`, `timm-resnetv2`, or `torchvision` (resnetc's)."""
    if any(_HF_STEM.match(k) for k in shapes):
        return "hf"
    if ("stem.conv.weight" in shapes or "stem.conv1.weight" in shapes) and any(
        k.startswith("stages.0.blocks.") for k in shapes
    ):
        return "timm-resnetv2"
    return "torchvision"


def translate(ckpt: Checkpoint, avg_down: bool = False) -> Renamed:
    """`ckpt` under resnetc's names; `avg_down`: ResNetV2's projections are timm's DownsampleAvg
    (a pool its weights cannot show) rather than DownsampleConv."""
    layout = layout_of(ckpt.shapes)
    if layout == "torchvision":
        return Renamed(ckpt, layout)
    shapes: dict[str, tuple[int, ...]] = {}
    sources: dict[str, str] = {}
    reshaped: dict[str, tuple[int, ...]] = {}
    for key, shape in ckpt.shapes.items():
        new = _hf(key) if layout == "hf" else _v2(key, avg_down)
        if new is None or new in shapes:  # not part of the network: left for the leftovers
            shapes[key] = shape
            continue
        if new == "fc.weight" and len(shape) == 4 and shape[2:] == (1, 1):
            shape = shape[:2]  # ResNetV2's head is a 1x1 conv
            reshaped[new] = shape
        shapes[new] = shape
        sources[new] = key
    origin = (*ckpt.origin, f"{_WORDS[layout]}, renamed to resnetc's (torchvision's) names")
    renamed = Checkpoint(ckpt.name, shapes, dict(ckpt.others), origin)
    return Renamed(renamed, layout, sources, reshaped)


_WORDS = {
    "hf": "HF transformers' ResNet layout (embedder.*, encoder.stages.*)",
    "timm-resnetv2": "timm's ResNetV2 layout (stem.*, stages.*.blocks.*, head.fc)",
}


_POOLS = {"hf": r"(?:resnet\.)?embedder\.pooler", "timm-resnetv2": r"stem\.pool"}


def module_renamer(module, layout: str, avg_down: bool = False) -> Callable[[str], str | None]:
    """A live module's submodule names -> resnetc's (`layer1.0.conv2`, `maxpool`), for
    `live.observe`; None for a module resnetc has no name for."""
    names = [name for name, _ in module.named_modules()]
    prefix = ""
    if layout == "torchvision":
        prefix = next((n[: -len("layer1")] for n in names if n.endswith("layer1")), "")

    def rename(name: str) -> str | None:
        if not name.startswith(prefix):
            return None
        name = name[len(prefix) :]
        if layout == "torchvision":
            return name
        if re.fullmatch(_POOLS[layout], name):
            return "maxpool"
        new = _hf(name + ".weight") if layout == "hf" else _v2(name + ".weight", avg_down)
        return new[: -len(".weight")] if new is not None else None

    return rename
