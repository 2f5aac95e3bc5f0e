"""Render the annotated IR as a standalone PyTorch module, through jinja2 templates.

The templates hold the fixed shape of the code (a residual block's `identity = x` ... `out +=
identity`); this module computes every line that depends on the network, already formatted the way
`ruff format` would lay it out (calls that do not fit in 88 columns are exploded one argument per
line with a trailing comma). While it writes, it marks the lines of each part of the network
(`targets.sourcemap`), so the result comes with its source map. The text is parsed back and its
top level checked before it is returned: emitted source can only ever define the network.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core import costs, ir
from ...files.output import HEADER
from ...front.source import safe_label
from ..pylayout import WIDTH, Call, Expr, Repeat, assign, comment, docstring
from ..sourcemap import CodeRange, mark, mark_text, strip
from ..target import Rendered
from ..templating import environment
from .blocks import block_call, block_view, groups_used, helpers_used
from .modcheck import check_module

# ---------------------------------------------------------------- views the templates render


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
    """What `module.py.j2` renders: the module's head, then each definition's text in order."""

    header: str
    docstring: str
    exports: list[str]
    definitions: list[str]


# ---------------------------------------------------------------- the network class


def _stem_lines(net: ir.Network) -> list[list[str]]:
    conv = net.stem.conv
    args = [str(conv.in_channels), str(conv.out_channels), f"kernel_size={conv.kernel}"]
    if conv.stride != 1:
        args.append(f"stride={conv.stride}")
    if conv.padding:
        args.append(f"padding={conv.padding}")
    args.append("bias=False")
    first = [*comment(f"conv1: {net.stem.conv_text} -> {conv.output}", 8)]
    first += assign("self.conv1", Call("nn.Conv2d", list(args)), 8)
    if net.stem.norm is not None:  # pre-activation nets normalise at each block's start instead
        first.append(f"self.{net.stem.norm.name} = nn.BatchNorm2d({net.stem.norm.channels})")
        first.append("self.relu = nn.ReLU(inplace=True)")
    sections = [mark("conv1", first)]
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
        lines = [
            *comment(f"pool: {pool.cell_text} -> {pool.output}", 8),
            *assign(f"self.{pool.name}", call, 8),
        ]
        sections.append(mark("pool", lines))
    return sections


def _stage_lines(stage: ir.Stage) -> list[str]:
    """`self.layerN = nn.Sequential(...)`: a block alone as a call, a run of identical blocks
    as one loop, whatever its length."""
    entries: list[Expr] = []
    for block in stage.blocks:
        call = block_call(block)
        entries.append(call if block.count == 1 else Repeat(call, block.count))
    out = comment(f"{stage.name}: {stage.cell_text} -> {stage.output}", 8)
    lines = assign(f"self.{stage.attr}", Call("nn.Sequential", entries, explode=True), 8)
    return mark(stage.attr, out + lines)


def _zero_init_lines(net: ir.Network) -> list[str]:
    """Zero the last layer of every residual branch: its last BN, or with pre-activation its
    last conv (nothing follows it there)."""
    by_layer: dict[str, list[str]] = {}
    for kind in net.block_kinds:
        last = kind.rows[-1]
        by_layer.setdefault(last.conv if kind.preact else last.norm, []).append(kind.class_name)
    what = "conv" if net.options.preact else "BN"
    out = [f"# Zero each block's last {what}: every residual branch starts as the identity."]
    out.append("for m in self.modules():")
    for i, (layer, classes) in enumerate(by_layer.items()):
        test = classes[0] if len(classes) == 1 else f"({', '.join(classes)})"
        out.append(f"    {'if' if i == 0 else 'elif'} isinstance(m, {test}):")
        out.append(f"        nn.init.zeros_(m.{layer}.weight)")
    return out


def _forward(net: ir.Network) -> list[list[str]]:
    stem = [f"x = self.conv1(x)  # {net.stem.conv.output}"]
    if net.stem.norm is not None:
        stem.append(f"x = self.{net.stem.norm.name}(x)")
        stem.append("x = self.relu(x)")
    stem = mark("conv1", stem)
    if net.stem.pool is not None:
        stem += mark("pool", [f"x = self.{net.stem.pool.name}(x)  # {net.stem.pool.output}"])
    stages = [mark(s.attr, [f"x = self.{s.attr}(x)  # {s.output}"])[0] for s in net.stages]
    last = net.stages[-1].output
    head = []
    if net.head.norm is not None:
        head += [f"x = self.{net.head.norm.name}(x)", "x = self.relu(x)"]
    head += [
        f"x = self.avgpool(x)  # {last.c}x1x1",
        f"x = torch.flatten(x, 1)  # {last.c}",
        "x = self.fc(x)  # num_classes",
        "return x",
    ]
    return [stem, stages, mark("head", head)]


def _head_lines(net: ir.Network) -> list[str]:
    fc = net.head.fc
    head = comment(f"{net.head.cell_text} -> num_classes", 8)
    if net.head.norm is not None:
        head += [
            f"self.{net.head.norm.name} = nn.BatchNorm2d({net.head.norm.channels})",
            "self.relu = nn.ReLU(inplace=True)",
        ]
    head += [
        "self.avgpool = nn.AdaptiveAvgPool2d((1, 1))",
        f"self.fc = nn.Linear({fc.in_features}, num_classes)",
    ]
    return mark("head", head)


def _network_view(net: ir.Network, spec_label: str) -> NetworkView:
    sections = _stem_lines(net)
    sections += [_stage_lines(stage) for stage in net.stages]
    sections.append(_head_lines(net))
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
        ("conv1", net.stem.conv_text, str(net.stem.conv.output)),
    ]
    if net.stem.pool is not None:
        rows.append(("pool", net.stem.pool.cell_text, str(net.stem.pool.output)))
    rows += [(s.name, s.cell_text, str(s.output)) for s in net.stages]
    rows.append(("head", net.head.cell_text, str(net.classes)))
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


def _helpers(net: ir.Network) -> list[tuple[str, str]]:
    """(name, template) of each helper the module uses, in the order they are emitted."""
    blocks = [b for s in net.stages for b in s.blocks]
    calls = set().union(*(helpers_used(kind) for kind in net.block_kinds))
    grouped = any(groups_used(kind) for kind in net.block_kinds)
    projections = [b.shortcut for b in blocks if b.shortcut.kind == "projection"]
    used = {
        ("conv3x3", "conv3x3_grouped.py.j2" if grouped else "conv3x3.py.j2"): "conv3x3" in calls,
        ("conv1x1", "conv1x1.py.j2"): bool(projections) or "conv1x1" in calls,
        ("projection", "projection.py.j2"): any(len(p.layers) > 1 for p in projections),
        ("ZeroPadShortcut", "zeropad.py.j2"): any(b.shortcut.kind == "zeropad" for b in blocks),
    }
    return [helper for helper, needed in used.items() if needed]


def _factory(net: ir.Network) -> FactoryView:
    params = [
        f"num_classes: int = {net.classes}",
        f"zero_init_residual: bool = {net.options.zero_init_residual}",
    ]
    args = ["num_classes=num_classes", "zero_init_residual=zero_init_residual"]
    return FactoryView(
        signature=Call(f"def {net.name}", params).lines(0, 0, f" -> {net.class_name}:"),
        summary=f"{net.class_name} with `num_classes` outputs (see the module docstring).",
        body=[
            "return " + line if i == 0 else line
            for i, line in enumerate(Call(net.class_name, args).lines(4, len("return ")))
        ],
    )


def _definitions(net: ir.Network, label: str) -> list[str]:
    """The text of each helper, block class, the network class and the factory, in order; each
    helper and class marked with its own key (`def projection`, `class Bottleneck`)."""
    env = _environment()
    out = []
    for name, template in _helpers(net):
        kind = "class" if name[0].isupper() else "def"
        out.append(mark_text(f"{kind} {name}", env.get_template(template).render().rstrip("\n")))
    for kind in net.block_kinds:
        view = block_view(kind)
        text = env.get_template(view.template).render(block=view).rstrip("\n")
        out.append(mark_text(f"class {kind.class_name}", text))
    network = env.get_template("network.py.j2").render(net=_network_view(net, label))
    out.append(network.rstrip("\n"))
    out.append(env.get_template("factory.py.j2").render(factory=_factory(net)).rstrip("\n"))
    return out


def build_view(net: ir.Network, spec_label: str) -> ModuleView:
    """Everything the module template needs, computed from the annotated IR."""
    if not net.annotated:
        raise ValueError("emission needs a shape-annotated network (run shapes.annotate first)")
    label = safe_label(spec_label)
    helpers = [name for name, _ in _helpers(net) if name[0].isupper()]
    names = [*(k.class_name for k in net.block_kinds), net.class_name, net.name, *helpers]
    exports = sorted(names, key=_export_order)
    return ModuleView(
        header=HEADER.format(spec=label),
        docstring=_module_docstring(net),
        exports=exports,
        definitions=_definitions(net, label),
    )


def _export_order(name: str) -> tuple[int, str]:
    """`__all__` in the order ruff's RUF022 keeps it: CONSTANTS, then Classes, then the rest."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def _environment():
    """The environment of this target's templates (`targets.templating`)."""
    return environment("resnetc.targets.torch")


