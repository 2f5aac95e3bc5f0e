"""What the user wrote, as pydantic models: one validator per field, no relations between fields.

The YAML tree is handed to pydantic with every scalar still a `Scalar` (text plus position), so each
field validator parses the text the user wrote and any refusal points at the exact characters. Any
pydantic error (missing key, unknown key, wrong kind of value) is mapped back to its span.
"""

from __future__ import annotations

import builtins
import difflib
import keyword
import re
import unicodedata
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from . import limits
from .cells import Cell, parse_cell
from .diagnostics import CompileError, Diagnostic, error
from .source import Source, Span
from .yamlsrc import Mapping, Node, Scalar, Sequence


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
    """`conv1: 7x7, 64, /2`: kernel, filters and stride of the stem convolution."""

    kernel: int
    filters: int
    stride: int
    span: Span


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


def _refuse(message: str, span: Span, help: str | None = None) -> PydanticCustomError:
    return PydanticCustomError(
        "resnetc", "{message}", {"message": message, "span": span, "help": help}
    )


_KINDS = {SpanDict: "a mapping", SpanList: "a list"}


def _scalar(raw: Any, what: str, example: str) -> Scalar:
    """`raw` as a scalar, or a refusal saying what was expected."""
    if isinstance(raw, Scalar):
        return raw
    found = _KINDS.get(type(raw), "something else")
    raise _refuse(f"{what} should be text like {example}, not {found}", raw.span)


_NUMBER = r"(\d+)"
_BY = r"\s*[xX×*]\s*"


def _int(text: str, scalar: Scalar, start: int, what: str, maximum: int) -> int:
    """A positive number within `maximum`, refused at its own characters otherwise."""
    span = scalar.sub(start, start + len(text))
    if len(text) > limits.MAX_NUMBER_DIGITS or int(text) > maximum:
        raise _refuse(f"{what} {text} is larger than the limit of {maximum:,}", span)
    value = int(text)
    if value < 1:
        raise _refuse(f"{what} must be at least 1, not {value}", span)
    return value


def _match(pattern: str, raw: Any, what: str, example: str) -> tuple[re.Match, Scalar]:
    scalar = _scalar(raw, what, example)
    m = re.fullmatch(pattern, scalar.text.strip(), re.IGNORECASE)
    if m is None:
        raise _refuse(f"cannot read {what} {scalar.text!r}; write it like {example}", scalar.span)
    return m, scalar


def _offset(scalar: Scalar) -> int:
    return len(scalar.text) - len(scalar.text.lstrip())


# ---------------------------------------------------------------- field validators

_RESERVED = frozenset(
    {"torch", "nn", "Tensor", "F", "functional", "BasicBlock", "Bottleneck", "conv1x1", "conv3x3",
     "projection", "self", "super", "object", "main", "compiler", "resnetc", "typing"}
)  # fmt: skip


def _bad_identifier(text: str) -> str | None:
    """Why `text` cannot name a generated module, class and function (None if it can)."""
    if not text:
        return "is empty"
    if len(text) > limits.MAX_NAME_CHARS:
        return f"is longer than {limits.MAX_NAME_CHARS} characters"
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or ch in "/\\":
            return f"contains the character U+{ord(ch):04X}"
    if not text.isascii():
        return "must be ASCII (letters, digits and underscores)"
    if not text.isidentifier():
        return (
            "must be a Python identifier"
            " (letters, digits and underscores, not starting with a digit)"
        )
    if keyword.iskeyword(text) or keyword.issoftkeyword(text):
        return "is a Python keyword"
    if hasattr(builtins, text) or text.startswith("__"):
        return "would shadow a Python builtin"
    if text in _RESERVED:
        return "is a name the generated module already uses"
    return None


def parse_name(raw: Any) -> Name:
    """`name: resnet50`: a safe Python identifier (module, factory and class are named after it)."""
    scalar = _scalar(raw, "the name", "resnet50")
    why = _bad_identifier(scalar.text)
    if why:
        raise _refuse(
            f"network name {scalar.text!r} {why}",
            scalar.span,
            "use a name like resnet50 or my_net",
        )
    return Name(scalar.text, scalar.span)


