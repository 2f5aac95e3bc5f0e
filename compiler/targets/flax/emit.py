"""Render the annotated IR as a standalone Flax NNX module, through jinja2 templates.

The module mirrors the PyTorch one line for line where NNX allows: the same block classes
(`nnx.Module` subclasses taking `rngs`), the same attribute names (conv1, bn1, layer1..4,
downsample, fc) and the same calls that build each stage, so that `load_torch_state_dict` finds
every weight under its torch name. What differs is written out where it matters: integer
(symmetric) padding, torch's BatchNorm epsilon and momentum (`batch_norm`), the stem's pool and
the average pool as functions in `__call__`, channels last. The lines of each part are marked
while writing (`targets.sourcemap`), and the text is checked (`modcheck`) before it is returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core import ir
from ...files.output import HEADER
from ...front.source import safe_label
from .. import nhwc
from ..pylayout import Call, FitCall, Repeat, assign, comment, docstring
from ..sourcemap import mark, mark_text, strip
from ..target import Rendered
from ..templating import environment
from .blocks import block_view, conv_call, grouped, shortcut_call
from .modcheck import check_module

NOTES = [
    "Flax NNX; inputs are NHWC. `load_torch_state_dict(model, state_dict)` sets every"
    " parameter and batch statistic from the state_dict of the PyTorch module resnetc writes"
    " for the same table (torchvision's names and layouts); `model.eval()` makes BatchNorm use"
    " the running statistics.",
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


def _stem_lines(net: ir.Network) -> list[list[str]]:
    conv = net.stem.conv
    first = comment(f"conv1: {net.stem.conv_text} -> {nhwc.hwc(conv.output)}", 8)
    first += assign("self.conv1", _stem_conv(net.stem), 8)
    if net.stem.norm is not None:  # pre-activation nets normalise at each block's start instead
        first.append(f"self.{net.stem.norm.name} = batch_norm({net.stem.norm.channels}, rngs=rngs)")
    return [mark("conv1", first)]


def _stem_conv(stem: ir.Stem) -> FitCall:
    """conv1: one convolution, or a deep stem's `nnx.Sequential` of them, a BatchNorm and a ReLU
    after each but the last (torch's `conv1.0`, `conv1.1`, ... at the same indices)."""
    entries: list = []
    for layer in nhwc.stem_layers(stem):
        if isinstance(layer, ir.Conv):
            stride = str(layer.stride) if layer.stride != 1 else None
            widths = (str(layer.in_channels), str(layer.out_channels))
            entries.append(conv_call(*widths, layer.kernel, stride, layer.padding, None))
        else:
            entries += [f"batch_norm({layer.channels}, rngs=rngs)", "nnx.relu"]
    if len(entries) == 1:
        return entries[0]
    return FitCall("nnx.Sequential", [_fit(e) for e in entries], explode=True)


def _pool_func(pool: ir.Pool) -> str:
    """The module's own pooling function (`max_pool.py.j2`, `avg_pool.py.j2`)."""
    return "max_pool" if pool.kind == "max" else "avg_pool"


def _pool_lines(pool: ir.Pool) -> list[str]:
    """The stem's pool in `__call__`, a call of the module's `max_pool` (it pads with -inf) or
    `avg_pool` (it counts the padding's zeros), as torch's pools do. They are nnx.max_pool and
    nnx.avg_pool written out with jax.lax.reduce_window, which is typed and they are not."""
    args = ["x", str(pool.kernel), f"stride={pool.stride}"]
    if pool.padding:
        args.append(f"padding={pool.padding}")
    out = comment(f"pool: {pool.cell_text} -> {nhwc.hwc(pool.output)}", 8)
    return out + assign("x", FitCall(_pool_func(pool), args), 8)


def _fit(expr):
    """The same expression, its calls laid out as ruff lays out calls it may join."""
    if isinstance(expr, Repeat):
        return Repeat(_fit(expr.element), expr.count)
    if isinstance(expr, Call):
        return FitCall(expr.func, [_fit(a) for a in expr.args], expr.explode)
    return expr


def _stage_lines(stage: ir.Stage) -> list[str]:
    """`self.layerN = nnx.Sequential(...)`: each block a call, a run of identical blocks a loop."""
    entries = [_fit(e) for e in nhwc.stage_entries(stage, shortcut_call, ["rngs=rngs"])]
    call = FitCall("nnx.Sequential", entries, explode=True)
    return mark(stage.attr, nhwc.stage_comment(stage) + assign(f"self.{stage.attr}", call, 8))


def _head_lines(net: ir.Network) -> list[str]:
    head = comment(f"{net.head.cell_text} -> num_classes", 8)
    if net.head.norm is not None:
        norm = net.head.norm
        head.append(f"self.{norm.name} = batch_norm({norm.channels}, rngs=rngs)")
    head.append(f"self.fc = nnx.Linear({net.head.fc.in_features}, num_classes, rngs=rngs)")
    return mark("head", head)


def _zero_init_lines(net: ir.Network) -> list[str]:
    """Zero the last layer of every residual branch: its last BN's scale, or with pre-activation
    its last conv's kernel (nothing follows it there)."""
    what = "conv" if net.options.preact else "BN"
    out = [f"# Zero each block's last {what}: every residual branch starts as the identity."]
    out.append("for _, m in nnx.iter_modules(self):")
    for i, (layer, classes) in enumerate(nhwc.last_layers(net).items()):
        out.append(
            f"    {'if' if i == 0 else 'elif'} isinstance(m, {nhwc.isinstance_test(classes)}):"
        )
        if net.options.preact:
            out.append(f"        m.{layer}.kernel[...] = jnp.zeros_like(m.{layer}.kernel[...])")
        else:  # nnx.BatchNorm's scale is None if built with use_scale=False; batch_norm() is not
            out.append(f"        scale = m.{layer}.scale")
            out.append("        assert scale is not None  # batch_norm() gives every BN a scale")
            out.append("        scale[...] = jnp.zeros_like(scale[...])")
    return out


def _forward(net: ir.Network) -> list[list[str]]:
    stem = [f"x = self.conv1(x)  # {nhwc.hwc(net.stem.conv.output)}"]
    if net.stem.norm is not None:
        stem += [f"x = self.{net.stem.norm.name}(x)", "x = nnx.relu(x)"]
    stem = mark("conv1", stem)
    if net.stem.pool is not None:
        stem += mark("pool", _pool_lines(net.stem.pool))
    stages = [
        mark(s.attr, [f"x = self.{s.attr}(x)  # {nhwc.hwc(s.output)}"])[0] for s in net.stages
    ]
    head = []
    if net.head.norm is not None:
        head += [f"x = self.{net.head.norm.name}(x)", "x = nnx.relu(x)"]
    features = ir.annotated(net.stages[-1].output).c
    head += [
        f"x = jnp.mean(x, axis=(1, 2))  # {features}: the average pool",
        "x = self.fc(x)  # num_classes",
        "return x",
    ]
    return [stem, stages, mark("head", head)]


def _network_view(net: ir.Network, spec_label: str) -> NetworkView:
    sections = _stem_lines(net)
    sections += [_stage_lines(stage) for stage in net.stages]
    sections.append(_head_lines(net))
    params = [
        "self",
        f"num_classes: int = {net.classes}",
        f"zero_init_residual: bool = {net.options.zero_init_residual}",
        "*",
        "rngs: nnx.Rngs",
    ]
    return NetworkView(
        name=net.class_name,
        docstring=nhwc.class_docstring(net, spec_label),
        signature=Call("def __init__", params).lines(4, 0, " -> None:"),
        sections=sections,
        zero_init=_zero_init_lines(net),
        forward=_forward(net),
    )


def _helpers(net: ir.Network) -> list[tuple[str, str]]:
    """(name, template) of each helper the module uses, in the order they are emitted."""
    shortcuts = [b.shortcut for s in net.stages for b in s.blocks]
    pool = net.stem.pool
    attention = nhwc.attention_helpers(net)
    avg_down = nhwc.avg_down_helpers(net)
    used = {
        ("conv2d", "conv2d_grouped.py.j2" if grouped(net) else "conv2d.py.j2"): True,
        ("batch_norm", "batch_norm.py.j2"): True,
        ("max_pool", "max_pool.py.j2"): pool is not None and pool.kind == "max",
        ("avg_pool", "avg_pool.py.j2"): pool is not None and pool.kind == "avg",
        ("projection", "projection.py.j2"): any(
            sc.kind == "projection" and len(sc.layers) > 1 and not sc.avg_down for sc in shortcuts
        ),
        ("ZeroPadShortcut", "zeropad.py.j2"): any(sc.kind == "zeropad" for sc in shortcuts),
        ("ceil_avg_pool", "ceil_avg_pool.py.j2"): any(avg_down.values()),
        ("avg_projection", "avg_projection.py.j2"): avg_down["avg_projection"],
        ("avg_conv1x1", "avg_conv1x1.py.j2"): avg_down["avg_conv1x1"],
        ("SqueezeExcite", "squeeze_excite.py.j2"): attention["SqueezeExcite"],
        ("ChannelAttention", "channel_attention.py.j2"): attention["ChannelAttention"],
    }
    return [helper for helper, needed in used.items() if needed]


def _factory(net: ir.Network) -> FactoryView:
    params = [
        f"num_classes: int = {net.classes}",
        f"zero_init_residual: bool = {net.options.zero_init_residual}",
        "*",
        "rngs: nnx.Rngs | None = None",
    ]
    build = FitCall(
        net.class_name,
        [
            "num_classes=num_classes",
            "zero_init_residual=zero_init_residual",
            "rngs=nnx.Rngs(0) if rngs is None else rngs",
        ],
    )
    return FactoryView(
        signature=Call(f"def {net.name}", params).lines(0, 0, f" -> {net.class_name}:"),
        docstring=docstring(
            f"{net.class_name} with `num_classes` outputs (see the module docstring).",
            ["`rngs` draws the initial weights (nnx.Rngs(0) if it is not given)."],
            4,
        ),
        body=[f"return {line}" if i == 0 else line for i, line in enumerate(build.lines(4, 7))],
    )


def _definitions(net: ir.Network, label: str) -> list[str]:
    """The text of each helper, block class, the network class, the factory and the loader, in
    order; each helper and class marked with its own key (`def projection`, `class BasicBlock`)."""
    env = environment("resnetc.targets.flax")
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
    return ModuleView(
        header=HEADER.format(spec=label),
        docstring=nhwc.module_docstring(net, "Flax", NOTES),
        exports=sorted([*names, "load_torch_state_dict"]),
        definitions=_definitions(net, label),
    )


def render_module(net: ir.Network, spec_label: str) -> Rendered:
    """The generated module for the annotated `net`, with its source map."""
    view = build_view(net, spec_label)
    marked = environment("resnetc.targets.flax").get_template("module.py.j2").render(module=view)
    text, ranges = strip(marked)
    check_module(text)
    helpers = {"projection": "def projection", "zeropad": "class ZeroPadShortcut"}
    parts = nhwc.source_map(net, ranges, ("__init__", "__call__"), helpers, frozenset({"pool"}))
    return Rendered(text, parts)
