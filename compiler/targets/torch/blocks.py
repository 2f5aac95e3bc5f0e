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


def _row_conv(row: ir.KindRow) -> Call:
    return conv_expr(row, "stride" if row.strided else None)


def _param(p: ir.Param) -> str:
    return f"{p.name}: {p.type}" + (f" = {p.default}" if p.default is not None else "")


def _init(kind: ir.BlockKind) -> list[str]:
    """The constructor's body: the width set-up, then each row's conv and BatchNorm in order."""
    init = list(kind.setup)
    for row in kind.rows:
        conv = assign(f"self.{row.conv}", _row_conv(row), 8)
        if kind.preact:  # bnJ normalises convJ's input
            init += [f"self.{row.norm} = nn.BatchNorm2d({row.in_width})", *conv]
        else:
            init += [*conv, f"self.{row.norm} = nn.BatchNorm2d({row.out_width})"]
    return init


def _steps(kind: ir.BlockKind) -> list[list[str]]:
    """`forward`'s paragraphs for the rows the template does not write itself."""
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
        steps.append(step)
    return steps


def helpers_used(kind: ir.BlockKind) -> set[str]:
    """The helper functions (`conv3x3`, `conv1x1`) that the class for `kind` calls."""
    return {_row_conv(row).func for row in kind.rows} & {"conv3x3", "conv1x1"}


def groups_used(kind: ir.BlockKind) -> bool:
    """Whether the class passes `groups` to the `conv3x3` helper."""
    return any(row.groups is not None and _row_conv(row).func == "conv3x3" for row in kind.rows)


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
        func = "projection" if len(sc.layers) > 1 else "conv1x1"  # conv + BN, or a lone conv
        return Call(func, [str(sc.in_channels), str(sc.out_channels), *stride])
    return Call(
        "ZeroPadShortcut",
        [str(sc.in_channels), str(sc.out_channels), f"stride={sc.stride}"],
    )


def block_call(block: ir.Block) -> Call:
    """`Bottleneck(256, 128, stride=2, downsample=projection(256, 512, stride=2))`."""
    args: list = list(block.args)
    shortcut = shortcut_expr(block.shortcut)
    if shortcut is not None:
        args.append(Call(f"downsample={shortcut.func}", shortcut.args))
    return Call(block.kind, args)
