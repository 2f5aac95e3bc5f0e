"""Each value a spec holds, read from the text the user wrote: the field validators of spec.py.

A validator receives a YAML `Scalar` (text plus position), or a mapping or list from `to_data`,
parses it, and returns a small typed value that remembers its `Span`; a refusal is a pydantic
error that carries the exact span and a help line, which spec.py turns into a diagnostic.
"""

from __future__ import annotations

import difflib
import keyword
import re
from typing import Any, Literal, NamedTuple

from pydantic_core import PydanticCustomError

from . import limits
from .cells import Cell, parse_cell
from .diagnostics import CompileError
from .lintnames import LINTS
from .names import SOFT_KEYWORDS, bad_identifier
from .notation import BY, KERNEL, NUMBER, RATE, STRIDE, digit_message, nonascii_digit
from .source import Source, Span, shorten
from .yamlsrc import Node, Scalar, Sequence


class Value(NamedTuple):
    """A number the user wrote, with where they wrote it."""

    value: int
    span: Span


class Name(NamedTuple):
    """An identifier the user wrote, with where they wrote it."""

    value: str
    span: Span


class InputShape(NamedTuple):
    """`input: 224x224x3`: height, width and channels."""

    h: int
    w: int
    c: int
    span: Span


class StemConv(NamedTuple):
    """`conv1: 7x7, 64, /2`: kernel, filters and stride of the stem convolution.

    A deep stem (`3x3, 32, /2; 3x3, 32; 3x3, 64`, the "Bag of Tricks" ResNet-C) is its first
    convolution with the others in `rest`, each a `StemConv` of its own span.
    """

    kernel: int
    filters: int
    stride: int
    span: Span
    rest: tuple[StemConv, ...] = ()

    @property
    def convs(self) -> tuple[StemConv, ...]:
        """Every convolution of the stem, in order."""
        return (self, *self.rest)


class StemPool(NamedTuple):
    """`pool: 3x3 max, /2`: kernel, kind and stride of the stem pooling."""

    kernel: int
    kind: Literal["max", "avg"]
    stride: int
    span: Span


class Size(NamedTuple):
    """An expected output size, `56x56`, under its key (`conv2_x`)."""

    key: Name
    h: int
    w: int
    span: Span


class Choice(NamedTuple):
    """An option value chosen from a fixed list."""

    value: str
    span: Span


class Flag(NamedTuple):
    """A true/false option."""

    value: bool
    span: Span


class Kernel(NamedTuple):
    """A square kernel the user wrote (`shortcut_kernel: 3x3`), with where they wrote it."""

    value: int
    span: Span


class NormChoice(NamedTuple):
    """`norm: BN` (None groups: BatchNorm) or `norm: GN, G=32` (GroupNorm of 32 groups)."""

    groups: int | None
    span: Span


class Rate(NamedTuple):
    """A probability the user wrote (`drop_path: 0.05`), with where they wrote it."""

    value: float
    span: Span


# ---------------------------------------------------------------- raw YAML -> validator input


class SpanDict(dict):
    """A YAML mapping as a dict of its keys' text, remembering its own and its keys' spans."""

    span: Span
    key_spans: dict[str, Span]
    key_nodes: dict[str, Scalar]


class SpanList(list):
    """A YAML sequence as a list, remembering its span and its node."""

    span: Span
    node: Sequence


def to_data(node: Node) -> Any:
    """Turn the YAML node tree into dicts, lists and `Scalar`s that pydantic can validate."""
    if isinstance(node, Scalar):
        return node
    if isinstance(node, Sequence):
        out = SpanList(to_data(item) for item in node.items)
        out.span, out.node = node.span, node
        return out
    data = SpanDict((k.text, to_data(v)) for k, v in node.entries)
    data.span = node.span
    data.key_spans = {k.text: k.span for k, _ in node.entries}
    data.key_nodes = {k.text: k for k, _ in node.entries}
    return data


def refuse(message: str, span: Span | None, help: str | None = None) -> PydanticCustomError:
    """A pydantic error that spec.py renders as a diagnostic at `span` (or the file's start)."""
    return PydanticCustomError(
        "resnetc", "{message}", {"message": message, "span": span, "help": help}
    )


