"""Render the annotated IR as a standalone Keras 3 module, through jinja2 templates.

The module mirrors the PyTorch one line for line where Keras allows: the same block classes
(`keras.layers.Layer` subclasses), the same attribute names (conv1, bn1, layer1..4, downsample,
fc) and the same calls that build each stage, so that `load_torch_state_dict` finds every
weight under its torch name. What Keras does differently is written out where it matters:
symmetric padding as a layer of its own (`conv2d`), torch's BatchNorm epsilon and momentum
(`batch_norm`), channels last. The lines of each part are marked while writing
(`targets.sourcemap`), and the text is checked (`modcheck`) before it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core import ir
from ...files.output import HEADER
from ...front.source import safe_label
from .. import nhwc
from ..pylayout import Call, FitCall, ListOf, Repeat, assign, comment, docstring
from ..sourcemap import mark, mark_text, strip
from ..target import Rendered
from ..templating import environment
from .blocks import block_view, conv_call, grouped, shortcut_call
from .modcheck import check_module

NOTES = [
    "Keras 3 on any backend; inputs are NHWC. `load_torch_state_dict(model, state_dict)` sets"
    " every weight, BatchNorm's moving statistics included, from the state_dict of the PyTorch"
    " module resnetc writes for the same table (torchvision's names and layouts).",
]


@dataclass
class NetworkView:
    """The network class, as `network.py.j2` renders it."""

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
    docstring: str
    body: list[str]


@dataclass
class ModuleView:
    """What `module.py.j2` renders: the module's head, then each definition's text in order."""

    header: str
    docstring: str
    exports: list[str]
    definitions: list[str]


def _padded(layer: FitCall, padding: int) -> FitCall:
    """`keras.Sequential([keras.layers.ZeroPadding2D(p), layer])`."""
    return FitCall("keras.Sequential", [ListOf([f"keras.layers.ZeroPadding2D({padding})", layer])])


def _stem_lines(net: ir.Network) -> tuple[list[list[str]], list[str]]:
    """The stem's constructor sections, and what the forward method does for the pool."""
    conv = net.stem.conv
    first = comment(f"conv1: {net.stem.conv_text} -> {nhwc.hwc(conv.output)}", 8)
    first += assign("self.conv1", _stem_conv(net.stem), 8)
    if net.stem.norm is not None:  # pre-activation nets normalise at each block's start instead
        first += [f"self.{net.stem.norm.name} = batch_norm()", "self.relu = keras.layers.ReLU()"]
    sections = [mark("conv1", first)]
    pool = net.stem.pool
    if pool is None:
        return sections, []
    cls = "keras.layers.MaxPooling2D" if pool.kind == "max" else "keras.layers.AveragePooling2D"
    layer = FitCall(cls, [str(pool.kernel), f"strides={pool.stride}"])
    text = f"pool: {pool.cell_text} -> {nhwc.hwc(pool.output)}"
    note = ""
    forward: list[str] = []
    if not pool.padding:
        expr = layer
    elif pool.kind == "avg":
        note = "(zero padding, counted in the average as torch counts it)"
        expr = _padded(layer, pool.padding)
    elif net.stem.norm is not None:
        note = "(zero padding: after a ReLU it is torch's -inf padding)"
        expr = _padded(layer, pool.padding)
    else:  # no ReLU before it: pad with -inf, as torch does
        p = pool.padding
        expr = layer
        forward = assign(
            "x",
            FitCall(
                "keras.ops.pad",
                [f"x, ((0, 0), ({p}, {p}), ({p}, {p}), (0, 0))", 'constant_values=float("-inf")'],
            ),
            8,
        )
        note = "(padded with -inf in `call`, as torch pads: no ReLU comes before it)"
    lines = [*comment(text, 8), *(comment(note, 8) if note else [])]
    lines += assign(f"self.{pool.name}", expr, 8)
    sections.append(mark("pool", lines))
    return sections, forward


def _stem_conv(stem: ir.Stem) -> FitCall:
    """conv1: one convolution, or a deep stem's `keras.Sequential` of them, a BatchNorm and a
    ReLU after each but the last (torch's `conv1.0`, `conv1.1`, ... at the same indices)."""
    entries: list = []
    for layer in nhwc.stem_layers(stem):
        if isinstance(layer, ir.Conv):
            stride = _stride(layer.stride)
            entries.append(
                conv_call(str(layer.out_channels), layer.kernel, stride, layer.padding, None)
            )
        else:
            entries += ["batch_norm()", "keras.layers.ReLU()"]
    if len(entries) == 1:
        return entries[0]
    return FitCall("keras.Sequential", [ListOf([_fit(e) for e in entries], explode=True)])


