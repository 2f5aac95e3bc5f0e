"""Naming what a checkpoint is where it is not a ResNet that resnetc reads.

`Mismatch` is the verdict on the first key or shape that does not fit, `no_stem` says what a
state_dict without `conv1.weight` looks like instead (another family, timm's deep stem, a ResNet
under a prefix), and `leftover_groups` sums up the keys that are no part of the recognised network.
"""

from __future__ import annotations

import re

LAYOUT_HELP = (
    "resnetc reads torchvision's ResNet key names, which timm's ResNet, ResNeXt and Wide ResNet"
    " share: conv1, bn1, layerN.i.convJ / bnJ, layerN.i.downsample.0 / .1, fc"
)

BLOCK_KEY = re.compile(r"layer([1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,6})\.")


def dims(shape: tuple[int, ...]) -> str:
    """`[128, 64, 3, 3]`, as PyTorch prints a size."""
    return "[" + ", ".join(str(d) for d in shape) + "]"


class Mismatch(Exception):  # noqa: N818 (a verdict on the input, not a failure of resnetc)
    """A key or shape that does not fit; `recognised` says what was read before it."""

    def __init__(self, message: str, help: str = LAYOUT_HELP) -> None:
        super().__init__(message)
        self.message, self.help = message, help
        self.recognised: tuple[str, ...] = ()


# ---------------------------------------------------------------- not a ResNet stem

_FAMILIES = (
    (("patch_embed.",), "a Vision Transformer (patch_embed, blocks.N.attn)"),
    (("features.denseblock",), "a DenseNet (features.denseblockN)"),
    (("features.0.", "classifier."), "a VGG or AlexNet (features.N, classifier.N)"),
    (("stem.", "stages."), "a network of stem.* and stages.* (timm's ResNetV2, ConvNeXt, ...)"),
    (("conv_stem.",), "an EfficientNet or MobileNet (conv_stem, blocks.N.M)"),
)


def no_stem(shapes: dict[str, tuple[int, ...]]) -> Mismatch:
    """Why there is no `conv1.weight`, as precisely as the keys allow."""
    if "conv1.0.weight" in shapes:
        return Mismatch(
            f"conv1.weight is missing, and conv1.0.weight {dims(shapes['conv1.0.weight'])}"
            " exists: a deep stem of three 3x3 convolutions (conv1.0, conv1.1, conv1.3, ...:"
            " timm's resnet*d and resnet*s); resnetc's stem is one convolution, conv1"
        )
    for key in shapes:
        prefix = key[: -len("conv1.weight")]
        if key.endswith(".conv1.weight") and prefix + "layer1.0.conv1.weight" in shapes:
            return Mismatch(
                f"conv1.weight is missing, but {key} exists: the ResNet sits under"
                f" {prefix!r}, beside other modules",
                f"decompile that part alone: in Python, resnetc.decompile({{k[{len(prefix)}:]:"
                f" v for k, v in state_dict.items() if k.startswith({prefix!r})}})",
            )
    first = next(iter(shapes))
    for prefixes, family in _FAMILIES:
        if all(any(k.startswith(p) for k in shapes) for p in prefixes):
            return Mismatch(
                f"conv1.weight is missing: this looks like {family}, not a ResNet (its first key"
                f" is {first} {dims(shapes[first])})"
            )
    return Mismatch(
        "conv1.weight is missing: a ResNet's state_dict begins with its stem convolution,"
        f" conv1.weight [filters, input channels, k, k]; this one begins with {first}"
        f" {dims(shapes[first])}"
    )


def leftover_groups(keys: list[str], shapes: dict[str, tuple[int, ...]]) -> list[str]:
    """The unrecognised keys, grouped by module (`layerN.i.se.*` in 16 blocks, e.g. ...)."""
    groups: dict[str, list[str]] = {}
    for key in keys:
        m = BLOCK_KEY.match(key)
        rest = key[m.end() :] if m else key
        head = rest.split(".", 1)[0]
        groups.setdefault(("layerN.i." if m else "") + head, []).append(key)
    out = []
    for group, members in groups.items():
        first = members[0]
        example = f"{first} {dims(shapes[first])}" if first in shapes else first
        blocks = {b.group(0) for b in map(BLOCK_KEY.match, members) if b}
        where = f" in {len(blocks)} blocks" if len(blocks) > 1 else ""
        name = " (squeeze-and-excitation modules)" if group.endswith(".se") else ""
        count = f"{len(members)} keys" if len(members) > 1 else "1 key"
        out.append(f"{group}.*{name}: {count}{where}, e.g. {example}")
    return out