KINDS: dict[type, str] = {SpanDict: "a mapping", SpanList: "a list"}
"""How a refusal names a value that is not text."""


def _scalar(raw: Any, what: str, example: str) -> Scalar:
    """`raw` as a scalar, or a refusal saying what was expected."""
    if isinstance(raw, Scalar):
        return raw
    found = KINDS.get(type(raw), "something else")
    raise refuse(f"{what} should be text like {example}, not {found}", raw.span)


_NUMBER = f"({NUMBER})"
_BY = rf"\s*{BY}\s*"


def _int(text: str, scalar: Scalar, start: int, what: str, maximum: int) -> int:
    """A positive number within `maximum`, refused at its own characters otherwise."""
    span = scalar.sub(start, start + len(text))
    digits = text.lstrip("0") or "0"  # leading zeros count for nothing: 0032 is 32
    if len(digits) > limits.MAX_NUMBER_DIGITS or int(digits) > maximum:
        raise refuse(f"{what} {shorten(text)} is larger than the limit of {maximum:,}", span)
    value = int(digits)
    if value < 1:
        raise refuse(f"{what} must be at least 1, not {value}", span)
    return value


def _match(pattern: str, raw: Any, what: str, example: str) -> tuple[re.Match, Scalar]:
    scalar = _scalar(raw, what, example)
    digit = nonascii_digit(scalar.text)
    if digit is not None:
        raise refuse(digit_message(scalar.text[digit]), scalar.sub(digit, digit + 1))
    m = re.fullmatch(pattern, scalar.text.strip(), re.IGNORECASE)
    if m is None:
        raise refuse(
            f"cannot read {what} {shorten(scalar.text)!r}; write it like {example}", scalar.span
        )
    return m, scalar


def _offset(scalar: Scalar) -> int:
    return len(scalar.text) - len(scalar.text.lstrip())


# ---------------------------------------------------------------- field validators


def parse_name(raw: Any) -> Name:
    """`name: resnet50`: a safe Python identifier (module, factory and class are named after it)."""
    scalar = _scalar(raw, "the name", "resnet50")
    why = bad_identifier(scalar.text)
    if why:
        raise refuse(
            f"network name {shorten(scalar.text)!r} {why}",
            scalar.span,
            "use a name like resnet50 or my_net",
        )
    return Name(scalar.text, scalar.span)


def parse_stage_name(raw: Any) -> Name:
    """A stage's key, `conv2_x`: letters, digits and underscores."""
    scalar = _scalar(raw, "a stage name", "conv2_x")
    text = scalar.text
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", text) and len(text) > limits.MAX_NAME_CHARS:
        raise refuse(
            f"stage name {shorten(text)!r} is longer than {limits.MAX_NAME_CHARS} characters",
            scalar.span,
        )
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", text):
        raise refuse(
            f"stage name {shorten(text)!r} must be letters, digits and underscores, like conv2_x",
            scalar.span,
        )
    if keyword.iskeyword(text) or text in SOFT_KEYWORDS:
        raise refuse(
            f"stage name {text!r} is a Python keyword",
            scalar.span,
            "stage names label the generated code; use a name like conv2_x or stage1",
        )
    return Name(text, scalar.span)


def parse_input(raw: Any) -> InputShape:
    """`input: 224x224x3` (height x width x channels)."""
    m, s = _match(
        f"{_NUMBER}{_BY}{_NUMBER}{_BY}{_NUMBER}",
        raw,
        "the input size",
        "224x224x3 (H x W x C)",
    )
    o = _offset(s)
    h = _int(m.group(1), s, o + m.start(1), "input height", limits.MAX_INPUT_SIZE)
    w = _int(m.group(2), s, o + m.start(2), "input width", limits.MAX_INPUT_SIZE)
    c = _int(m.group(3), s, o + m.start(3), "input channels", limits.MAX_WIDTH)
    return InputShape(h, w, c, s.span)


def count_parser(what: str, example: str):
    """A validator of a positive count, `what` in its messages (`classes`, `1000`)."""

    def parse(raw: Any) -> Value:
        m, s = _match(_NUMBER, raw, what, example)
        return Value(_int(m.group(1), s, _offset(s), what, limits.MAX_WIDTH), s.span)

    parse.__doc__ = f"A positive count: {what} ({example})."
    return parse