def _stride(stride: int) -> str | None:
    return str(stride) if stride != 1 else None


def _stage_lines(stage: ir.Stage) -> list[str]:
    """`self.layerN = keras.Sequential([...])`, each block a call, a run of identical blocks a
    loop."""
    entries = nhwc.stage_entries(stage, shortcut_call, [])
    call = FitCall("keras.Sequential", [ListOf([_fit(e) for e in entries], explode=True)])
    return mark(stage.attr, nhwc.stage_comment(stage) + assign(f"self.{stage.attr}", call, 8))


def _fit(expr):
    """The same expression, its calls laid out as ruff lays out calls it may join."""
    if isinstance(expr, Repeat):
        return Repeat(_fit(expr.element), expr.count)
    if isinstance(expr, Call):
        return FitCall(expr.func, [_fit(a) for a in expr.args], expr.explode)
    return expr


def _head_lines(net: ir.Network) -> list[str]:
    head = comment(f"{net.head.cell_text} -> num_classes", 8)
    if net.head.norm is not None:
        head += [f"self.{net.head.norm.name} = batch_norm()", "self.relu = keras.layers.ReLU()"]
    head += [
        "self.avgpool = keras.layers.GlobalAveragePooling2D()",
        "self.fc = keras.layers.Dense(num_classes)",
    ]
    return mark("head", head)


def _zero_init_lines(net: ir.Network) -> list[str]:
    """Start each residual branch as zero: its last BN's scale, or with pre-activation its last
    conv's kernel (nothing follows it there), set to be initialised with zeros."""
    what = "conv" if net.options.preact else "BN"
    stages = ", ".join(f"self.{s.attr}" for s in net.stages)
    out = [f"# Zero each block's last {what}: every residual branch starts as the identity."]
    out += [f"for stage in ({stages}{',' if len(net.stages) == 1 else ''}):"]
    out.append("    for block in stage.layers:")
    padded = {kind.class_name: kind.rows[-1].padding > 0 for kind in net.block_kinds if kind.preact}
    for i, (layer, classes) in enumerate(nhwc.last_layers(net).items()):
        test = nhwc.isinstance_test(classes)
        out.append(f"        {'if' if i == 0 else 'elif'} isinstance(block, {test}):")
        if net.options.preact and padded[classes[0]]:  # the conv after its ZeroPadding2D
            out.append(f"            conv = block.{layer}.layers[-1]")
            out.append("            conv.kernel_initializer = keras.initializers.Zeros()")
            continue
        weight = "kernel_initializer" if net.options.preact else "gamma_initializer"
        out.append(f"            block.{layer}.{weight} = keras.initializers.Zeros()")
    return out


def _forward(net: ir.Network, pool_forward: list[str]) -> list[list[str]]:
    stem = [f"x = self.conv1(x)  # {nhwc.hwc(net.stem.conv.output)}"]
    if net.stem.norm is not None:
        stem += [f"x = self.{net.stem.norm.name}(x)", "x = self.relu(x)"]
    stem = mark("conv1", stem)
    pool = net.stem.pool
    if pool is not None:
        stem += mark("pool", [*pool_forward, f"x = self.{pool.name}(x)  # {nhwc.hwc(pool.output)}"])
    stages = [
        mark(s.attr, [f"x = self.{s.attr}(x)  # {nhwc.hwc(s.output)}"])[0] for s in net.stages
    ]
    head = []
    if net.head.norm is not None:
        head += [f"x = self.{net.head.norm.name}(x)", "x = self.relu(x)"]
    head += [
        f"x = self.avgpool(x)  # {ir.annotated(net.stages[-1].output).c}",
        "x = self.fc(x)  # num_classes",
        "return x",
    ]
    return [stem, stages, mark("head", head)]


def _network_view(net: ir.Network, spec_label: str) -> NetworkView:
    sections, pool_forward = _stem_lines(net)
    sections += [_stage_lines(stage) for stage in net.stages]
    sections.append(_head_lines(net))
    params = [
        "self",
        f"num_classes: int = {net.classes}",
        f"zero_init_residual: bool = {net.options.zero_init_residual}",
    ]
    return NetworkView(
        name=net.class_name,
        docstring=nhwc.class_docstring(net, spec_label),
        signature=Call("def __init__", params).lines(4, 0, " -> None:"),
        sections=sections,
        zero_init=_zero_init_lines(net),
        forward=_forward(net, pool_forward),
    )