def _parts(net: ir.Network, ranges: dict[str, list[tuple[int, int]]]) -> dict:
    """The source map: per part, its lines in the network class (`__init__`, then `forward`),
    then the block classes and shortcut helpers its blocks use."""
    init, forward = f"{net.class_name}.__init__", f"{net.class_name}.forward"
    keys = [
        "conv1",
        *(["pool"] if net.stem.pool is not None else []),
        *(s.attr for s in net.stages),
    ]
    out: dict[str, tuple[CodeRange, ...]] = {}
    for key in [*keys, "head"]:
        found = ranges.get(key, [])
        out[key] = tuple(
            CodeRange(init if i == 0 else forward, start, end)
            for i, (start, end) in enumerate(found)
        )
    for stage in net.stages:
        used = [f"class {name}" for name in dict.fromkeys(b.kind for b in stage.blocks)]
        shortcuts = {b.shortcut.kind for b in stage.blocks}
        if "projection" in shortcuts:
            used.append("def projection")
        if "zeropad" in shortcuts:
            used.append("class ZeroPadShortcut")
        extra = [CodeRange(what, *ranges[what][0]) for what in used if what in ranges]
        out[stage.attr] += tuple(extra)
    return out


def render_module(net: ir.Network, spec_label: str) -> Rendered:
    """The generated module for the annotated `net`, with its source map."""
    view = build_view(net, spec_label)
    marked = _environment().get_template("module.py.j2").render(module=view)
    text, ranges = strip(marked)
    check_module(text)
    return Rendered(text, _parts(net, ranges))


def render(net: ir.Network, spec_label: str) -> str:
    """The generated module's source for the annotated network `net`, compiled from `spec_label`."""
    return render_module(net, spec_label).text
