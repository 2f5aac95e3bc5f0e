"""The residual block classes of a generated module, and the calls that build each stage's blocks.

One class per `ir.BlockKind`: `BasicBlock` / `Bottleneck` (with `expansion`, torchvision's
signatures) where the rows match those patterns, a generic class taking a tuple of widths
otherwise; `PreAct...` variants put each BatchNorm in front of its conv. The fixed shape of a
block's `forward` lives in the templates (block.py.j2, preact_block.py.j2); this module computes
the lines that depend on the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core import ir
from ..pylayout import Call, Expr, assign, docstring


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


@dataclass
class _Rows:
    """A block kind's constructor parameters and, per row, the expressions for its widths."""

    summary: str
    params: list[str]
    attributes: list[str]
    inputs: list[str]
    outputs: list[str]
    groups: list[str | None]


_STRIDE_DOC = {
    "3x3": "the first 3x3 (torchvision's ResNet v1.5)",
    "1x1": "the first 1x1 (the paper's ResNet v1)",
}


def conv_expr(kernel: int, in_ch: str, out_ch: str, stride: str | None, groups: str | None) -> Call:
    """`conv3x3(a, b, stride)`, `conv1x1(a, b)` or an explicit `nn.Conv2d(...)`."""
    if kernel == 3:
        args = [in_ch, out_ch]
        if stride or groups:
            args.append(stride or "1")
        if groups:
            args.append(groups)
        return Call("conv3x3", args)
    if kernel == 1 and not groups:
        return Call("conv1x1", [in_ch, out_ch] + ([stride] if stride else []))
    args = [in_ch, out_ch, f"kernel_size={kernel}"]
    if stride:
        args.append(f"stride={stride}")
    if kernel // 2:
        args.append(f"padding={kernel // 2}")
    if groups:
        args.append(f"groups={groups}")
    return Call("nn.Conv2d", [*args, "bias=False"])


def _generic_rows(kind: ir.BlockKind) -> _Rows:
    n = len(kind.kernels)
    tuple_type = f"tuple[{', '.join(['int'] * n)}]"
    params = ["in_channels: int", f"widths: {tuple_type}", "stride: int = 1"]
    if kind.grouped:
        params.append(f"groups: {tuple_type} = ({', '.join(['1'] * n)}{',' if n == 1 else ''})")
    rows = ", ".join(f"[{k}x{k}, w{i + 1}]" for i, k in enumerate(kind.kernels))
    outputs = [f"widths[{i}]" for i in range(n)]
    return _Rows(
        summary=f"Residual block of {n} convolution{'s' if n > 1 else ''}: [{rows}].",
        params=params,
        attributes=[],
        inputs=["in_channels", *outputs[:-1]],
        outputs=outputs,
        groups=[f"groups[{i}]" if kind.grouped else None for i in range(n)],
    )


def _named_rows(kind: ir.BlockKind) -> _Rows:
    """BasicBlock / Bottleneck: torchvision's `(in_channels, width, stride, [groups])`."""
    params = ["in_channels: int", "width: int", "stride: int = 1"]
    groups: list[str | None] = [None] * len(kind.kernels)
    if kind.grouped:
        params.append("groups: int = 1")
        groups[1] = "groups"
    if kind.pattern == "bottleneck":
        summary = f"[[1x1, width], [3x3, width], [1x1, {kind.expansion} * width]]"
        outputs = ["width", "width", "out_channels"]
    else:
        summary = "[[3x3, width], [3x3, width]]"
        outputs = ["width", "width"]
    title = "Bottleneck block" if kind.pattern == "bottleneck" else "Basic block"
    return _Rows(
        summary=f"{title}: {summary}.",
        params=params,
        attributes=[f"expansion: int = {kind.expansion}"],
        inputs=["in_channels", *outputs[:-1]],
        outputs=outputs,
        groups=groups,
    )


