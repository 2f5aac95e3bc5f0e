"""The residual block classes of a Keras module, and the calls that build each stage's blocks.

One `keras.layers.Layer` subclass per `ir.BlockKind`, written from the kind's own description
(core.blocks): its constructor parameters, class attributes, width expressions and rows. Keras
infers each layer's input width when the model is built, so a row's conv takes only its output
width; the block's input width is kept to check the input (`input_spec`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core import ir
from .. import nhwc
from ..nhwc import block_docstring, param
from ..pylayout import Call, assign


@dataclass
class BlockView:
    """One block class, as `block.py.j2` or `preact_block.py.j2` renders it."""

    template: str
    name: str
    docstring: str
    attributes: list[str]
    params: list[str]
    init: list[str]
    steps: list[list[str]]


def conv_call(
    out_width: str, kernel: int, stride: str | None, padding: int, groups: str | None
) -> Call:
    """`conv2d(width, 3, stride=stride, padding=1)`: a convolution of one row, the stem or a
    projection."""
    args = [out_width, str(kernel)]
    if stride:
        args.append(f"stride={stride}")
    if padding:
        args.append(f"padding={padding}")
    if groups:
        args.append(f"groups={groups}")
    return Call("conv2d", args)


def _row_conv(row: ir.KindRow) -> Call:
    return conv_call(
        row.out_width, row.kernel, "stride" if row.strided else None, row.padding, row.groups
    )


def _init(kind: ir.BlockKind) -> list[str]:
    """The constructor's body: the width set-up, the input check, each row's conv and BN, the
    attention module."""
    init = list(kind.setup)
    init.append(
        f"self.input_spec = keras.layers.InputSpec(ndim=4, axes={{-1: {kind.rows[0].in_width}}})"
    )
    for row in kind.rows:
        conv = assign(f"self.{row.conv}", _row_conv(row), 8)
        norm = f"self.{row.norm} = batch_norm()"
        init += [norm, *conv] if kind.preact else [*conv, norm]  # preact: bnJ before convJ
    if kind.attention is not None:  # after the last row (lowering refuses it with preact)
        init.append(nhwc.attention_init(kind.attention))
    return init


def _steps(kind: ir.BlockKind) -> list[list[str]]:
    """`call`'s paragraphs for the rows the template does not write itself."""
    rows = kind.rows
    if kind.preact:  # the template writes row 1 (its pre-activation feeds the shortcut)
        return [
            [f"out = self.{r.norm}(out)", "out = self.relu(out)", f"out = self.{r.conv}(out)"]
            for r in rows[1:]
        ]
    steps = []
    for i, row in enumerate(rows):
        step = [f"out = self.{row.conv}({'x' if i == 0 else 'out'})", f"out = self.{row.norm}(out)"]
        if i < len(rows) - 1:
            step.append("out = self.relu(out)")
        elif kind.attention is not None:
            step.append(f"out = self.{kind.attention.attr}(out)")
        steps.append(step)
    return steps


def block_view(kind: ir.BlockKind) -> BlockView:
    """The class for blocks of `kind`."""
    return BlockView(
        template="preact_block.py.j2" if kind.preact else "block.py.j2",
        name=kind.class_name,
        docstring=block_docstring(kind),
        attributes=[param(a) for a in kind.attributes],
        params=[*(param(p) for p in kind.params), "downsample: keras.layers.Layer | None = None"],
        init=_init(kind),
        steps=_steps(kind),
    )


def grouped(net: ir.Network) -> bool:
    """Whether any convolution of the module passes `groups`."""
    return any(row.groups is not None for kind in net.block_kinds for row in kind.rows)


def shortcut_call(sc: ir.Shortcut) -> Call | None:
    """The `downsample=` argument of a block whose shortcut is not the identity."""
    if sc.kind == "identity":
        return None
    stride = [f"stride={sc.stride}"] if sc.stride != 1 else []
    if sc.avg_down:  # ResNet-D: a pool, then the conv (+ BN)
        return Call(nhwc.shortcut_helper(sc), [str(sc.out_channels), *stride])
    if sc.kind == "projection":
        if len(sc.layers) > 1:  # conv + BN
            return Call("projection", [str(sc.out_channels), *stride])
        return Call("conv2d", [str(sc.out_channels), "1", *stride])  # a lone conv (preact)
    return Call(
        "ZeroPadShortcut", [str(sc.in_channels), str(sc.out_channels), f"stride={sc.stride}"]
    )
