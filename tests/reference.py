"""Independent references for the generated models, written with torch.nn.functional.

Nothing here reads resnetc. `forward` runs a ResNet over a state_dict laid out like torchvision's
(`conv1`, `bn1`, `layerN.i.convJ`, `layerN.i.downsample.0/1`, `fc`), inferring each conv's kernel
and groups from its weight and following the conventions named in `Layout` (by default
torchvision's: padding k//2, a 3x3/2 max pool after the 7x7/2 stem, every stage but the first
entering with stride 2 on its first 3x3 and on its projection). The same function covers the
paper's option A shortcuts and the pre-activation layout of He et al. 2016 (KaimingHe's
resnet-1k-layers: bnJ before convJ, a lone 1x1 projection fed the pre-activated input, a final BN).
`torchvision_layout` lists the state_dict keys and shapes that torchvision's
`ResNet(block, layers, groups=, width_per_group=)` would have, from torchvision's rules.
Tests use them to check that a generated module computes exactly what the reference computes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
import torch.nn.functional as F  # noqa: N812 (the conventional name)
from torch import Tensor


@dataclass(frozen=True)
class Layout:
    """What the weights cannot tell: strides, the pool, the shortcut option, pre-activation."""

    stem_stride: int = 2
    pool: bool = True
    first_stage_stride: int = 1
    stride_on: str = "3x3"  # or "1x1": the block's first conv (the paper's v1)
    zero_pad_shortcut: bool = False  # option A where the shape changes
    preact: bool = False


TORCHVISION = Layout()
CIFAR_A = Layout(stem_stride=1, pool=False, zero_pad_shortcut=True)


def _bn(sd: dict[str, Tensor], name: str, x: Tensor) -> Tensor:
    return F.batch_norm(
        x,
        sd[f"{name}.running_mean"],
        sd[f"{name}.running_var"],
        sd[f"{name}.weight"],
        sd[f"{name}.bias"],
        training=False,
        eps=1e-5,
    )


def _conv(sd: dict[str, Tensor], name: str, x: Tensor, stride: int = 1) -> Tensor:
    w = sd[f"{name}.weight"]
    groups = x.shape[1] // w.shape[1]
    return F.conv2d(x, w, stride=stride, padding=w.shape[-1] // 2, groups=groups)


def _zero_pad(x: Tensor, channels: int, stride: int) -> Tensor:
    x = x[:, :, ::stride, ::stride]
    return torch.cat([x, x.new_zeros(x.shape[0], channels - x.shape[1], *x.shape[2:])], 1)


def _convs(sd: dict[str, Tensor], prefix: str) -> list[int]:
    pattern = re.escape(prefix) + r"\.conv(\d+)\.weight"
    return sorted(int(m.group(1)) for k in sd if (m := re.fullmatch(pattern, k)))


def _stride_row(sd: dict[str, Tensor], prefix: str, convs: list[int], layout: Layout) -> int:
    if layout.stride_on == "1x1":
        return convs[0]
    kernels = [sd[f"{prefix}.conv{j}.weight"].shape[-1] for j in convs]
    return next((j for j, k in zip(convs, kernels, strict=True) if k > 1), convs[0])


def _block(sd: dict[str, Tensor], prefix: str, x: Tensor, stride: int, layout: Layout) -> Tensor:
    convs = _convs(sd, prefix)
    at = _stride_row(sd, prefix, convs, layout)
    out = x
    if layout.preact:
        out = F.relu(_bn(sd, f"{prefix}.bn{convs[0]}", x))
    shortcut_in = out if layout.preact else x
    for j in convs:
        if layout.preact and j != convs[0]:
            out = F.relu(_bn(sd, f"{prefix}.bn{j}", out))
        out = _conv(sd, f"{prefix}.conv{j}", out, stride if j == at else 1)
        if not layout.preact:
            out = _bn(sd, f"{prefix}.bn{j}", out)
            if j != convs[-1]:
                out = F.relu(out)
    identity = x
    if f"{prefix}.downsample.weight" in sd:  # pre-activation: a lone conv
        identity = _conv(sd, f"{prefix}.downsample", shortcut_in, stride)
    elif f"{prefix}.downsample.0.weight" in sd:
        identity = _conv(sd, f"{prefix}.downsample.0", shortcut_in, stride)
        identity = _bn(sd, f"{prefix}.downsample.1", identity)
    elif layout.zero_pad_shortcut and out.shape != x.shape:
        identity = _zero_pad(shortcut_in, out.shape[1], stride)
    return out + identity if layout.preact else F.relu(out + identity)


def forward(sd: dict[str, Tensor], x: Tensor, layout: Layout = TORCHVISION) -> Tensor:
    """A ResNet's forward (eval mode) over the weights in `sd`, by the conventions of `layout`."""
    w = sd["conv1.weight"]
    x = F.conv2d(x, w, stride=layout.stem_stride, padding=w.shape[-1] // 2)
    if not layout.preact:
        x = F.relu(_bn(sd, "bn1", x))
    if layout.pool:
        x = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
    stages = sorted({int(k.split(".")[0][5:]) for k in sd if re.match(r"layer\d+\.", k)})
    for stage in stages:
        count = len({k.split(".")[1] for k in sd if k.startswith(f"layer{stage}.")})
        for i in range(count):
            stride = 1 if i else (layout.first_stage_stride if stage == stages[0] else 2)
            x = _block(sd, f"layer{stage}.{i}", x, stride, layout)
    if layout.preact:
        x = F.relu(_bn(sd, "final_bn", x))
    x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
    return F.linear(x, sd["fc.weight"], sd["fc.bias"])


def randomized(sd: dict[str, Tensor], seed: int = 0) -> dict[str, Tensor]:
    """The same keys and shapes with random values (positive running variances)."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for k, v in sd.items():
        if not v.is_floating_point():
            out[k] = v.clone()
        elif k.endswith("running_var"):
            out[k] = torch.rand(v.shape, generator=g) + 0.5
        else:
            out[k] = torch.randn(v.shape, generator=g) * 0.1
    return out


def torchvision_layout(
    block: str,
    layers: list[int],
    groups: int = 1,
    width_per_group: int = 64,
    num_classes: int = 1000,
) -> list[tuple[str, list[int]]]:
    """The state_dict keys and shapes of torchvision's `ResNet(block, layers, groups,
    width_per_group, num_classes)` (block "basic" or "bottleneck"), by torchvision's rules."""
    out: list[tuple[str, list[int]]] = []

    def bn(name: str, channels: int) -> None:
        out.extend((f"{name}.{p}", [channels]) for p in ("weight", "bias", "running_mean"))
        out.extend([(f"{name}.running_var", [channels]), (f"{name}.num_batches_tracked", [])])

    out.append(("conv1.weight", [64, 3, 7, 7]))
    bn("bn1", 64)
    expansion = 1 if block == "basic" else 4
    inplanes = 64
    for i, (planes, count) in enumerate(zip((64, 128, 256, 512), layers, strict=False)):
        for j in range(count):
            p = f"layer{i + 1}.{j}"
            if block == "basic":
                rows = [(planes, inplanes, 3), (planes, planes, 3)]
            else:
                width = int(planes * (width_per_group / 64.0)) * groups
                rows = [(width, inplanes, 1), (width, width // groups, 3), (planes * 4, width, 1)]
            for r, (o, c, k) in enumerate(rows, start=1):
                out.append((f"{p}.conv{r}.weight", [o, c, k, k]))
                bn(f"{p}.bn{r}", o)
            if j == 0 and (i > 0 or inplanes != planes * expansion):
                out.append((f"{p}.downsample.0.weight", [planes * expansion, inplanes, 1, 1]))
                bn(f"{p}.downsample.1", planes * expansion)
            inplanes = planes * expansion
    out += [("fc.weight", [num_classes, 512 * expansion]), ("fc.bias", [num_classes])]
    return out
