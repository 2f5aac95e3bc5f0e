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
from ..stagetext import cell_comments, stage_comment_text, table_rows
from ..target import Rendered
from ..templating import environment
from .blocks import (
    block_call,
    block_view,
    groups_used,
    helpers_used,
    norm_expr,
    shortcut_helper,
)
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
class NormView:
    """The norm of the shortcut helpers' templates: its call over `out_channels`, its class in
    words (`BatchNorm`) and with an article (`a BatchNorm`)."""

    call: str
    name: str

    @property
    def words(self) -> str:
        """`a BatchNorm`, `a GroupNorm`."""
        return f"a {self.name}"


@dataclass
class ModuleView:
    """What `module.py.j2` renders: the module's head, then each definition's text in order."""

    header: str
    docstring: str
    exports: list[str]
    definitions: list[str]


# ---------------------------------------------------------------- the network class


def _conv_call(conv: ir.Conv) -> Call:
    """`nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)`."""
    args = [str(conv.in_channels), str(conv.out_channels), f"kernel_size={conv.kernel}"]
    if conv.stride != 1:
        args.append(f"stride={conv.stride}")
    if conv.padding:
        args.append(f"padding={conv.padding}")
    args.append("bias=False")
    return Call("nn.Conv2d", args)


def _pool_call(pool: ir.Pool) -> Call:
    cls = "nn.MaxPool2d" if pool.kind == "max" else "nn.AvgPool2d"
    args = [f"kernel_size={pool.kernel}", f"stride={pool.stride}", f"padding={pool.padding}"]
    return Call(cls, args)


def _stem_call(layers: tuple) -> Call:
    """A stem layer, or a deep stem's (or ResNet-RS pool's) `nn.Sequential`, in which a ReLU
    follows each BatchNorm."""
    entries: list = []
    for layer in layers:
        if isinstance(layer, ir.Conv):
            entries.append(_conv_call(layer))
        elif isinstance(layer, ir.Norm):
            entries += [norm_expr(str(layer.channels), layer.groups), "nn.ReLU(inplace=True)"]
        elif isinstance(layer, ir.Blur):
            entries.append(Call("BlurPool", [str(layer.channels), f"stride={layer.stride}"]))
        else:
            entries.append(_pool_call(layer))
    if len(entries) == 1:
        return entries[0]
    return Call("nn.Sequential", entries, explode=True)


def _stem_lines(net: ir.Network) -> list[list[str]]:
    stem = net.stem
    first = [*comment(f"conv1: {stem.conv_text} -> {stem.conv.output}", 8)]
    first += assign("self.conv1", _stem_call((*stem.deep, stem.conv)), 8)
    if net.stem.norm is not None:  # pre-activation nets normalise at each block's start instead
        norm = net.stem.norm
        first.append(f"self.{norm.name} = {norm_expr(str(norm.channels), norm.groups)}")
        first.append("self.relu = nn.ReLU(inplace=True)")
    sections = [mark("conv1", first)]
    if stem.pooled:
        layers = (stem.pool,) if stem.pool is not None else stem.pool_layers
        lines = [
            *comment(f"pool: {stem.pool_text} -> {stem.pool_output}", 8),
            *assign(f"self.{_pool_attr(stem)}", _stem_call(layers), 8),
        ]
        sections.append(mark("pool", lines))
    return sections


def _pool_attr(stem: ir.Stem) -> str:
    """The stem pool's attribute: `maxpool` (or `pool`), whatever it holds."""
    if stem.pool is not None:
        return stem.pool.name
    return stem.pool_layers[0].name.split(".")[0]


def _rates(net: ir.Network) -> dict[tuple[str, int], str]:
    """Each block run's stochastic-depth rate expression, by (stage attr, block index): block k
    of the network's N gets `rates[k]` (timm's linear schedule, drop_path_rate * k / (N - 1))."""
    out: dict[tuple[str, int], str] = {}
    if net.options.drop_path <= 0:
        return out
    k = 0
    for stage in net.stages:
        for block in stage.blocks:
            out[(stage.attr, block.index)] = (
                f"rates[{k}]" if block.count == 1 else (f"rates[{k} + i]" if k else "rates[i]")
            )
            k += block.count
    return out


def _rates_lines(net: ir.Network) -> list[str]:
    """The schedule of stochastic depth, before the stages."""
    n = sum(stage.repeats for stage in net.stages)
    last = max(n - 1, 1)
    return [
        *comment(
            f"Stochastic depth: block k of the {n} drops its residual branch in training with"
            f" probability drop_path_rate * k / {last} (timm's linear schedule).",
            8,
        ),
        f"rates = [drop_path_rate * k / {last} for k in range({n})]",
    ]


