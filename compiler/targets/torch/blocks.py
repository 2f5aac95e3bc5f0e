"""The residual block classes of a generated module, and the calls that build each stage's blocks.

One class per `ir.BlockKind`, written from the kind's own description (core.blocks): its
constructor parameters, class attributes, width expressions and rows. The fixed shape of a
block's `forward` lives in the templates (block.py.j2, preact_block.py.j2); this module writes the
lines that depend on the rows, in PyTorch.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ...core import ir
from ..pylayout import WIDTH, Call, assign, docstring


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


def norm_expr(width: str, groups: int | None = None) -> str:
    """`nn.BatchNorm2d(width)`, or with `groups` `nn.GroupNorm(groups, width)` (`norm: GN`)."""
    return f"nn.BatchNorm2d({width})" if groups is None else f"nn.GroupNorm({groups}, {width})"


def conv_expr(row: ir.KindRow, stride: str | None = None) -> Call:
    """`conv3x3(a, b, stride)`, `conv1x1(a, b)` or an explicit `nn.Conv2d(...)` for one row."""
    in_ch, out_ch, groups = row.in_width, row.out_width, row.groups
    if row.kernel == 3 and row.padding == 1:
        args = [in_ch, out_ch]
        if stride or groups:
            args.append(stride or "1")
        if groups:
            args.append(groups)
        return Call("conv3x3", args)
    if row.kernel == 1 and row.padding == 0 and not groups:
        return Call("conv1x1", [in_ch, out_ch] + ([stride] if stride else []))
    args = [in_ch, out_ch, f"kernel_size={row.kernel}"]
    if stride:
        args.append(f"stride={stride}")
    if row.padding:
        args.append(f"padding={row.padding}")
    if groups:
        args.append(f"groups={groups}")
    return Call("nn.Conv2d", [*args, "bias=False"])


def _row_conv(row: ir.KindRow, kind: ir.BlockKind | None = None) -> Call:
    """A row's conv; with anti-aliasing the strided row keeps stride 1 (`aa` takes it)."""
    strided = row.strided and (kind is None or kind.anti_alias is None)
    return conv_expr(row, "stride" if strided else None)


_AA = {
    "blur": "BlurPool({width}, stride)",
    "avg": "nn.AvgPool2d(stride)",  # timm's aa_layer(stride): kernel = stride = 2
}


def _extras_init(kind: ir.BlockKind, row: ir.KindRow) -> list[str]:
    """The modules that follow `row` in the class: its anti-aliasing layer (on the strided row),
    and after the last row the attention module and the drop path."""
    out = []
    if kind.anti_alias is not None and row.strided:
        aa = _AA[kind.anti_alias].format(width=row.out_width)
        out.append(f"self.aa = {aa} if stride != 1 else nn.Identity()")
    if row is kind.rows[-1]:
        att = kind.attention
        if att is not None and att.kind == "se":
            out.append(f"self.{att.attr} = SqueezeExcite({att.channels}, {att.param})")
        elif att is not None:
            out.append(f"self.{att.attr} = ChannelAttention({att.param})")
        if kind.drop_path:
            out.append("self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()")
    return out


def _extras_forward(kind: ir.BlockKind, row: ir.KindRow) -> list[str]:
    """`forward`'s lines for `_extras_init`'s modules after `row`."""
    out = []
    if kind.anti_alias is not None and row.strided:
        out.append("out = self.aa(out)")
    if row is kind.rows[-1]:
        if kind.attention is not None:
            out.append(f"out = self.{kind.attention.attr}(out)")
        if kind.drop_path:
            out.append("out = self.drop_path(out)")
    return out


def _param(p: ir.Param) -> str:
    return f"{p.name}: {p.type}" + (f" = {p.default}" if p.default is not None else "")


def _init(kind: ir.BlockKind) -> list[str]:
    """The constructor's body: the width set-up, then each row's conv and BatchNorm in order."""
    init = list(kind.setup)
    for row in kind.rows:
        conv = assign(f"self.{row.conv}", _row_conv(row, kind), 8)
        width = row.in_width if kind.preact else row.out_width  # bnJ: convJ's input, or output
        norm = f"self.{row.norm} = {norm_expr(width, kind.norm_groups)}"
        init += [norm, *conv] if kind.preact else [*conv, norm]
        init += _extras_init(kind, row)
    return init


