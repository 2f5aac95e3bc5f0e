"""Render the annotated IR as a standalone PyTorch module, through jinja2 templates.

The templates hold the fixed shape of the code (a residual block's `identity = x` ... `out +=
identity`); this module computes every line that depends on the network, already formatted the way
`ruff format` would lay it out (calls that do not fit in 88 columns are exploded one argument per
line with a trailing comma). The result is parsed back and its top level checked before it is
returned: emitted source can only ever define the network.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ...core import costs, ir
from ...files.output import HEADER
from ...front.cells import format_cell
from ..pylayout import WIDTH, Call, Expr, Repeat, assign, comment, docstring
from .blocks import BlockView, as_tuple, block_call, block_view, helpers_used
from .modcheck import check_module

# ---------------------------------------------------------------- views the templates render


@dataclass
class Helper:
    """A helper function or class emitted only when the network uses it."""

    template: str


@dataclass
class NetworkView:
    """The network class."""

    name: str
    docstring: str
    signature: list[str]
    sections: list[list[str]]
    zero_init: list[str]
    forward: list[list[str]]


@dataclass
class FactoryView:
    """The factory function."""

    signature: list[str]
    summary: str
    body: list[str]


@dataclass
class ModuleView:
    """Everything `module.py.j2` renders."""

    header: str
    docstring: str
    exports: list[str]
    helpers: list[Helper]
    blocks: list[BlockView]
    net: NetworkView
    factory: FactoryView


# ---------------------------------------------------------------- the network class


def _stem_lines(net: ir.Network) -> list[list[str]]:
    conv = net.stem.conv
    args = [str(conv.in_channels), str(conv.out_channels), f"kernel_size={conv.kernel}"]
    if conv.stride != 1:
        args.append(f"stride={conv.stride}")
    if conv.padding:
        args.append(f"padding={conv.padding}")
    args.append("bias=False")
    first = [*comment(f"conv1: {stem_conv_text(conv)} -> {conv.output}", 8)]
    first += assign("self.conv1", Call("nn.Conv2d", list(args)), 8)
    if net.stem.norm is not None:  # pre-activation nets normalise at each block's start instead
        first.append(f"self.{net.stem.norm.name} = nn.BatchNorm2d({net.stem.norm.channels})")
        first.append("self.relu = nn.ReLU(inplace=True)")
    sections = [first]
    pool = net.stem.pool
    if pool is not None:
        cls = "nn.MaxPool2d" if pool.kind == "max" else "nn.AvgPool2d"
        call = Call(
            cls,
            [
                f"kernel_size={pool.kernel}",
                f"stride={pool.stride}",
                f"padding={pool.padding}",
            ],
        )
        sections.append(
            [
                *comment(f"pool: {pool_text(pool)} -> {pool.output}", 8),
                *assign(f"self.{pool.name}", call, 8),
            ]
        )
    return sections


def stem_conv_text(conv: ir.Conv) -> str:
    """The stem cell in the spec's notation: `7x7, 64, /2`."""
    stride = f", /{conv.stride}" if conv.stride != 1 else ""
    return f"{conv.kernel}x{conv.kernel}, {conv.out_channels}{stride}"


def pool_text(pool: ir.Pool) -> str:
    """The pool cell in the spec's notation: `3x3 max, /2`."""
    return f"{pool.kernel}x{pool.kernel} {pool.kind}, /{pool.stride}"


def head_text(net: ir.Network) -> str:
    """The head row in the paper's words: `average pool, 1000-d fc` (after a final BN-ReLU)."""
    text = f"average pool, {net.classes}-d fc"
    return f"BN-ReLU, {text}" if net.head.norm is not None else text


