"""`resnetc import-table`: Table 1 pasted from the paper's LaTeX or a web page -> a spec per model.

The table is read into located cells (`latex` / `web`), its columns and layers are found (`layout`,
`columns`), and each model column becomes a YAML node tree whose scalars are the table's own
cells: the pipeline's analysis (`analyze_tree`: the spec models, lowering, the shape pass) runs on
the table itself, so every diagnostic points into the table file. Only columns that compile are
turned into YAML, and that YAML is analysed again before anything is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core import costs, ir
from ..core.spec_writer import network_spec
from ..front.diagnostics import CompileError, Diagnostic, errors_of, fail, warning
from ..front.notation import BY_SIGN
from ..front.source import Source, Span, printable
from ..front.yamlsrc import Mapping, Node, Scalar, decode
from ..pipeline import analyze, analyze_tree
from . import symbols
from .columns import Column, named_columns, option_names, read_columns
from .layout import layers, table_layout
from .text import Row, Text, unflatten

DEFAULT_INPUT = "224x224x3"
"""The input size when neither the table nor `--input` gives one (ImageNet, as in Table 1)."""


@dataclass(frozen=True)
class Imported:
    """One model column, compiled: its network, the spec text to write, and its warnings."""

    name: str
    title: str
    network: ir.Network
    text: str
    shortcut: str = ""
    """Which shortcut option the spec has, and why (`shortcut option B, resnetc's default`)."""
    hint: str = ""
    """Where the table looks like the paper's CIFAR-10 networks and no option was chosen: that
    those used option A, and how to choose it."""


def decode_table(data: bytes, filename: str) -> Source:
    """The table file's text, refusing oversized, binary and non-UTF-8 input."""
    source = decode(data, filename, kind="table")
    nul = source.text.find("\0")
    if nul >= 0:
        error = fail(
            "the file holds a NUL byte: it is binary, not a pasted table", source.span(nul)
        )
        raise error.with_source(source)
    if not source.text.strip():
        raise fail(
            "the file is empty; paste Table 1 into it (LaTeX, or copied from a web page)",
            source.span(0),
        )
    return source


def read_rows(source: Source) -> list[Row]:
    """The table's rows, read as LaTeX source or as a web copy, whichever it is."""
    from . import latex as tablelatex
    from . import web as tableweb

    reader = tablelatex if tablelatex.is_latex(source.text) else tableweb
    rows = reader.read_rows(source)
    if not rows:
        raise fail("the file holds no table rows", source.span(0))
    return rows


def import_table(
    source: Source,
    label: str,
    names: str | None = None,
    input: str | None = None,
    shortcut: str | None = None,
    bind: str | None = None,
    classes: int | None = None,
) -> tuple[list[Imported], list[Diagnostic]]:
    """Every model column of the table compiled, and the warnings; `CompileError` if any fails.

    `label` names the table in the written specs' header comment; `names` (`a,b,c`) names the
    model columns, `input` (`224x224x3`) overrides the input size, `shortcut` (`A`, `B`, `C`)
    chooses the shortcut option (tables do not print it: resnetc's default is B), `bind`
    (`k=10,N=4`) gives the symbols a table's cells are written in (`tables.symbols`), and
    `classes` the classes of a table without an fc row.
    """
    sources = {source.name: source}
    try:
        named = option_names(names) if names is not None else None
        if named:
            sources["--names"] = named[0].source
        lay, data = table_layout(source, read_rows(source), named)
        columns = named_columns(source, lay, named)
        found = read_columns(source, layers(source, data, lay), lay, columns)
        input_scalar = _input(input, found.input, source, sources, columns[0])
        options = _options(shortcut, sources)
        if bind is not None:
            sources["--bind"] = Source("--bind", bind)  # so that a refusal shows the option
        values = symbols.parse_bind(bind) if bind is not None else {}
    except CompileError as exc:
        raise CompileError(exc.diagnostics, sources.values()) from None
    diagnostics: list[Diagnostic] = []
    if not found.head and classes is None:
        diagnostics.append(
            warning(
                "the table has no head row (average pool, 1000-d fc, softmax): assuming 1000"
                " classes",
                None,
                code="table-no-head-row",
            )
        )
    diagnostics.extend(_pool_hint(source, columns[0]))
    count = Scalar(str(classes or 1000), lay.header.text.strip().span(source), source, None, None)
    scalars = (input_scalar, count, options)
    return _compile_all(source, columns, scalars, label, sources, diagnostics, shortcut, values)


def _options(shortcut: str | None, sources: dict) -> Mapping | None:
    """`options: {shortcut: X}` from `--shortcut X`, its scalar in a source of that name."""
    if shortcut is None:
        return None
    value = _option_scalar("--shortcut", shortcut, sources)
    name = Scalar("shortcut", value.span, value.source, None, None)
    return Mapping(((name, value),), value.span)