def parse_stride(raw: Any) -> Value:
    """A stage's `stride: 1|2` override."""
    m, s = _match(r"/?\s*" + _NUMBER, raw, "the stride", "2")
    return Value(
        _int(m.group(1), s, _offset(s) + m.start(1), "stride", limits.MAX_STRIDE),
        s.span,
    )


def _kernel(m: re.Match, s: Scalar, first: int, second: int) -> int:
    o = _offset(s)
    kh = _int(m.group(first), s, o + m.start(first), "kernel", limits.MAX_KERNEL)
    kw = _int(m.group(second), s, o + m.start(second), "kernel", limits.MAX_KERNEL)
    if kh != kw:
        raise refuse(
            f"kernels must be square: {kh}x{kw} is not",
            s.sub(o + m.start(first), o + m.end(second)),
        )
    return kh


_STEM_CONV = f"(?:conv\\s*,?\\s*)?{KERNEL}\\s*,\\s*{_NUMBER}{STRIDE}"
"""One stem convolution: `7x7, 64, /2`, or as SENet prints it, `conv, 7 × 7, 64, stride 2`."""


def _stem_conv(m: re.Match, s: Scalar, o: int, span: Span) -> StemConv:
    """One stem convolution from a match of `_STEM_CONV` at offset `o` of the scalar."""
    kh = _int(m.group(1), s, o + m.start(1), "kernel", limits.MAX_KERNEL)
    kw = _int(m.group(2), s, o + m.start(2), "kernel", limits.MAX_KERNEL)
    if kh != kw:
        raise refuse(
            f"kernels must be square: {kh}x{kw} is not", s.sub(o + m.start(1), o + m.end(2))
        )
    filters = _int(m.group(3), s, o + m.start(3), "filters", limits.MAX_WIDTH)
    stride = _int(m.group(4), s, o + m.start(4), "stride", limits.MAX_STRIDE) if m.group(4) else 1
    return StemConv(kh, filters, stride, span)


def parse_stem_conv(raw: Any) -> StemConv:
    """`conv1: 7x7, 64, /2` (kernel, filters, stride; `stride 2` works too, stride 1 if omitted),
    or a deep stem of several, separated by `;` (`3x3, 32, /2; 3x3, 32; 3x3, 64`)."""
    scalar = _scalar(raw, "the stem conv", "7x7, 64, /2")
    if ";" not in scalar.text:
        m, s = _match(_STEM_CONV, raw, "the stem conv", "7x7, 64, /2")
        return _stem_conv(m, s, _offset(s), s.span)
    convs = []
    start = 0
    for part in scalar.text.split(";"):
        lead = len(part) - len(part.lstrip())
        o = start + lead
        span = scalar.sub(o, o + len(part.strip())) if part.strip() else scalar.sub(start, start)
        digit = nonascii_digit(part)
        if digit is not None:
            raise refuse(digit_message(part[digit]), scalar.sub(start + digit, start + digit + 1))
        found = re.fullmatch(_STEM_CONV, part.strip(), re.IGNORECASE)
        if found is None:
            raise refuse(
                f"cannot read the stem conv {shorten(part.strip())!r}; write a deep stem like"
                " 3x3, 32, /2; 3x3, 32; 3x3, 64",
                span if part.strip() else scalar.span,
            )
        convs.append(_stem_conv(found, scalar, o, span))
        start += len(part) + 1
    if len(convs) > limits.MAX_ROWS:
        raise refuse(
            f"a stem may have at most {limits.MAX_ROWS} convolutions, not {len(convs)} (MAX_ROWS)",
            convs[limits.MAX_ROWS].span,
        )
    return convs[0]._replace(rest=tuple(convs[1:]))


_NONE = {"", "none", "null", "~", "no", "false", "off"}