def parse_stage_name(raw: Any) -> Name:
    """A stage's key, `conv2_x`: letters, digits and underscores."""
    scalar = _scalar(raw, "a stage name", "conv2_x")
    text = scalar.text
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", text):
        raise _refuse(
            f"stage name {text!r} must be letters, digits and underscores, like conv2_x",
            scalar.span,
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


def _count(what: str, example: str):
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
        raise _refuse(
            f"kernels must be square: {kh}x{kw} is not",
            s.sub(o + m.start(first), o + m.end(second)),
        )
    return kh


_STRIDE = r"(?:\s*,?\s*(?:/\s*|stride\s*)" + _NUMBER + r")?"


def parse_stem_conv(raw: Any) -> StemConv:
    """`conv1: 7x7, 64, /2` (kernel, filters, stride; `stride 2` works too, stride 1 if omitted)."""
    m, s = _match(
        f"{_NUMBER}{_BY}{_NUMBER}\\s*,\\s*{_NUMBER}{_STRIDE}",
        raw,
        "the stem conv",
        "7x7, 64, /2",
    )
    kernel = _kernel(m, s, 1, 2)
    o = _offset(s)
    filters = _int(m.group(3), s, o + m.start(3), "filters", limits.MAX_WIDTH)
    stride = _int(m.group(4), s, o + m.start(4), "stride", limits.MAX_STRIDE) if m.group(4) else 1
    return StemConv(kernel, filters, stride, s.span)


_NONE = {"", "none", "null", "~", "no", "false", "off"}


def parse_stem_pool(raw: Any) -> StemPool | None:
    """`pool: 3x3 max, /2` (or `avg`); `none` or leaving the key out means no pool."""
    if isinstance(raw, Scalar) and raw.text.strip().lower() in _NONE:
        return None
    pattern = f"{_NUMBER}{_BY}{_NUMBER}\\s*,?\\s*(max|avg|average)(?:\\s*pool(?:ing)?)?{_STRIDE}"
    m, s = _match(pattern, raw, "the stem pool", "3x3 max, /2")
    kernel = _kernel(m, s, 1, 2)
    o = _offset(s)
    stride = _int(m.group(4), s, o + m.start(4), "stride", limits.MAX_STRIDE) if m.group(4) else 1
    kind: Literal["max", "avg"] = "max" if m.group(3).lower() == "max" else "avg"
    return StemPool(kernel, kind, stride, s.span)


def parse_cell_value(raw: Any) -> Cell:
    """A table cell (see `compiler.cells`); an unquoted flow list is read from its source text."""
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
        raise _refuse(d.message, d.span, d.help) from None


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


def _choice(*choices: str):
    def parse(raw: Any) -> Choice:
        s = _scalar(raw, "the option", choices[0])
        text = s.text.strip()
        for choice in choices:
            if text.lower() == choice.lower():
                return Choice(choice, s.span)
        raise _refuse(f"{text!r} is not one of: {', '.join(choices)}", s.span)

    return parse


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def parse_flag(raw: Any) -> Flag:
    """A true/false option (`yes`/`no`, `on`/`off` accepted too)."""
    s = _scalar(raw, "the option", "true")
    text = s.text.strip().lower()
    if text in _TRUE or text in _FALSE:
        return Flag(text in _TRUE, s.span)
    raise _refuse(f"{s.text!r} is not true or false", s.span)


# ---------------------------------------------------------------- the models

_STR = {"type": "string"}
_INT = {
    "anyOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "pattern": r"^\s*\d+\s*$"},
    ]
}

