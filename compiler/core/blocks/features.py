"""What any block kind may carry besides its convolutions: the zoo's tweaks, one place for all.

- an attention row after the last convolution (SENet's `fc, [16, 256]`: squeeze-and-excitation;
  ECA-Net's 1-d convolution), the block's `se`, as timm names it for both;
- anti-aliased downsampling (Zhang 2019, timm's `aa_layer`): the strided row keeps stride 1 and
  its BatchNorm (and ReLU) is followed by `aa`, a blur /2 or a 2x2 average pool /2;
- stochastic depth: the class takes a `drop_path` rate;
- GroupNorm in place of every BatchNorm (`norm: GN, G=32`).

A definition (basic, bottleneck, generic) builds the rows; `with_extras` adds these layers to a
block and `described` adds them to its class, so every kind gets them the same way.
"""

from __future__ import annotations

from dataclasses import replace

from .. import ir
from .base import Layout, stride_row

_ATTENTION_PARAM = {"se": "se_width", "eca": "eca_kernel"}

_ATTENTION_PREFIX = {"se": "SE", "eca": "ECA"}

_ATTENTION_NOTE = {
    "se": "`se` is squeeze-and-excitation (Hu et al. 2018; SENet's fc, [16, 256]): the block's"
    " output, averaged over the map, goes through a 1x1 conv to `se_width` channels, ReLU, a 1x1"
    " conv back, and a sigmoid that scales each channel.",
    "eca": "`se` is efficient channel attention (Wang et al. 2020, ECA-Net): the block's output,"
    " averaged over the map, goes through a 1-d convolution of `eca_kernel` taps across the"
    " channels and a sigmoid that scales each channel.",
}

_AA_NOTE = {
    "blur": "The strided convolution keeps stride 1; `aa`, a 3x3 binomial blur with the stride"
    " (Zhang 2019, Making Convolutional Networks Shift-Invariant Again), follows its ReLU.",
    "avg": "The strided convolution keeps stride 1; `aa`, a 2x2 average pool with the stride"
    " (anti-aliasing as timm's resnetaa), follows its ReLU.",
}

_GN_NOTE = (
    "Every norm is a GroupNorm of {groups} groups (Wu and He 2018; timm's resnet50_gn): a weight"
    " and a bias per channel, statistics of each sample's own groups, no running statistics."
)

_DROP_NOTE = (
    "`drop_path` is the rate at which training drops the residual branch of a sample (stochastic"
    " depth, Huang et al. 2016); in eval the branch is always kept."
)


def anti_alias_layer(name: str, aa: str, channels: int, stride: int, span) -> ir.Blur | ir.Pool:
    """timm's anti-aliasing layer: a BlurPool2d, or an AvgPool2d(stride) (kernel = stride)."""
    if aa == "blur":
        return ir.Blur(name=name, channels=channels, stride=stride, span=span)
    return ir.Pool(name=name, kind="avg", kernel=stride, stride=stride, padding=0, span=span)


def with_extras(
    layers: tuple, rows: tuple[ir.Row, ...], stride: int, attention, layout: Layout
) -> tuple:
    """A block's layers with its anti-aliasing layer and its attention module added."""
    out = list(layers)
    if layout.anti_alias != "none" and stride != 1:
        at = stride_row(tuple(r.kernel for r in rows), layout.downsample_at)
        conv_name, norm_name = f"conv{at + 1}", f"bn{at + 1}"
        out = [x.model_copy(update={"stride": 1}) if x.name == conv_name else x for x in out]
        where = next(i for i, x in enumerate(out) if x.name == norm_name) + 1
        aa = anti_alias_layer("aa", layout.anti_alias, rows[at].filters, stride, rows[at].span)
        out.insert(where, aa)
    if attention is not None:
        channels = rows[-1].filters
        if attention.kind == "se":
            out.append(
                ir.SqueezeExcite(
                    name="se", channels=channels, width=attention.width, span=attention.span
                )
            )
        else:
            out.append(
                ir.ChannelAttention(
                    name="se", channels=channels, kernel=attention.kernel, span=attention.span
                )
            )
    return tuple(out)


def group_layout(layout: Layout, attention: ir.Attention | None) -> Layout:
    """The layout of the cells that share one class: `layout` with their attention's kind."""
    return replace(layout, attention=attention.kind if attention is not None else None)


def described(kind: ir.BlockKind, layout: Layout) -> ir.BlockKind:
    """`kind` with the class's attention module, anti-aliasing and drop path, if any."""
    plain = layout.anti_alias == "none" and not layout.drop_path and layout.norm_groups is None
    if layout.attention is None and plain:
        return kind
    params = list(kind.params)
    notes = list(kind.notes)
    update: dict = {}
    if layout.attention is not None:
        param = _ATTENTION_PARAM[layout.attention]
        first_default = next((i for i, p in enumerate(params) if p.default is not None), None)
        params.insert(
            len(params) if first_default is None else first_default, ir.Param(param, "int")
        )
        notes.append(_ATTENTION_NOTE[layout.attention])
        update["attention"] = ir.KindAttention(
            kind=layout.attention, channels=kind.rows[-1].out_width, param=param
        )
        update["class_name"] = _ATTENTION_PREFIX[layout.attention] + kind.class_name
    if layout.anti_alias != "none":
        notes.append(_AA_NOTE[layout.anti_alias])
        update["anti_alias"] = layout.anti_alias
    if layout.norm_groups is not None:
        notes.append(_GN_NOTE.format(groups=layout.norm_groups))
        update["norm_groups"] = layout.norm_groups
    if layout.drop_path:
        params.append(ir.Param("drop_path", "float", "0.0"))
        notes.append(_DROP_NOTE)
        update["drop_path"] = True
    return kind.model_copy(update={**update, "params": tuple(params), "notes": tuple(notes)})


def args(block: ir.Block) -> tuple[str, ...]:
    """The constructor arguments the block's attention needs (`se_width=16`, `eca_kernel=5`)."""
    for layer in block.layers:
        if isinstance(layer, ir.SqueezeExcite):
            return (f"se_width={layer.width}",)
        if isinstance(layer, ir.ChannelAttention):
            return (f"eca_kernel={layer.kernel}",)
    return ()