def _stage_lines(stage: ir.Stage, net: ir.Network) -> list[str]:
    entries: list[Expr] = []
    for block in stage.blocks:
        call = block_call(block, net.kind(block.kind))
        # Two identical blocks read best written out; three or more, as a loop.
        entries += [call] * block.count if block.count <= 2 else [Repeat(call, block.count)]
    out = comment(f"{stage.name}: {format_cell(stage.cell)} -> {stage.output}", 8)
    return out + assign(f"self.{stage.attr}", Call("nn.Sequential", entries, explode=True), 8)


def _zero_init_lines(net: ir.Network) -> list[str]:
    """Zero the last layer of every residual branch: its last BN, or with pre-activation its
    last conv (nothing follows it there)."""
    last = "conv" if net.options.preact else "bn"
    by_layer: dict[str, list[str]] = {}
    for kind in net.block_kinds:
        by_layer.setdefault(f"{last}{len(kind.kernels)}", []).append(kind.class_name)
    what = "conv" if net.options.preact else "BN"
    out = [f"# Zero each block's last {what}: every residual branch starts as the identity."]
    out.append("for m in self.modules():")
    for i, (layer, classes) in enumerate(by_layer.items()):
        test = classes[0] if len(classes) == 1 else as_tuple(classes)
        out.append(f"    {'if' if i == 0 else 'elif'} isinstance(m, {test}):")
        out.append(f"        nn.init.zeros_(m.{layer}.weight)")
    return out


def _forward(net: ir.Network) -> list[list[str]]:
    stem = [f"x = self.conv1(x)  # {net.stem.conv.output}"]
    if net.stem.norm is not None:
        stem.append(f"x = self.{net.stem.norm.name}(x)")
        stem.append("x = self.relu(x)")
    if net.stem.pool is not None:
        stem.append(f"x = self.{net.stem.pool.name}(x)  # {net.stem.pool.output}")
    stages = [f"x = self.{s.attr}(x)  # {s.output}" for s in net.stages]
    last = net.stages[-1].output
    head = []
    if net.head.norm is not None:
        head += [f"x = self.{net.head.norm.name}(x)", "x = self.relu(x)"]
    head += [
        f"x = self.avgpool(x)  # {last.c}x1x1",
        f"x = torch.flatten(x, 1)  # {last.c}",
        f"x = self.fc(x)  # {net.classes}",
        "return x",
    ]
    return [stem, stages, head]


def _network_view(net: ir.Network, spec_label: str) -> NetworkView:
    sections = _stem_lines(net)
    sections += [_stage_lines(stage, net) for stage in net.stages]
    fc = net.head.fc
    head = comment(f"{head_text(net)} -> {fc.out_features}", 8)
    if net.head.norm is not None:
        head += [
            f"self.{net.head.norm.name} = nn.BatchNorm2d({net.head.norm.channels})",
            "self.relu = nn.ReLU(inplace=True)",
        ]
    head += [
        "self.avgpool = nn.AdaptiveAvgPool2d((1, 1))",
        f"self.fc = nn.Linear({fc.in_features}, num_classes)",
    ]
    sections.append(head)
    params = [
        "self",
        f"num_classes: int = {net.classes}",
        f"zero_init_residual: bool = {net.options.zero_init_residual}",
    ]
    signature = Call("def __init__", params).lines(4, 0, " -> None:")
    return NetworkView(
        name=net.class_name,
        docstring=docstring(
            f"{net.class_name}, built from the table in {spec_label}.",
            [
                "See the module docstring for the table. Shapes in comments are C x H x W for a",
                f"{net.input} input; the network accepts any input size.",
            ],
            4,
        ),
        signature=signature,
        sections=sections,
        zero_init=_zero_init_lines(net),
        forward=_forward(net),
    )


# ---------------------------------------------------------------- the module