def parse_stem_pool(raw: Any) -> StemPool | StemConv | None:
    """`pool: 3x3 max, /2` (or `avg`); `none` or leaving the key out means no pool; a conv cell
    (`3x3, 64, /2`, ResNet-RS) replaces the pool by a strided convolution and its BatchNorm."""
    if isinstance(raw, Scalar) and raw.text.strip().lower() in _NONE:
        return None
    if isinstance(raw, Scalar) and re.fullmatch(_STEM_CONV, raw.text.strip(), re.IGNORECASE):
        m, s = _match(_STEM_CONV, raw, "the stem pool", "3x3 max, /2")
        return _stem_conv(m, s, _offset(s), s.span)
    words_first = f"(max|avg|average)\\s*pool(?:ing)?\\s*,?\\s*{KERNEL}{STRIDE}"
    if isinstance(raw, Scalar) and re.fullmatch(words_first, raw.text.strip(), re.IGNORECASE):
        # `max pool, 3 × 3, stride 2`, as the SENet paper prints it
        m, s = _match(words_first, raw, "the stem pool", "3x3 max, /2")
        kind_group, first, stride_group = 1, 2, 4
    else:
        pattern = f"{KERNEL}\\s*,?\\s*(max|avg|average)(?:\\s*pool(?:ing)?)?{STRIDE}"
        m, s = _match(pattern, raw, "the stem pool", "3x3 max, /2")
        kind_group, first, stride_group = 3, 1, 4
    kernel = _kernel(m, s, first, first + 1)
    o = _offset(s)
    stride = (
        _int(m.group(stride_group), s, o + m.start(stride_group), "stride", limits.MAX_STRIDE)
        if m.group(stride_group)
        else 1
    )
    kind: Literal["max", "avg"] = "max" if m.group(kind_group).lower() == "max" else "avg"
    return StemPool(kernel, kind, stride, s.span)


def parse_cells_value(raw: Any) -> tuple[Cell, ...]:
    """A stage's table cell, or a list of cells that follow each other (a pruned stage, whose
    blocks each have widths of their own: `- "[[1x1,47],[3x3,18],[1x1,19]] x 1"`)."""
    if not is_cell_list(raw):
        return (parse_cell_value(raw),)
    if not raw:
        raise refuse("a stage's list of cells is empty", raw.span)
    cells = tuple(parse_cell_value(item) for item in raw)
    total = 0
    for cell in cells:
        total += cell.repeats
        if total > limits.MAX_REPEATS:
            raise refuse(
                f"a stage may have at most {limits.MAX_REPEATS:,} blocks; its cells come to"
                f" {total:,} here",
                cell.repeats_span,
            )
    return cells


def is_cell_list(raw: Any) -> bool:
    """Whether `raw` is a list of cells, not one cell written as an unquoted flow list of rows
    (`[[3x3,64],[3x3,64]]`, whose items are rows): each item is a cell's text (`[...] x 1`,
    `\\begin{bmatrix}...`) or itself a list of rows."""
    if not isinstance(raw, SpanList):
        return False
    for item in raw:
        if isinstance(item, Scalar):
            if not item.text.lstrip().startswith(("[", "\\", "$")):
                return False
        elif not (isinstance(item, SpanList) and all(isinstance(x, SpanList) for x in item)):
            return False
    return True


def parse_cell_value(raw: Any) -> Cell:
    """A table cell (see `front.cells`); an unquoted flow list is read from its source text."""
    if isinstance(raw, SpanList):
        node = raw.node
        source = _source_of(raw)
        if source is not None:
            start = source.index(node.span.line, node.span.col)
            end = source.index(node.span.end_line, node.span.end_col)
            raw = Scalar(
                source.text[start:end],
                node.span,
                source,
                None,
                tuple(range(start, end)),
            )
    scalar = _scalar(raw, "a table cell", '"[[3x3,64],[3x3,64]] x 2"')
    try:
        return parse_cell(scalar)
    except CompileError as exc:
        d = exc.diagnostics[0]
        raise refuse(d.message, d.span, d.help) from None


def _source_of(raw: Any) -> Source | None:
    """The `Source` behind a raw value (the first scalar found inside it)."""
    if isinstance(raw, Scalar):
        return raw.source
    values = raw.values() if isinstance(raw, dict) else raw
    for item in values:
        found = _source_of(item)
        if found is not None:
            return found
    return None