def _option_scalar(option: str, text: str, sources: dict) -> Scalar:
    """A command-line option's value as a scalar located in a source of the option's name (so
    that a diagnostic about it points into `--input 224x224`, say)."""
    src = Source(option, text)
    sources[src.name] = src
    return Text.of(text, 0, len(text)).strip().scalar(src)


def shortcut_choice(net: ir.Network, chosen: str | None) -> tuple[str, str]:
    """Which shortcut option the spec has and why (tables print none), and a hint where the
    table looks like the paper's CIFAR-10 networks (a stem of stride 1 and no pool), which used
    option A where resnetc's default is B."""
    if chosen is not None:
        return f"shortcut option {net.options.shortcut}, from --shortcut", ""
    words = "shortcut option B (1x1 projections where a block changes shape), resnetc's default"
    cifar = net.stem.pool is None and not net.stem.deep and net.stem.conv.stride == 1
    cifar = cifar and not net.options.preact  # pre-activation CIFAR nets project (B)
    hint = (
        "the paper's CIFAR-10 networks, which this table's stem looks like, use shortcut option"
        " A (zero-padding, no parameters): import with --shortcut A for those"
    )
    return words, hint if cifar else ""


def _pool_hint(source: Source, col: Column) -> list[Diagnostic]:
    """A warning where the sizes halve from conv1 to the first stage but no pool line says why."""
    if col.pool is not None or len(col.sizes) < 2 or not col.stages:
        return []
    (key1, size1), (key2, size2) = col.sizes[:2]
    if key1.text != "conv1" or key2.text != col.stages[0][0].text:
        return []
    before, after = re.findall(r"[0-9]+", size1.text), re.findall(r"[0-9]+", size2.text)
    if not before or [int(n) for n in before] != [2 * int(n) for n in after]:
        return []
    return [
        warning(
            f"the table has no pool line, yet the output size halves from conv1 ({size1.text}) to"
            f" {key2.text} ({size2.text})",
            size2.span(source),
            help="Table 1 opens conv2_x with '3×3 max pool, stride 2': copy that row too",
            code="table-no-pool-line",
        )
    ]


def _compile_all(source, columns, scalars, label, sources, diagnostics, shortcut=None, values=None):
    """Analyse every column (all are reported), then write each one's spec text."""
    networks = []
    for col in columns:
        try:
            _bind(source, col, values or {})
            analysis = analyze_tree(_tree(source, col, *scalars), source)
            networks.append((col, analysis.network))
            diagnostics.extend(analysis.warnings)
        except CompileError as exc:
            diagnostics.extend(exc.diagnostics)
    diagnostics = _unique(diagnostics)
    if errors_of(diagnostics):  # the errors alone: nothing is written, so no warning matters
        raise CompileError(errors_of(diagnostics), sources.values())
    out = []
    for col, net in networks:
        words, hint = shortcut_choice(net, shortcut)
        said = f"{words}; {hint}" if hint else words
        text = _checked_yaml(net, col, label, said)
        out.append(Imported(net.name, col.title.text, net, text, words, hint))
    return out, diagnostics


def _bind(source: Source, col: Column, values: dict[str, int]) -> None:
    """The column's cells with their symbols bound (`--bind`, else the column's WRN-d-k name);
    a column written in the Wide ResNet paper's k and N is that paper's: pre-activation."""
    col.stages = [(name, unflatten(cell)) for name, cell in col.stages]  # LaTeX and all read
    written = set().union(*(symbols.used(cell.text) for _, cell in col.stages))
    if not written:
        return
    rows = max(len(re.findall(rf"[0-9]\s*{BY_SIGN}\s*[0-9]", cell.text)) for _, cell in col.stages)
    named = symbols.from_name(col.name.text, rows, len(col.stages))
    given = {**named, **values}
    col.stages = [
        (name, symbols.bind(source, cell, given, col.name.text)) for name, cell in col.stages
    ]
    col.preact = col.preact or bool(written & symbols.WIDE)
    if not col.named and written >= symbols.WIDE:  # the paper's own name: WRN-d-k
        name = symbols.wrn_name(given, rows, len(col.stages))
        col.name = Scalar(name, col.name.span, col.name.source, None, None)
    said = " and ".join(
        f"{s} = {given[s]} ({'from --bind' if s in values else f'from the name {col.name.text}'})"
        for s in sorted(written, key=str.lower)
    )
    col.bound = f"The cells are written in symbols: {said}."
    if written & symbols.WIDE:
        col.bound += (
            " They are the Wide ResNet paper's (Zagoruyko and Komodakis 2016), whose blocks are"
            " pre-activation (BN-ReLU-conv): preact is on."
        )