def _steps(kind: ir.BlockKind) -> list[list[str]]:
    """`forward`'s paragraphs for the rows the template does not write itself."""
    rows = kind.rows
    if kind.preact:  # the template writes row 1 (its pre-activation feeds the shortcut)
        steps = [
            [f"out = self.{r.norm}(out)", "out = self.relu(out)", f"out = self.{r.conv}(out)"]
            for r in rows[1:]
        ]
        if kind.drop_path:
            if not steps:
                steps.append([])
            steps[-1].append("out = self.drop_path(out)")
        return steps
    steps = []
    for i, row in enumerate(rows):
        first = "out: Tensor = self.{}(x)" if i == 0 else "out = self.{}(out)"  # typed once
        step = [first.format(row.conv), f"out = self.{row.norm}(out)"]
        if i < len(rows) - 1:
            step.append("out = self.relu(out)")
        steps.append(step + _extras_forward(kind, row))
    return steps


def helpers_used(kind: ir.BlockKind) -> set[str]:
    """The helpers (`conv3x3`, `conv1x1`, `SqueezeExcite`, ...) that the class for `kind` uses."""
    used = {_row_conv(row, kind).func for row in kind.rows} & {"conv3x3", "conv1x1"}
    if kind.attention is not None:
        used.add("SqueezeExcite" if kind.attention.kind == "se" else "ChannelAttention")
    if kind.anti_alias == "blur":
        used.add("BlurPool")
    if kind.drop_path:
        used.add("DropPath")
    return used


def groups_used(kind: ir.BlockKind) -> bool:
    """Whether the class passes `groups` to the `conv3x3` helper."""
    return any(
        row.groups is not None and _row_conv(row, kind).func == "conv3x3" for row in kind.rows
    )


def _docstring(kind: ir.BlockKind) -> str:
    body = [
        line
        for note in kind.notes
        for line in textwrap.wrap(note, WIDTH - 4, break_long_words=False)
    ]
    return docstring(kind.summary, body, 4)


def block_view(kind: ir.BlockKind) -> BlockView:
    """The class for blocks of `kind`."""
    return BlockView(
        template="preact_block.py.j2" if kind.preact else "block.py.j2",
        name=kind.class_name,
        docstring=_docstring(kind),
        attributes=[_param(a) for a in kind.attributes],
        params=[*(_param(p) for p in kind.params), "downsample: nn.Module | None = None"],
        init=_init(kind),
        steps=_steps(kind),
    )


def shortcut_expr(sc: ir.Shortcut) -> Call | None:
    """The `downsample=` argument of a block whose shortcut is not the identity."""
    if sc.kind == "identity":
        return None
    stride = [f"stride={sc.stride}"] if sc.stride != 1 else []
    if sc.kind == "projection":
        func = shortcut_helper(sc)
        return Call(func, [str(sc.in_channels), str(sc.out_channels), *stride])
    return Call(
        "ZeroPadShortcut",
        [str(sc.in_channels), str(sc.out_channels), f"stride={sc.stride}"],
    )


def shortcut_helper(sc: ir.Shortcut) -> str:
    """The helper that builds a projection shortcut: `projection` (conv + BN), `conv1x1` (a lone
    conv, pre-activation), with ResNet-D's pool first `avg_projection` / `avg_conv1x1`, or
    `projection3x3` (a 3x3 conv + BN: SENet-154's, `shortcut_kernel: 3x3`)."""
    norm = any(isinstance(layer, ir.Norm) for layer in sc.layers)
    if sc.avg_down:
        return "avg_projection" if norm else "avg_conv1x1"
    if sc.kernel == 3:
        return "projection3x3"
    return "projection" if norm else "conv1x1"


def block_call(block: ir.Block, drop_path: str | None = None) -> Call:
    """`Bottleneck(256, 128, stride=2, downsample=projection(256, 512, stride=2))`; `drop_path`
    is the expression of the block's stochastic-depth rate, where it has one."""
    args: list = list(block.args)
    if drop_path is not None:
        args.append(f"drop_path={drop_path}")
    shortcut = shortcut_expr(block.shortcut)
    if shortcut is not None:
        args.append(Call(f"downsample={shortcut.func}", shortcut.args))
    return Call(block.kind, args)