def _init(kind: ir.BlockKind, rows: _Rows) -> list[str]:
    """The constructor's body: each row's conv and BatchNorm, in execution order."""
    init = ["out_channels = width * self.expansion"] if kind.pattern == "bottleneck" else []
    for i, kernel in enumerate(kind.kernels):
        stride = "stride" if i == kind.stride_row else None
        conv = assign(
            f"self.conv{i + 1}",
            conv_expr(kernel, rows.inputs[i], rows.outputs[i], stride, rows.groups[i]),
            8,
        )
        if kind.preact:  # bnJ normalises convJ's input
            init += [f"self.bn{i + 1} = nn.BatchNorm2d({rows.inputs[i]})", *conv]
        else:
            init += [*conv, f"self.bn{i + 1} = nn.BatchNorm2d({rows.outputs[i]})"]
    return init


def _steps(kind: ir.BlockKind) -> list[list[str]]:
    """`forward`'s paragraphs for the rows the template does not write itself."""
    n = len(kind.kernels)
    if kind.preact:  # the template writes row 1 (its pre-activation feeds the shortcut)
        return [
            [f"out = self.bn{i}(out)", "out = self.relu(out)", f"out = self.conv{i}(out)"]
            for i in range(2, n + 1)
        ]
    steps = []
    for i in range(1, n + 1):
        step = [f"out = self.conv{i}({'x' if i == 1 else 'out'})", f"out = self.bn{i}(out)"]
        if i < n:
            step.append("out = self.relu(out)")
        steps.append(step)
    return steps


def helpers_used(kind: ir.BlockKind) -> set[str]:
    """The helper functions (`conv3x3`, `conv1x1`) that the class for `kind` calls."""
    rows = _generic_rows(kind) if kind.pattern == "generic" else _named_rows(kind)
    calls = {conv_expr(k, "", "", None, rows.groups[i]).func for i, k in enumerate(kind.kernels)}
    return calls & {"conv3x3", "conv1x1"}


def block_view(kind: ir.BlockKind, options: ir.Options) -> BlockView:
    """The class for blocks of `kind`."""
    rows = _generic_rows(kind) if kind.pattern == "generic" else _named_rows(kind)
    where = (
        _STRIDE_DOC[options.downsample_at] if kind.kernels[0] == 1 else f"conv{kind.stride_row + 1}"
    )
    body = [f"A stride other than 1 goes on {where}."]
    if kind.grouped:
        body.append("`groups` > 1 makes a convolution grouped (C in the ResNeXt paper).")
    summary = rows.summary
    if kind.preact:
        summary = "Pre-activation " + summary[0].lower() + summary[1:]
        body = [
            "Each BatchNorm and ReLU comes before its conv (He et al. 2016, Identity Mappings in",
            "Deep Residual Networks); nothing follows the addition.",
            *body,
        ]
    return BlockView(
        template="preact_block.py.j2" if kind.preact else "block.py.j2",
        name=kind.class_name,
        docstring=docstring(summary, body, 4),
        attributes=rows.attributes,
        params=[*rows.params, "downsample: nn.Module | None = None"],
        init=_init(kind, rows),
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


def block_call(block: ir.Block, kind: ir.BlockKind) -> Call:
    """`Bottleneck(256, 128, stride=2, downsample=projection(256, 512, stride=2))`."""
    convs = block.convs
    if kind.pattern == "generic":
        args: list[Expr] = [str(block.in_channels), as_tuple(c.out_channels for c in convs)]
    else:
        width = convs[1].out_channels if kind.pattern == "bottleneck" else convs[0].out_channels
        args = [str(block.in_channels), str(width)]
    if block.stride != 1:
        args.append(f"stride={block.stride}")
    if kind.grouped:
        groups = [c.groups for c in convs]
        if kind.pattern == "generic" and any(g != 1 for g in groups):
            args.append(f"groups={as_tuple(groups)}")
        elif kind.pattern != "generic" and groups[1] != 1:
            args.append(f"groups={groups[1]}")
    shortcut = shortcut_expr(block.shortcut)
    if shortcut is not None:
        args.append(Call(f"downsample={shortcut.func}", shortcut.args))
    return Call(kind.class_name, args)


def as_tuple(values) -> str:
    """A Python tuple literal of `values`: `(1,)`, `(64, 64, 256)`."""
    values = [str(v) for v in values]
    return f"({values[0]},)" if len(values) == 1 else f"({', '.join(values)})"