NameT = Annotated[
    Name,
    BeforeValidator(parse_name),
    WithJsonSchema({**_STR, "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"}),
]
StageNameT = Annotated[Name, BeforeValidator(parse_stage_name), WithJsonSchema(_STR)]
_INPUT_PATTERN = r"^\s*\d+\s*[xX×*]\s*\d+\s*[xX×*]\s*\d+\s*$"
InputT = Annotated[
    InputShape,
    BeforeValidator(parse_input),
    WithJsonSchema({**_STR, "pattern": _INPUT_PATTERN, "examples": ["224x224x3"]}),
]
ClassesT = Annotated[Value, BeforeValidator(_count("classes", "1000")), WithJsonSchema(_INT)]
DownsampleT = Annotated[
    Value, BeforeValidator(_count("the downsampling ratio", "32")), WithJsonSchema(_INT)
]
StrideT = Annotated[
    Value,
    BeforeValidator(parse_stride),
    WithJsonSchema({"enum": [1, 2, "1", "2", "/2"]}),
]
StemConvT = Annotated[
    StemConv,
    BeforeValidator(parse_stem_conv),
    WithJsonSchema({**_STR, "examples": ["7x7, 64, /2", "3x3, 16"]}),
]
StemPoolT = Annotated[
    StemPool | None,
    BeforeValidator(parse_stem_pool),
    WithJsonSchema({"anyOf": [{**_STR, "examples": ["3x3 max, /2"]}, {"type": "null"}]}),
]
_CELL_EXAMPLES = ["[[1x1,64],[3x3,64],[1x1,256]] x 3", "[3x3, 64; 3x3, 64] x 2"]
_ROWS = {  # an unquoted flow list, `[[3x3,64],[3x3,64]]`: one block's rows, repeated once
    "type": "array",
    "minItems": 1,
    "maxItems": limits.MAX_ROWS,
    "items": {"type": "array", "minItems": 2, "items": {"type": ["string", "integer"]}},
}
CellT = Annotated[
    Cell,
    BeforeValidator(parse_cell_value),
    WithJsonSchema({"anyOf": [_STR, _ROWS], "examples": _CELL_EXAMPLES}),
]
DownsampleAtT = Annotated[
    Choice,
    BeforeValidator(_choice("3x3", "1x1")),
    WithJsonSchema({"enum": ["3x3", "1x1"]}),
]
ShortcutT = Annotated[
    Choice,
    BeforeValidator(_choice("B", "A", "C")),
    WithJsonSchema({"enum": ["A", "B", "C"]}),
]
FlagT = Annotated[Flag, BeforeValidator(parse_flag), WithJsonSchema({"type": "boolean"})]

_FROZEN = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Stem(BaseModel):
    """`stem:`: the first convolution and the optional pooling after it."""

    model_config = _FROZEN

    conv1: StemConvT = Field(
        description="The first convolution, `kernel x kernel, filters, /stride` (`7x7, 64, /2`);"
        " its padding is kernel // 2."
    )
    pool: StemPoolT = Field(
        None,
        description="The pooling after conv1, `kernel x kernel max|avg, /stride` (`3x3 max, /2`);"
        " `none`, or no pool key, means no pooling.",
    )


class Stage(BaseModel):
    """One row of the table: `conv3_x: "[[...]] x 4"`, or a mapping with `cell` and `stride`."""

    model_config = _FROZEN

    name: StageNameT = Field(description="The stage's name: its key under `stages`.")
    cell: CellT = Field(
        description="The table cell: one residual block's rows in brackets (`[kernel x kernel,"
        " filters]`, a row may end with `C=groups`), then `x` and the number of blocks. The"
        " paper's LaTeX (`\\begin{bmatrix} ... \\end{bmatrix} \\times 3`) is read too."
    )
    stride: StrideT | None = Field(
        None,
        description="The stride of the stage's first block: 1 keeps the map size, 2 halves it"
        " (by default 1 for the first stage, 2 for every other).",
    )


