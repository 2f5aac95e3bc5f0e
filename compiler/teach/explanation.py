"""`resnetc explain`: a walk through the network, from each table cell to its layers and its code.

`explain(analysis)` computes everything once (`Explanation`): for the stem, the pool, every stage
and the head, the cell as written, what it expands to in words, the output-size arithmetic of every
layer that changes the size, parameters and multiply-adds, and the lines of the generated module
that implement it. `teach.markdown` renders it for a terminal or a docs page; the HTML page
(`resnetc.teach.page`) renders the same `Explanation`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core import costs, ir
from ..front.diagnostics import Diagnostic
from ..front.source import safe_label
from ..pipeline import Analysis, render
from ..targets.sourcemap import CodeRange
from . import network_words, part_words
from .size_formula import out_size_text


@dataclass(frozen=True)
class SizeStep:
    """One layer's output size, worked out: `floor((224 + 2*3 - 7) / 2) + 1 = 112`."""

    layer: str
    op: str
    before: ir.Shape
    after: ir.Shape
    text: str


@dataclass(frozen=True)
class LayerRow:
    """A layer of a part (`count` identical copies for a run of blocks), with its costs."""

    name: str
    op: str
    output: ir.Shape
    params: int
    macs: int
    count: int = 1


@dataclass(frozen=True)
class Part:
    """The stem conv, the pool, a stage or the head: its cell, meaning, numbers and code."""

    key: str
    cell: str
    written: tuple[tuple[int, str], ...]
    output: ir.Shape
    words: tuple[str, ...]
    steps: tuple[SizeStep, ...]
    layers: tuple[LayerRow, ...]
    params: int
    macs: int
    code: tuple[CodeRange, ...]
    cells: tuple[str, ...] = ()
    """A stage's cells, each in the canonical notation: one, or a pruned stage's several (`cell`
    joins them with ` + `); empty for the stem, the pool and the head."""

    @property
    def pruned(self) -> bool:
        """Whether the part is a stage written as several cells (a pruned network's)."""
        return len(self.cells) > 1


@dataclass(frozen=True)
class Explanation:
    """Everything `explain` says about one network."""

    network: ir.Network
    label: str
    module: str
    parts: tuple[Part, ...]
    size_chain: tuple[str, ...]
    size_words: tuple[str, ...]
    depth: str
    cost_words: tuple[str, ...]
    cost_table: tuple[str, ...]
    warnings: tuple[tuple[str, str], ...]
    target: str = "torch"
    file_name: str = ""

    @property
    def module_lines(self) -> list[str]:
        """The generated module, one string per line."""
        return self.module.splitlines()

    @property
    def totals(self) -> tuple[int, int]:
        """(parameters, multiply-adds) of the whole network."""
        return sum(p.params for p in self.parts), sum(p.macs for p in self.parts)


# ---------------------------------------------------------------- size arithmetic


def _step(
    name: str, op: str, before: ir.Shape, after: ir.Shape, k: int, s: int, p: int
) -> SizeStep:
    text = _size_text(before.h, after.h, k, s, p)
    if (before.h, after.h) != (before.w, after.w):
        text = f"H: {text}; W: {_size_text(before.w, after.w, k, s, p)}"
    return SizeStep(name, op, before, after, text)


def _size_text(size: int, out: int, k: int, s: int, p: int) -> str:
    """The arithmetic of one size; a ceil-mode pool that rounds up says so."""
    text = out_size_text(size, k, s, p)
    if not text.endswith(f"= {out}"):  # ResNet-D's shortcut pool, in ceil mode
        return f"ceil(({size} + 2*{p} - {k}) / {s}) + 1 = {out}"
    return text


def _conv_op(conv: ir.Conv) -> str:
    return f"{conv.kernel}x{conv.kernel} conv, stride {conv.stride}, padding {conv.padding}"