def _module_docstring(net: ir.Network) -> str:
    rows = [
        ("input", "", str(net.input)),
        ("conv1", stem_conv_text(net.stem.conv), str(net.stem.conv.output)),
    ]
    if net.stem.pool is not None:
        rows.append(("pool", pool_text(net.stem.pool), str(net.stem.pool.output)))
    rows += [(s.name, format_cell(s.cell), str(s.output)) for s in net.stages]
    rows.append(("head", head_text(net), str(net.classes)))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    table = []
    for name, cell, out in rows:
        line = f"    {name:<{widths[0]}}  {cell:<{widths[1]}}  {out}".rstrip()
        if len(line) > WIDTH:
            table += [
                f"    {name:<{widths[0]}}  {cell}",
                f"    {'':<{widths[0]}}  -> {out}",
            ]
        else:
            table.append(line)
    params, macs = costs.totals(net)
    body = [
        "Table (the ResNet paper's notation; one block's rows in brackets, x its repeats):",
        "",
        *table,
        "",
        f"Parameters: {params:,}.",
        f"Multiply-adds of the conv and fc layers at {net.input.h}x{net.input.w}: {macs:,}.",
    ]
    return docstring(
        f"{net.class_name}: a residual network compiled from its table by resnetc.",
        body,
        0,
    )


def _helpers(net: ir.Network) -> list[str]:
    """The helper templates the module uses, in the order they are emitted."""
    blocks = [b for s in net.stages for b in s.blocks]
    calls = set().union(*(helpers_used(kind) for kind in net.block_kinds))
    projections = [b.shortcut for b in blocks if b.shortcut.kind == "projection"]
    used = {
        "conv3x3.py.j2": "conv3x3" in calls,
        "conv1x1.py.j2": bool(projections) or "conv1x1" in calls,
        "projection.py.j2": any(len(p.layers) > 1 for p in projections),
        "zeropad.py.j2": any(b.shortcut.kind == "zeropad" for b in blocks),
    }
    return [template for template, needed in used.items() if needed]


def build_view(net: ir.Network, spec_label: str) -> ModuleView:
    """Everything the templates need, computed from the annotated IR."""
    if not net.annotated:
        raise ValueError("emission needs a shape-annotated network (run shapes.annotate first)")
    helpers = [Helper(template) for template in _helpers(net)]
    shortcuts = {b.shortcut.kind for s in net.stages for b in s.blocks}
    blocks = [block_view(kind, net.options) for kind in net.block_kinds]
    exports = sorted(
        [*(b.name for b in blocks), net.class_name, net.name]
        + (["ZeroPadShortcut"] if "zeropad" in shortcuts else [])
    )
    factory_params = [
        f"num_classes: int = {net.classes}",
        f"zero_init_residual: bool = {net.options.zero_init_residual}",
    ]
    factory_args = ["num_classes=num_classes", "zero_init_residual=zero_init_residual"]
    return ModuleView(
        header=HEADER.format(spec=safe_label(spec_label)),
        docstring=_module_docstring(net),
        exports=exports,
        helpers=helpers,
        blocks=blocks,
        net=_network_view(net, safe_label(spec_label)),
        factory=FactoryView(
            signature=Call(f"def {net.name}", factory_params).lines(0, 0, f" -> {net.class_name}:"),
            summary=f"{net.class_name} with `num_classes` outputs (see the module docstring).",
            body=[
                "return " + line if i == 0 else line
                for i, line in enumerate(
                    Call(net.class_name, factory_args).lines(4, len("return "))
                )
            ],
        ),
    )


def safe_label(label: str) -> str:
    """The spec's path as shown in comments: printable ASCII only, forward slashes."""
    label = label.replace("\\", "/")
    return "".join(ch if 32 <= ord(ch) < 127 and ch not in "\"'" else "?" for ch in label)


@functools.lru_cache(maxsize=1)
def _environment():
    import jinja2

    from ...files.templatecache import attach

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("resnetc.targets.torch", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    return attach(env)


def render(net: ir.Network, spec_label: str) -> str:
    """The generated module's source for the annotated network `net`, compiled from `spec_label`."""
    view = build_view(net, spec_label)
    env = _environment()
    text = env.get_template("module.py.j2").render(module=view, net=view.net, factory=view.factory)
    check_module(text)
    return text