def _stages(raw: Any) -> Any:
    """`stages:` mapping -> list of stage mappings, the key becoming each stage's `name`."""
    if not isinstance(raw, SpanDict):
        span = raw.span if hasattr(raw, "span") else None
        raise _refuse("stages should be a mapping of stage name to table cell", span)
    if not raw:
        raise _refuse("a network needs at least one stage", raw.span)
    if len(raw) > limits.MAX_STAGES:
        raise _refuse(f"a network may have at most {limits.MAX_STAGES} stages", raw.span)
    out = []
    for key, value in raw.items():
        entry = value if isinstance(value, SpanDict) else {"cell": value}
        out.append({"name": raw.key_nodes[key], **entry})
    return out


def _expect(raw: Any) -> Any:
    """`expect:` mapping -> sizes per key plus the overall `downsample` ratio."""
    if not isinstance(raw, SpanDict):
        raise _refuse("expect should be a mapping like conv2_x: 56x56", getattr(raw, "span", None))
    sizes = []
    downsample = None
    for key, value in raw.items():
        if key == "downsample":
            downsample = value
            continue
        h, w, span = parse_size(value)
        sizes.append(Size(Name(key, raw.key_spans[key]), h, w, span))
    return {"sizes": tuple(sizes), "downsample": downsample}


class Expect(BaseModel):
    """`expect:`: Table 1's output-size column and the overall downsampling ratio."""

    model_config = _FROZEN

    sizes: tuple[Size, ...] = Field(
        (),
        description="The output size expected after conv1, the pool or a stage, under its name:"
        " `56x56`, or `56` for a square map (Table 1's output-size column).",
    )
    downsample: DownsampleT | None = Field(
        None,
        description="The expected ratio of the input size to the last stage's map size (32 for"
        " the ImageNet ResNets: 224 -> 7).",
    )


class Options(BaseModel):
    """`options:`: where the stride goes, which shortcut, and the other variants."""

    model_config = _FROZEN

    downsample_at: DownsampleAtT = Field(
        Choice("3x3", None),  # type: ignore[arg-type]
        description="Which convolution of a stage's first block carries the stride: `3x3` (the"
        " default; torchvision's 'ResNet v1.5') or `1x1` (the block's first 1x1, as in the"
        " paper: 'v1').",
    )
    shortcut: ShortcutT = Field(
        Choice("B", None),  # type: ignore[arg-type]
        description="The paper's shortcut options: `B` (the default) projects with a 1x1 conv"
        " where a block changes shape and adds the identity elsewhere; `A` zero-pads instead"
        " (no parameters); `C` projects in every block.",
    )
    zero_init_residual: FlagT = Field(
        Flag(False, None),  # type: ignore[arg-type]
        description="The generated factory's default for zeroing each block's last BatchNorm"
        " weight (its last conv's, with `preact`), so that every residual branch starts as the"
        " identity.",
    )
    preact: FlagT = Field(
        Flag(False, None),  # type: ignore[arg-type]
        description="Pre-activation blocks (He et al. 2016, 'Identity Mappings in Deep Residual"
        " Networks'): BatchNorm and ReLU before each convolution, a stem of conv1 alone, lone 1x1"
        " convs as projections, and a final BatchNorm and ReLU before the average pool.",
    )


class Spec(BaseModel):
    """A whole spec file, as written."""

    model_config = _FROZEN

    name: NameT = Field(
        description="The network's name, a Python identifier: it names the generated module"
        " (`<name>.py`), its factory function and its class (resnet50 -> ResNet50)."
    )
    input: InputT = Field(
        description="The input image, height x width x channels (`224x224x3` for ImageNet)."
    )
    classes: ClassesT = Field(description="How many classes the final fc layer outputs.")
    stem: Stem = Field(
        description="The layers before the first stage: Table 1's conv1 row and its pooling."
    )
    stages: Annotated[tuple[Stage, ...], BeforeValidator(_stages)] = Field(
        description="The table's rows, in order: each stage's name, then its table cell, or a"
        " mapping with `cell` and `stride`."
    )
    expect: Annotated[Expect, BeforeValidator(_expect)] = Field(
        Expect(),
        description="Optional checks: the output size expected after conv1, the pool or a"
        " stage, and the overall `downsample` ratio.",
    )
    options: Options = Field(Options(), description="Variants of the architecture.")


