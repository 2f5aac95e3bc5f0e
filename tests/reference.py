"""An independent forward pass of torchvision's ResNet, written with torch.nn.functional.

It reads nothing from resnetc: given a state_dict laid out like torchvision's (`conv1`, `bn1`,
`layerN.i.convJ`, `layerN.i.downsample.0/1`, `fc`), it infers each conv's kernel from its weight,
and follows torchvision's rules (padding k//2; the first block of every stage but the first strides
2 on its 3x3 conv and on its projection; groups from the weight's input channels). Tests use it to
check that a generated module computes exactly what torchvision's model would with the same weights.
"""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F  # noqa: N812 (the conventional name)
from torch import Tensor


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


def _block(sd: dict[str, Tensor], prefix: str, x: Tensor, stride: int) -> Tensor:
    convs = sorted(
        int(m.group(1))
        for k in sd
        if (m := re.fullmatch(re.escape(prefix) + r"\.conv(\d+)\.weight", k))
    )
    out, block_stride = x, stride
    for j in convs:
        kernel = sd[f"{prefix}.conv{j}.weight"].shape[-1]
        out = _conv(sd, f"{prefix}.conv{j}", out, stride if kernel == 3 else 1)
        if kernel == 3:
            stride = 1  # the stride goes on the block's first 3x3 (torchvision's v1.5)
        out = _bn(sd, f"{prefix}.bn{j}", out)
        if j != convs[-1]:
            out = F.relu(out)
    identity = x
    if f"{prefix}.downsample.0.weight" in sd:
        identity = _conv(sd, f"{prefix}.downsample.0", x, block_stride)
        identity = _bn(sd, f"{prefix}.downsample.1", identity)
    return F.relu(out + identity)


def forward(sd: dict[str, Tensor], x: Tensor) -> Tensor:
    """torchvision's ResNet forward (eval mode) over the weights in `sd`."""
    x = F.relu(_bn(sd, "bn1", F.conv2d(x, sd["conv1.weight"], stride=2, padding=3)))
    x = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
    for stage in range(1, 5):
        count = len({k.split(".")[1] for k in sd if k.startswith(f"layer{stage}.")})
        for i in range(count):
            x = _block(sd, f"layer{stage}.{i}", x, 2 if stage > 1 and i == 0 else 1)
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