def _unique(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Each diagnostic once (a cell shared by all columns is checked once per column)."""
    seen, out = set(), []
    for d in diagnostics:
        key = (d.severity, d.message, d.span, d.help)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return sorted(out, key=lambda d: (d.span.line, d.span.col) if d.span else (0, 0))


# ---------------------------------------------------------------- one spec tree per column


def _input(option: str | None, table: Text | None, source: Source, sources, col: Column) -> Scalar:
    """The input size: `--input`, else the table's input row, else conv1's output size times
    its stride (the Wide ResNet paper's 32x32 tables have no input row), else 224x224x3."""
    if option is not None:
        return _option_scalar("--input", option, sources)
    if table is not None:
        if len(re.findall(r"[0-9]+", table.text)) == 2:
            table = table + Text.synthetic("x3", table.end - 1)
        return table.scalar(source)
    size = {k.text: v for k, v in col.sizes}.get("conv1")
    dims = [int(n) for n in re.findall(r"[0-9]+", size.text)] if size is not None else []
    if col.stem is not None and size is not None and len(dims) in (1, 2) and max(dims) <= 4096:
        m = re.search(r"(?:stride\s*|/\s*)([0-9])", col.stem.text)
        stride = int(m.group(1)) if m else 1
        h, w = dims[0] * stride, dims[-1] * stride
        return Scalar(f"{h}x{w}x3", size.span(source), source, None, None)
    return Scalar(DEFAULT_INPUT, Span(source.name, 1, 1, 1, 2), source, None, None)


def _tree(
    source: Source,
    col: Column,
    input_scalar: Scalar,
    classes: Scalar,
    options: Mapping | None = None,
) -> Mapping:
    """The column as the YAML node tree a spec file would give, its scalars in the table."""
    span = col.name.span

    def key(text: str) -> Scalar:
        """A mapping key that no diagnostic will point at (all are well-formed)."""
        return Scalar(text, span, source, None, None)

    assert col.stem is not None  # `read_columns` gives every column its conv1 cell, or fails
    stem = [(key("conv1"), col.stem.scalar(source))]
    if col.pool is not None:
        stem.append((key("pool"), col.pool.scalar(source)))
    stages = tuple(
        (name.scalar(source), unflatten(cell).scalar(source)) for name, cell in col.stages
    )
    entries: list[tuple[Scalar, Node]] = [
        (key("name"), col.name),
        (key("input"), input_scalar),
        (key("classes"), col.classes.scalar(source) if col.classes is not None else classes),
        (key("stem"), Mapping(tuple(stem), span)),
        (key("stages"), Mapping(stages, span)),
    ]
    expect = [(k, size.scalar(source)) for k, size in col.sizes]
    ratio = _downsample(input_scalar.text, col)
    if ratio is not None:
        expect.append(
            (
                key("downsample"),
                Scalar(str(ratio), col.sizes[-1][1].span(source), source, None, None),
            )
        )
    if expect:
        entries.append((key("expect"), Mapping(tuple(expect), span)))
    chosen = list(options.entries) if options is not None else []
    if col.preact:
        chosen.append((key("preact"), Scalar("true", span, source, None, None)))
    if chosen:
        entries.append((key("options"), Mapping(tuple(chosen), span)))
    return Mapping(tuple(entries), span)


def _downsample(input_text: str, col: Column) -> int | None:
    """Input size / the last stage's output size, where the table gives both and they divide."""
    if not col.sizes or not col.stages or col.sizes[-1][0].text != col.stages[-1][0].text:
        return None
    given = re.findall(r"[0-9]+", input_text)
    last = re.findall(r"[0-9]+", col.sizes[-1][1].text)
    if len(given) < 2 or len(last) not in (1, 2):
        return None
    h, w = int(given[0]), int(given[1])
    lh, lw = int(last[0]), int(last[-1])
    if lh == 0 or lw == 0 or h % lh or w % lw or h // lh != w // lw:
        return None
    return h // lh


# ---------------------------------------------------------------- the spec files


def _comment(net: ir.Network, col: Column, label: str, shortcut: str = "") -> str:
    """Where the spec came from, and what the table printed about the model."""
    title = printable(" ".join(col.title.text.split()))[:60]
    words = [
        f'{net.name}: the "{title}" column of the table in {printable(label)},'
        " imported by resnetc import-table."
    ]
    params, macs = costs.totals(net)
    for what, value in col.printed:
        if re.search(r"param", what, re.I):
            words.append(f"The table prints {value} {what}; resnetc counts {params:,}.")
        else:
            words.append(
                f"The table prints {value} {what} for this column; resnetc counts {macs:,}"
                " multiply-adds (convolutions and fc)."
            )
    if col.bound:
        words.append(col.bound)
    if shortcut:
        words.append(f"Tables print no shortcut: {shortcut}.")
    return " ".join(words)


def _checked_yaml(net: ir.Network, col: Column, label: str, shortcut: str = "") -> str:
    """The spec text, analysed again: it must build the very network the table built."""
    comment = _comment(net, col, label, shortcut)
    text = network_spec(net, comment)
    try:
        again = analyze(text, f"{net.name}.yaml").network
    except CompileError as exc:  # pragma: no cover - a bug in the writer, not in the table
        raise RuntimeError(
            f"the spec written for {net.name} does not compile:\n{exc.render()}"
        ) from None
    if network_spec(again, comment) != text or costs.totals(again) != costs.totals(net):
        raise RuntimeError(f"the spec written for {net.name} does not build the table's network")
    return text