# ---------------------------------------------------------------- errors -> diagnostics


def read_spec(root: Node, source: Source) -> Spec:
    """Validate a YAML tree as a spec, reporting every field problem at its span."""
    if not isinstance(root, Mapping):
        raise CompileError(
            [
                error(
                    "a spec should be a YAML mapping (name:, input:, stages:, ...)",
                    root.span,
                )
            ]
        )
    data = to_data(root)
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        raise CompileError(_diagnostics(exc, data, source)) from None


_MODELS: dict[str, type[BaseModel]] = {
    "": Spec,
    "stem": Stem,
    "options": Options,
    "stages": Stage,
}


def _diagnostics(exc: ValidationError, data: SpanDict, source: Source) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: set[tuple] = set()
    for err in exc.errors(include_url=False):
        diag = _one(err, data, source)
        key = (diag.span, diag.message)
        if key not in seen:
            seen.add(key)
            out.append(diag)
    return sorted(out, key=lambda d: (d.span.line, d.span.col) if d.span else (0, 0))


def _walk(data: Any, loc: tuple) -> tuple[Any, Any]:
    """Follow a pydantic `loc` through the raw data: (parent, node). Stage indices are positions."""
    parent, node = None, data
    for part in loc:
        parent = node
        if isinstance(node, SpanDict):
            if isinstance(part, int):
                node = list(node.values())[part] if part < len(node) else None
            else:
                node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return parent, None
    return parent, node


def _one(err: dict, data: SpanDict, source: Source) -> Diagnostic:
    ctx = err.get("ctx") or {}
    if err["type"] == "resnetc":
        return error(ctx["message"], ctx["span"] or source.span(0), ctx.get("help"))
    loc = tuple(p for p in err["loc"] if p not in ("function-before", "function-after"))
    parent, node = _walk(data, loc)
    field = loc[-1] if loc else ""
    if err["type"] == "missing":
        where = _owner_span(data, loc[:-1]) or source.span(0)
        section = _section(loc[:-1])
        return error(f"missing key '{field}'{section}", where, _expected_keys(loc[:-1]))
    if err["type"] == "extra_forbidden" and isinstance(parent, SpanDict):
        span = parent.key_spans.get(str(field), parent.span)
        expected = _expected_keys(loc[:-1])
        guess = _close_key(str(field), loc[:-1])
        if guess:
            expected = (
                f"did you mean '{guess}'? ({expected})" if expected else f"did you mean '{guess}'?"
            )
        return error(f"unknown key '{field}'{_section(loc[:-1])}", span, expected)
    span = getattr(node, "span", None) or getattr(parent, "span", None) or source.span(0)
    found = _KINDS.get(type(node), "text")
    return error(f"'{field}' should be a mapping, not {found}", span)


def _section(loc: tuple) -> str:
    names = [str(p) for p in loc if isinstance(p, str)]
    return f" in {'.'.join(names)}" if names else ""


def _owner_span(data: SpanDict, loc: tuple) -> Span | None:
    """The span of the key that owns the mapping at `loc` (the mapping itself at the top)."""
    if not loc:
        return None
    parent, node = _walk(data, loc)
    if isinstance(parent, SpanDict):
        key = loc[-1]
        if isinstance(key, int):
            key = list(parent.keys())[key]
        return parent.key_spans.get(key)
    return getattr(node, "span", None)


def _close_key(key: str, loc: tuple) -> str | None:
    """The expected key that `key` is probably a misspelling of."""
    section = next((p for p in reversed(loc) if isinstance(p, str)), "")
    model = _MODELS.get(section)
    if model is None:
        return None
    close = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=0.7)
    return close[0] if close else None


def _expected_keys(loc: tuple) -> str | None:
    section = next((p for p in reversed(loc) if isinstance(p, str)), "")
    model = _MODELS.get(section)
    if model is None:
        return None
    keys = [k for k in model.model_fields if not (model is Stage and k == "name")]
    return "expected keys: " + ", ".join(keys)