def parse_size(raw: Any) -> tuple[int, int, Span]:
    """`56x56` (or `56` for a square map)."""
    m, s = _match(f"{_NUMBER}(?:{_BY}{_NUMBER})?", raw, "the expected size", "56x56")
    o = _offset(s)
    h = _int(m.group(1), s, o + m.start(1), "size", limits.MAX_INPUT_SIZE)
    w = _int(m.group(2), s, o + m.start(2), "size", limits.MAX_INPUT_SIZE) if m.group(2) else h
    return h, w, s.span


def choice_parser(*choices: str):
    """A validator of one of `choices` (any case), the first being the example."""

    def parse(raw: Any) -> Choice:
        s = _scalar(raw, "the option", choices[0])
        text = s.text.strip()
        for choice in choices:
            if text.lower() == choice.lower():
                return Choice(choice, s.span)
        raise refuse(f"{shorten(text)!r} is not one of: {', '.join(choices)}", s.span)

    return parse


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_flag(raw: Any) -> Flag:
    """A true/false option (`yes`/`no`, `on`/`off` accepted too)."""
    s = _scalar(raw, "the option", "true")
    text = s.text.strip().lower()
    if text in _TRUE or text in _FALSE:
        return Flag(text in _TRUE, s.span)
    raise refuse(f"{shorten(s.text)!r} is not true or false", s.span)


def parse_allow(raw: Any) -> tuple[Name, ...]:
    """`allow: [stride-no-effect, name-depth]`: lints silenced for this spec (front.lintnames)."""
    items = [raw] if isinstance(raw, Scalar) else raw
    if not isinstance(items, SpanList) and not isinstance(items, list):
        raise refuse(
            "allow should be a list of lint names, like [stride-no-effect]",
            getattr(raw, "span", None),
        )
    out = []
    for item in items:
        scalar = _scalar(item, "a lint name", "stride-no-effect")
        name = scalar.text.strip()
        if name not in LINTS:
            close = difflib.get_close_matches(name, list(LINTS), n=1, cutoff=0.6)
            guess = f"did you mean '{close[0]}'? " if close else ""
            raise refuse(
                f"{shorten(name)!r} is not a lint resnetc has",
                scalar.span,
                f"{guess}the lints: {', '.join(LINTS)}",
            )
        out.append(Name(name, scalar.span))
    return tuple(out)


def parse_shortcut_kernel(raw: Any) -> Kernel:
    """`shortcut_kernel: 3x3`: the kernel of a projection that strides (1x1 or 3x3)."""
    m, s = _match(KERNEL, raw, "the shortcut kernel", "3x3")
    k = _kernel(m, s, 1, 2)
    if k not in (1, 3):
        raise refuse(
            f"a projection shortcut's kernel is 1x1 or 3x3, not {k}x{k}",
            s.span,
            help="the paper's projections are 1x1; SENet-154's are 3x3 where they stride"
            " (timm's down_kernel_size=3)",
        )
    return Kernel(k, s.span)


_NORM = r"(BN|batch|GN|group)(?:\s*,?\s*G\s*=\s*([0-9]+))?"


def parse_norm(raw: Any) -> NormChoice:
    """`norm: BN` (BatchNorm, the default) or `norm: GN, G=32` (GroupNorm; `GN` alone is 32
    groups, Wu and He's and timm's default)."""
    m, s = _match(_NORM, raw, "the norm", "GN, G=32")
    group = m.group(1).lower() in ("gn", "group")
    if m.group(2) is None:
        return NormChoice(32 if group else None, s.span)
    o = _offset(s)
    if not group:
        raise refuse(
            "a BatchNorm has no groups: G= belongs to GN",
            s.sub(o + m.start(2), o + m.end(2)),
            help="write `norm: GN, G=32` for GroupNorm, or `norm: BN` alone",
        )
    return NormChoice(_int(m.group(2), s, o + m.start(2), "groups", limits.MAX_WIDTH), s.span)


def parse_rate(raw: Any) -> Rate:
    """A rate from 0 to 1 (`drop_path: 0.05`): the probability of dropping a residual branch."""
    m, s = _match(f"({RATE})", raw, "the rate", "0.05")
    value = float(m.group(1))
    if not 0.0 <= value < 1.0:
        raise refuse(
            f"a rate is a probability from 0 up to (not including) 1, not {shorten(m.group(1))}",
            s.span,
        )
    return Rate(value, s.span)