def _layer_op(layer) -> str:
    """How a layer that changes the map size is written in the size arithmetic."""
    if isinstance(layer, ir.Conv):
        return _conv_op(layer)
    if isinstance(layer, ir.Blur):
        return f"{layer.kernel}x{layer.kernel} blur, stride {layer.stride}, reflect padding 1"
    op = f"{layer.kernel}x{layer.kernel} {layer.kind} pool, stride {layer.stride}"
    if layer.ceil and not layer.padding:
        return op + ", ceil mode"
    return op + f", padding {layer.padding}" + (", ceil mode" if layer.ceil else "")


def _layer_steps(prefix: str, layers, x: ir.Shape) -> tuple[list[SizeStep], ir.Shape]:
    """The steps of the layers (in order, from the map `x`) that change the map size."""
    out = []
    for layer in layers:
        y = layer.output
        if isinstance(layer, (ir.Conv, ir.Pool, ir.Blur)) and (y.h, y.w) != (x.h, x.w):
            out.append(_step(prefix + layer.name, _layer_op(layer), x, y, *_ksp(layer)))
        x = y
    return out, x


def _block_steps(attr: str, block: ir.Block) -> list[SizeStep]:
    """The layers of a block that change the map size (the stride's conv, or its anti-aliasing
    layer, and its shortcut's conv or pool)."""
    prefix = f"{attr}.{block.index}."
    sc, x = block.shortcut, ir.annotated(block.input)
    out, _ = _layer_steps(prefix, block.layers, x)
    if sc.kind == "projection":
        out += _layer_steps(prefix, sc.layers, x)[0]
    elif sc.kind == "zeropad":
        y = ir.annotated(sc.output)
        if (y.h, y.w) != (x.h, x.w):
            op = f"zero-pad shortcut, x[:, :, ::{sc.stride}, ::{sc.stride}]"
            out.append(_step(prefix + "downsample", op, x, y, 1, sc.stride, 0))
    return out


def _ksp(layer: ir.Conv | ir.Pool | ir.Blur) -> tuple[int, int, int]:
    padding = layer.kernel // 2 if isinstance(layer, ir.Blur) else layer.padding
    return layer.kernel, layer.stride, padding


# ---------------------------------------------------------------- parts


def _written(source, first: int, last: int) -> tuple[tuple[int, str], ...]:
    from ..front.source import printable

    if source is None:
        return ()
    return tuple((n, printable(source.line_text(n)).rstrip()) for n in range(first, last + 1))


def _rows(prefix: str, layers, count: int = 1) -> list[LayerRow]:
    out = []
    for layer in layers:
        c = costs.layer_cost(layer)
        out.append(LayerRow(prefix + c.name, c.op, c.output, c.params, c.macs, count))
    return out


def _stem_parts(net: ir.Network, source, code) -> list[Part]:
    stem = net.stem
    conv = stem.conv
    out = ir.annotated(conv.output)
    layers = [x for x in (*stem.deep, conv, stem.norm) if x is not None]
    rows = _rows("", layers)
    span = stem.convs[0].span
    if len(stem.convs) == 1:
        steps = [_step("conv1", _conv_op(conv), net.input, out, *_ksp(conv))]
    else:  # every conv of a deep stem, whether or not it changes the size
        steps, x = [], net.input
        for c in stem.convs:
            y = ir.annotated(c.output)
            steps.append(_step(c.name, _conv_op(c), x, y, *_ksp(c)))
            x = y
    parts = [
        Part(
            "conv1",
            stem.conv_text,
            _written(source, span.line, span.end_line) if span else (),
            out,
            tuple(part_words.stem_words(net)),
            tuple(steps),
            tuple(rows),
            sum(r.params for r in rows),
            sum(r.macs for r in rows),
            code["conv1"],
        )
    ]
    if stem.pooled:
        pool_layers = [stem.pool] if stem.pool is not None else list(stem.pool_layers)
        pool_span = stem.pool_span
        steps, _ = _layer_steps("", pool_layers, out)
        pool_rows = _rows("", pool_layers)
        parts.append(
            Part(
                "pool",
                stem.pool_text,
                _written(source, pool_span.line, pool_span.end_line) if pool_span else (),
                ir.annotated(stem.pool_output),
                tuple(part_words.pool_words(net)),
                tuple(steps),
                tuple(pool_rows),
                sum(r.params for r in pool_rows),
                sum(r.macs for r in pool_rows),
                code["pool"],
            )
        )
    return parts