def _helpers(net: ir.Network) -> list[tuple[str, str]]:
    """(name, template) of each helper the module uses, in the order they are emitted."""
    shortcuts = [b.shortcut for s in net.stages for b in s.blocks]
    attention = nhwc.attention_helpers(net)
    avg_down = nhwc.avg_down_helpers(net)
    used = {
        ("conv2d", "conv2d_grouped.py.j2" if grouped(net) else "conv2d.py.j2"): True,
        ("batch_norm", "batch_norm.py.j2"): True,
        ("projection", "projection.py.j2"): any(
            sc.kind == "projection" and len(sc.layers) > 1 and not sc.avg_down for sc in shortcuts
        ),
        ("ZeroPadShortcut", "zeropad.py.j2"): any(sc.kind == "zeropad" for sc in shortcuts),
        ("avg_projection", "avg_projection.py.j2"): avg_down["avg_projection"],
        ("avg_conv1x1", "avg_conv1x1.py.j2"): avg_down["avg_conv1x1"],
        ("SqueezeExcite", "squeeze_excite.py.j2"): attention["SqueezeExcite"],
        ("ChannelAttention", "channel_attention.py.j2"): attention["ChannelAttention"],
    }
    return [helper for helper, needed in used.items() if needed]


def _factory(net: ir.Network) -> FactoryView:
    shape = f"({net.input.h}, {net.input.w}, {net.input.c})"
    params = [
        f"num_classes: int = {net.classes}",
        f"input_shape: tuple[int, int, int] = {shape}",
        f"zero_init_residual: bool = {net.options.zero_init_residual}",
    ]
    build = FitCall(
        net.class_name,
        ["num_classes=num_classes", "zero_init_residual=zero_init_residual"],
    )
    return FactoryView(
        signature=Call(f"def {net.name}", params).lines(0, 0, f" -> {net.class_name}:"),
        docstring=docstring(
            f"{net.class_name} with `num_classes` outputs (see the module docstring).",
            ["Built for NHWC inputs of `input_shape`: its weights exist once it returns."],
            4,
        ),
        body=[
            *assign("model", build, 4),
            "model(keras.Input(shape=input_shape))  # builds every layer",
            "return model",
        ],
    )


def _definitions(net: ir.Network, label: str) -> list[str]:
    """The text of each helper, block class, the network class, the factory and the loader, in
    order; each helper and class marked with its own key (`def projection`, `class BasicBlock`)."""
    env = environment("resnetc.targets.keras")
    out = []
    for name, template in _helpers(net):
        keyword = "class" if name[0].isupper() else "def"
        out.append(mark_text(f"{keyword} {name}", env.get_template(template).render().rstrip("\n")))
    for kind in net.block_kinds:
        view = block_view(kind)
        text = env.get_template(view.template).render(block=view).rstrip("\n")
        out.append(mark_text(f"class {kind.class_name}", text))
    out.append(env.get_template("network.py.j2").render(net=_network_view(net, label)).rstrip("\n"))
    out.append(env.get_template("factory.py.j2").render(factory=_factory(net)).rstrip("\n"))
    attention = nhwc.attention_helpers(net)
    load = env.get_template("load.py.j2").render(
        se=attention["SqueezeExcite"], eca=attention["ChannelAttention"]
    )
    out.append(load.rstrip("\n"))
    return out


def build_view(net: ir.Network, spec_label: str) -> ModuleView:
    """Everything the module template needs, computed from the annotated IR."""
    if not net.annotated:
        raise ValueError("emission needs a shape-annotated network (run shapes.annotate first)")
    label = safe_label(spec_label)
    helpers = [name for name, _ in _helpers(net) if name[0].isupper()]
    names = [*(k.class_name for k in net.block_kinds), net.class_name, net.name, *helpers]
    exports = sorted([*names, "load_torch_state_dict"])
    return ModuleView(
        header=HEADER.format(spec=label),
        docstring=nhwc.module_docstring(net, "Keras", NOTES),
        exports=exports,
        definitions=_definitions(net, label),
    )


def render_module(net: ir.Network, spec_label: str) -> Rendered:
    """The generated module for the annotated `net`, with its source map."""
    view = build_view(net, spec_label)
    marked = environment("resnetc.targets.keras").get_template("module.py.j2").render(module=view)
    text, ranges = strip(marked)
    check_module(text)
    helpers = {"projection": "def projection", "zeropad": "class ZeroPadShortcut"}
    return Rendered(text, nhwc.source_map(net, ranges, ("__init__", "call"), helpers))