def _stage_lines(stage: ir.Stage, rates: dict[tuple[str, int], str] | None = None) -> list[str]:
    """`self.layerN = nn.Sequential(...)`: a block alone as a call, a run of identical blocks
    as one loop, whatever its length."""
    entries: list[Expr] = []
    rates = rates or {}
    for block in stage.blocks:
        rate = rates.get((stage.attr, block.index))
        call = block_call(block, rate)
        var = "i" if rate is not None and "i" in rate else "_"
        entries.append(call if block.count == 1 else Repeat(call, block.count, var))
    out = comment(stage_comment_text(stage, str(stage.output)), 8)
    entries = cell_comments(stage, entries)
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
    if net.stem.pooled:
        attr = _pool_attr(net.stem)
        stem += mark("pool", [f"x = self.{attr}(x)  # {net.stem.pool_output}"])
    stages = [mark(s.attr, [f"x = self.{s.attr}(x)  # {s.output}"])[0] for s in net.stages]
    last = ir.annotated(net.stages[-1].output)
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
            f"self.{net.head.norm.name} = "
            + norm_expr(str(net.head.norm.channels), net.head.norm.groups),
            "self.relu = nn.ReLU(inplace=True)",
        ]
    head += [
        "self.avgpool = nn.AdaptiveAvgPool2d((1, 1))",
        f"self.fc = nn.Linear({fc.in_features}, num_classes)",
    ]
    return mark("head", head)


def _network_view(net: ir.Network, spec_label: str) -> NetworkView:
    sections = _stem_lines(net)
    rates = _rates(net)
    if rates:
        sections.append(_rates_lines(net))
    sections += [_stage_lines(stage, rates) for stage in net.stages]
    sections.append(_head_lines(net))
    params = ["self", *_options_params(net)]
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


def _options_params(net: ir.Network) -> list[str]:
    """The network's and the factory's keyword parameters, defaults from the spec."""
    params = [
        f"num_classes: int = {net.classes}",
        f"zero_init_residual: bool = {net.options.zero_init_residual}",
    ]
    if net.options.drop_path > 0:
        params.append(f"drop_path_rate: float = {net.options.drop_path!r}")
    return params


def _module_docstring(net: ir.Network) -> str:
    rows = [
        ("input", "", str(net.input)),
        ("conv1", net.stem.conv_text, str(net.stem.conv.output)),
    ]
    if net.stem.pooled:
        rows.append(("pool", net.stem.pool_text, str(net.stem.pool_output)))
    rows += [row for s in net.stages for row in table_rows(s, str(s.output))]
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
    projections = {shortcut_helper(b.shortcut) for b in blocks if b.shortcut.kind == "projection"}
    stem = (*net.stem.deep, net.stem.pool, *net.stem.pool_layers)
    used = {
        ("conv3x3", "conv3x3_grouped.py.j2" if grouped else "conv3x3.py.j2"): "conv3x3" in calls
        or "projection3x3" in projections,
        ("conv1x1", "conv1x1.py.j2"): bool(projections - {"projection3x3"}) or "conv1x1" in calls,
        ("projection", "projection.py.j2"): "projection" in projections,
        ("projection3x3", "projection3x3.py.j2"): "projection3x3" in projections,
        ("avg_projection", "avg_projection.py.j2"): "avg_projection" in projections,
        ("avg_conv1x1", "avg_conv1x1.py.j2"): "avg_conv1x1" in projections,
        ("ZeroPadShortcut", "zeropad.py.j2"): any(b.shortcut.kind == "zeropad" for b in blocks),
        ("SqueezeExcite", "squeeze_excite.py.j2"): "SqueezeExcite" in calls,
        ("ChannelAttention", "channel_attention.py.j2"): "ChannelAttention" in calls,
        ("BlurPool", "blur_pool.py.j2"): "BlurPool" in calls
        or any(isinstance(x, ir.Blur) for x in stem),
        ("DropPath", "drop_path.py.j2"): "DropPath" in calls,
    }
    return [helper for helper, needed in used.items() if needed]


def _factory(net: ir.Network) -> FactoryView:
    params = _options_params(net)
    args = ["num_classes=num_classes", "zero_init_residual=zero_init_residual"]
    if net.options.drop_path > 0:
        args.append("drop_path_rate=drop_path_rate")
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
        keyword = "class" if name[0].isupper() else "def"
        text = env.get_template(template).render(norm=_helper_norm(net)).rstrip("\n")
        out.append(mark_text(f"{keyword} {name}", text))
    for kind in net.block_kinds:
        view = block_view(kind)
        text = env.get_template(view.template).render(block=view).rstrip("\n")
        out.append(mark_text(f"class {kind.class_name}", text))
    network = env.get_template("network.py.j2").render(net=_network_view(net, label))
    out.append(network.rstrip("\n"))
    out.append(env.get_template("factory.py.j2").render(factory=_factory(net)).rstrip("\n"))
    return out


def _helper_norm(net: ir.Network) -> NormView:
    """How the shortcut helpers write their norm: BatchNorm2d, or the GroupNorm of `norm: GN`."""
    groups = net.options.norm_groups
    return NormView(
        norm_expr("out_channels", groups), "BatchNorm" if groups is None else "GroupNorm"
    )


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
        *(["pool"] if net.stem.pooled else []),
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
        helpers = [
            shortcut_helper(b.shortcut) for b in stage.blocks if b.shortcut.kind == "projection"
        ]
        used += [f"def {name}" for name in dict.fromkeys(helpers) if name != "conv1x1"]
        if any(b.shortcut.kind == "zeropad" for b in stage.blocks):
            used.append("class ZeroPadShortcut")
        for kind in dict.fromkeys(b.kind for b in stage.blocks):
            used += [
                f"class {name}"
                for name in sorted(helpers_used(net.kind(kind)))
                if name[0].isupper()
            ]
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