def _stage_part(net: ir.Network, index: int, source, code, total: costs.StageCost) -> Part:
    stage = net.stages[index]
    rows: list[LayerRow] = []
    steps: list[SizeStep] = []
    for block in stage.blocks:
        last = block.index + block.count - 1
        names = f"{block.index}" if block.count == 1 else f"[{block.index}-{last}]"
        layers = [*block.layers, *block.shortcut.layers]
        rows += _rows(f"{stage.attr}.{names}.", layers, block.count)
        steps += _block_steps(stage.attr, block)
    ends = [s.end_line for s in (stage.cell_span, stage.stride_span) if s is not None]
    where = stage.span or stage.cell_span
    assert where is not None  # lower gives every stage its cell's span (a cell always has one)
    return Part(
        stage.attr,
        stage.cell_text,
        _written(source, where.line, max(ends)),
        ir.annotated(stage.output),
        tuple(part_words.stage_words(net, stage, index)),
        tuple(steps),
        tuple(rows),
        total.params,
        total.macs,
        code[stage.attr],
        stage.cell_texts,
    )


def _head_part(net: ir.Network, source, code, total: costs.StageCost) -> Part:
    last = ir.annotated(net.stages[-1].output)
    rows = _rows("", [net.head.norm]) if net.head.norm is not None else []
    rows.append(LayerRow("avgpool", "adaptive avgpool", ir.Shape(last.c, 1, 1), 0, 0))
    rows += _rows("", [net.head.fc])
    span = net.head.fc.span
    return Part(
        "head",
        f"average pool, {net.classes}-d fc",
        _written(source, span.line, span.end_line) if span else (),
        ir.annotated(net.head.output),
        tuple(part_words.head_words(net)),
        (),
        tuple(rows),
        total.params,
        total.macs,
        code["head"],
    )


# ---------------------------------------------------------------- the whole walk


def _changes(parts: list[Part], titles: dict[str, str]) -> list[tuple[str, str, int, int]]:
    """(part, layer, before, after) for every main-path layer that changes the map height."""
    out = []
    for part in parts:
        for step in part.steps:
            if ".downsample" not in step.layer and step.before.h != step.after.h:
                out.append((titles[part.key], step.layer, step.before.h, step.after.h))
    return out


def explain(analysis: Analysis, target: str = "torch") -> Explanation:
    """Everything `resnetc explain` says about an analysed spec, quoting the module `target`
    writes (`CompileError` if that target cannot write the network)."""
    net = analysis.network
    source = analysis.source
    label = safe_label(getattr(source, "name", None) or f"{net.name}.yaml")
    rendered = render(analysis, label, target)
    module, code = rendered.text, rendered.parts
    stage_costs = costs.stages(net)
    parts = _stem_parts(net, source, code)
    for i in range(len(net.stages)):
        parts.append(_stage_part(net, i, source, code, stage_costs[i + 1]))
    parts.append(_head_part(net, source, code, stage_costs[-1]))
    table, words = network_words.downsampling(net, _changes(parts, titles(net)))
    cost_words, cost_table = network_words.cost_words(net)
    return Explanation(
        network=net,
        label=label,
        module=module,
        parts=tuple(parts),
        size_chain=tuple(table),
        size_words=tuple(words),
        depth=network_words.depth(net),
        cost_words=tuple(cost_words),
        cost_table=tuple(cost_table),
        warnings=tuple(_warning(net, d, source) for d in analysis.warnings),
        target=target,
        file_name=_target(target).file_name(net),
    )


def _target(name: str):
    from ..pipeline import target

    return target(name)


def titles(net: ir.Network) -> dict[str, str]:
    """Part key -> the name the table gives it (`layer2` -> `conv3_x`)."""
    out = {"conv1": "conv1", "pool": "pool", "head": "head"}
    out.update({stage.attr: stage.name for stage in net.stages})
    return out


def _warning(net: ir.Network, d: Diagnostic, source) -> tuple[str, str]:
    return d.render(source), network_words.warning_words(net, d)
