"""What a live nn.Module shows that its state_dict cannot: strides, pools, anti-aliasing, drop path.

A state_dict holds weights only: a stride, a max pool, timm's anti-aliasing layers (`aa`, a
BlurPool2d or an AvgPool2d) and its DropPath modules leave no trace in it. A module given to the
Python API is there to be looked at, so `observe` reads them off its modules (by class name and
attributes: nothing here imports timm or transformers), under resnetc's names (`rename` maps a
module's own dotted name to resnetc's, for the layouts of `layouts`). torch is not imported here
either: the module brings its own classes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Observed:
    """What the modules showed; None where they did not say."""

    anti_alias: str | None = None
    drop_path: float | None = None
    strides: tuple[int, ...] | None = None
    stem_stride: int | None = None
    pool: bool | None = None
    downsample_at: str | None = None
    norm_groups: int | None = None
    """The groups of its GroupNorms (None where its norms are BatchNorms)."""
    dilated: str | None = None
    """The first module with a dilation other than 1 (resnetc writes none)."""
    mixed_groups: str | None = None
    """The first GroupNorm whose groups differ from the first one's (resnetc has one count)."""

    @property
    def seen(self) -> tuple[str, ...]:
        """The names of what was observed."""
        unseen = ("dilated", "mixed_groups")
        return tuple(k for k, v in vars(self).items() if v is not None and k not in unseen)


def _stride(module) -> int:
    stride = getattr(module, "stride", 1)
    return int(stride[0] if isinstance(stride, (tuple, list)) else stride)


def _resnetc_names(module, rename: Callable[[str], str | None]) -> dict[str, object]:
    """Every submodule under its resnetc name (a prefix every name shares is dropped)."""
    found: dict[str, object] = {}
    for name, sub in module.named_modules():
        new = rename(name)
        if new is not None:
            found.setdefault(new, sub)
    return found


def observe(module, rename: Callable[[str], str | None] | None = None) -> Observed:
    """Read strides, pools, anti-aliasing and drop path off a live ResNet."""
    mods = _resnetc_names(module, rename or _same)
    rates = [
        float(getattr(m, "drop_prob", 0.0)) for m in mods.values() if type(m).__name__ == "DropPath"
    ]
    dilated = next(
        (n for n, m in mods.items() if any(d != 1 for d in _pair(getattr(m, "dilation", 1)))),
        None,
    )
    stem = mods.get("conv1.0", mods.get("conv1"))
    pool = mods.get("maxpool")
    groups, mixed = _norm_groups(mods)
    return Observed(
        anti_alias=_anti_alias(mods),
        drop_path=max(rates) if rates else 0.0,
        strides=_stage_strides(mods),
        stem_stride=_stride(stem) if stem is not None and hasattr(stem, "stride") else None,
        pool=pool is not None and _real(pool),
        downsample_at=_downsample_at(mods),
        norm_groups=groups,
        dilated=dilated,
        mixed_groups=mixed,
    )


def _norm_groups(mods: dict[str, object]) -> tuple[int | None, str | None]:
    """The groups of the GroupNorms (`num_groups`), and the first one whose differ."""
    first: int | None = None
    for name, m in mods.items():
        if "GroupNorm" in type(m).__name__ and hasattr(m, "num_groups"):
            groups = int(m.num_groups)
            if first is None:
                first = groups
            elif groups != first:
                return first, name
    return first, None


def _anti_alias(mods: dict[str, object]) -> str:
    """`blur` or `avg` from the blocks' `aa` layers (timm's aa_layer), else `none`."""
    for name, m in mods.items():
        if re.fullmatch(r"layer\d+\.\d+\.aa", name) and _real(m):
            return "blur" if "Blur" in type(m).__name__ else "avg"
    return "none"


def _same(name: str) -> str | None:
    return name


def _real(module) -> bool:
    return type(module).__name__ != "Identity"


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _stage_strides(mods: dict[str, object]) -> tuple[int, ...] | None:
    """Each stage's stride: the product of its first block's strided layers."""
    strides = []
    n = 1
    while f"layer{n}.0.conv1" in mods:
        stride = 1
        for name, m in mods.items():
            if re.fullmatch(rf"layer{n}\.0\.(conv\d+|aa)", name) and _real(m):
                stride *= _stride(m)
        strides.append(stride)
        n += 1
    return tuple(strides) if strides else None


def _downsample_at(mods: dict[str, object]) -> str | None:
    """`1x1` where a strided block's first conv, a 1x1, carries the stride."""
    for name, m in mods.items():
        if re.fullmatch(r"layer\d+\.0\.conv1", name) and _stride(m) != 1:
            kernel = _pair(getattr(m, "kernel_size", 1))[0]
            return "1x1" if kernel == 1 else None
    return None
