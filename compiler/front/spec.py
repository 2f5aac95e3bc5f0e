"""What the user wrote, as pydantic models: one validator per field, no relations between fields.

The YAML tree is handed to pydantic with every scalar still a `Scalar` (text plus position), so each
field validator parses the text the user wrote and any refusal points at the exact characters. Any
pydantic error (missing key, unknown key, wrong kind of value) is mapped back to its span.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import ErrorDetails

from . import limits
from .cells import Cell
from .diagnostics import CompileError, Diagnostic, error
from .lintnames import LINTS
from .notation import BY, NUMBER
from .source import Source, Span, shorten
from .specvalues import (
    KINDS,
    Choice,
    Flag,
    InputShape,
    Kernel,
    Name,
    NormChoice,
    Rate,
    Size,
    SpanDict,
    StemConv,
    StemPool,
    Value,
    choice_parser,
    count_parser,
    is_cell_list,
    parse_allow,
    parse_cells_value,
    parse_flag,
    parse_input,
    parse_name,
    parse_norm,
    parse_rate,
    parse_shortcut_kernel,
    parse_size,
    parse_stage_name,
    parse_stem_conv,
    parse_stem_pool,
    parse_stride,
    refuse,
    to_data,
)
from .yamlsrc import Mapping, Node

# ---------------------------------------------------------------- the models

_STR = {"type": "string"}
_INT = {
    "anyOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "pattern": rf"^\s*{NUMBER}\s*$"},
    ]
}

NameT = Annotated[
    Name,
    BeforeValidator(parse_name),
    WithJsonSchema({**_STR, "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"}),
]
StageNameT = Annotated[Name, BeforeValidator(parse_stage_name), WithJsonSchema(_STR)]
_INPUT_PATTERN = rf"^\s*{NUMBER}\s*{BY}\s*{NUMBER}\s*{BY}\s*{NUMBER}\s*$"
InputT = Annotated[
    InputShape,
    BeforeValidator(parse_input),
    WithJsonSchema({**_STR, "pattern": _INPUT_PATTERN, "examples": ["224x224x3"]}),
]
ClassesT = Annotated[Value, BeforeValidator(count_parser("classes", "1000")), WithJsonSchema(_INT)]
DownsampleT = Annotated[
    Value, BeforeValidator(count_parser("the downsampling ratio", "32")), WithJsonSchema(_INT)
]
StrideT = Annotated[
    Value,
    BeforeValidator(parse_stride),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": limits.MAX_STRIDE},
                {"type": "string", "pattern": rf"^\s*/?\s*{NUMBER}\s*$"},
            ],
            "examples": [1, 2, "/2"],
        }
    ),
]
StemConvT = Annotated[
    StemConv,
    BeforeValidator(parse_stem_conv),
    WithJsonSchema(
        {**_STR, "examples": ["7x7, 64, /2", "3x3, 16", "3x3, 32, /2; 3x3, 32; 3x3, 64"]}
    ),
]
StemPoolT = Annotated[
    StemPool | StemConv | None,
    BeforeValidator(parse_stem_pool),
    WithJsonSchema(
        {"anyOf": [{**_STR, "examples": ["3x3 max, /2", "3x3, 64, /2"]}, {"type": "null"}]}
    ),
]
_CELL_EXAMPLES = ["[[1x1,64],[3x3,64],[1x1,256]] x 3", "[3x3, 64; 3x3, 64] x 2"]
_ROWS = {  # an unquoted flow list, `[[3x3,64],[3x3,64]]`: one block's rows, repeated once
    "type": "array",
    "minItems": 1,
    "maxItems": limits.MAX_ROWS,
    "items": {"type": "array", "minItems": 2, "items": {"type": ["string", "integer"]}},
}
CellT = Annotated[
    tuple[Cell, ...],
    BeforeValidator(parse_cells_value),
    WithJsonSchema(
        {
            "anyOf": [
                _STR,
                _ROWS,
                {"type": "array", "minItems": 1, "items": {"anyOf": [_STR, _ROWS]}},
            ],
            "examples": _CELL_EXAMPLES,
        }
    ),
]
DownsampleAtT = Annotated[
    Choice,
    BeforeValidator(choice_parser("3x3", "1x1")),
    WithJsonSchema({"enum": ["3x3", "1x1"]}),
]
ShortcutT = Annotated[
    Choice,
    BeforeValidator(choice_parser("B", "A", "C", "D")),
    WithJsonSchema({"enum": ["A", "B", "C", "D"]}),
]
ShortcutKernelT = Annotated[
    Kernel,
    BeforeValidator(parse_shortcut_kernel),
    WithJsonSchema({**_STR, "examples": ["3x3", "1x1"]}),
]
NormT = Annotated[
    NormChoice,
    BeforeValidator(parse_norm),
    WithJsonSchema({**_STR, "examples": ["BN", "GN, G=32"]}),
]
AntiAliasT = Annotated[
    Choice,
    BeforeValidator(choice_parser("none", "blur", "avg")),
    WithJsonSchema({"enum": ["none", "blur", "avg"]}),
]
RateT = Annotated[
    Rate,
    BeforeValidator(parse_rate),
    WithJsonSchema(
        {"anyOf": [{"type": "number", "minimum": 0, "exclusiveMaximum": 1}, {"type": "string"}]}
    ),
]
FlagT = Annotated[Flag, BeforeValidator(parse_flag), WithJsonSchema({"type": "boolean"})]
AllowT = Annotated[
    tuple[Name, ...],
    BeforeValidator(parse_allow),
    WithJsonSchema({"type": "array", "items": {"enum": list(LINTS)}, "uniqueItems": True}),
]

_FROZEN = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class Stem(BaseModel):
    """`stem:`: the first convolution and the optional pooling after it."""

    model_config = _FROZEN

    conv1: StemConvT = Field(
        description="The first convolution, `kernel x kernel, filters, /stride` (`7x7, 64, /2`);"
        " its padding is kernel // 2. Several separated by `;` make a deep stem, each but the"
        " last followed by BatchNorm and ReLU (`3x3, 32, /2; 3x3, 32; 3x3, 64`: ResNet-C/D)."
    )
    pool: StemPoolT = Field(
        default=None,
        description="The pooling after conv1, `kernel x kernel max|avg, /stride` (`3x3 max, /2`);"
        " `none`, or no pool key, means no pooling. A conv cell (`3x3, 64, /2`) replaces the pool"
        " by a strided convolution, BatchNorm and ReLU (ResNet-RS).",
    )


class Stage(BaseModel):
    """One row of the table: `conv3_x: "[[...]] x 4"`, or a mapping with `cell` and `stride`."""

    model_config = _FROZEN

    name: StageNameT = Field(description="The stage's name: its key under `stages`.")
    cell: CellT = Field(
        description="The table cell: one residual block's rows in brackets (`[kernel x kernel,"
        " filters]`, a row may end with `C=groups`), then `x` and the number of blocks. The"
        " paper's LaTeX (`\\begin{bmatrix} ... \\end{bmatrix} \\times 3`) is read too. One"
        " attention row may follow the convolutions: `fc, [16, 256]` (squeeze-and-excitation,"
        " as SENet's Table 1 writes it) or `eca, k=5` (ECA-Net's 1-d kernel). A list of cells"
        " makes a stage whose blocks differ (a pruned network's: `- \"[[1x1,47],[3x3,18],"
        '[1x1,19]] x 1"`, one item per run of identical blocks); they must end at one width.'
    )
    stride: StrideT | None = Field(
        default=None,
        description="The stride of the stage's first block: 1 keeps the map size, 2 halves it"
        " (by default 1 for the first stage, 2 for every other).",
    )


def _stages(raw: Any) -> Any:
    """`stages:` mapping -> list of stage mappings, the key becoming each stage's `name`."""
    if not isinstance(raw, SpanDict):
        span = raw.span if hasattr(raw, "span") else None
        raise refuse("stages should be a mapping of stage name to table cell", span)
    if not raw:
        raise refuse("a network needs at least one stage", raw.span)
    if len(raw) > limits.MAX_STAGES:
        first_extra = list(raw.key_spans.values())[limits.MAX_STAGES]
        raise refuse(
            f"a network may have at most {limits.MAX_STAGES} stages, not {len(raw)}",
            first_extra,
        )
    out = []
    cells = 0
    for key, value in raw.items():
        entry = value if isinstance(value, SpanDict) else {"cell": value}
        cells = _count_cells(entry.get("cell"), cells)
        out.append({"name": raw.key_nodes[key], **entry})
    return out


def _count_cells(raw: Any, before: int) -> int:
    """The table's cells so far, this stage's added (counted before any is parsed); refused at
    the first cell past `MAX_CELLS`."""
    items = raw if is_cell_list(raw) else [raw]
    total = before + len(items)
    if total > limits.MAX_CELLS:
        first = items[limits.MAX_CELLS - before]
        raise refuse(
            f"a table may have at most {limits.MAX_CELLS:,} cells (MAX_CELLS), over all its"
            f" stages; this is cell {limits.MAX_CELLS + 1:,}",
            getattr(first, "span", None),
            help="a stage of several cells writes one per run of blocks of the same widths:"
            " blocks of one width are one cell, `x N`",
        )
    return total


def _expect(raw: Any) -> Any:
    """`expect:` mapping -> sizes per key plus the overall `downsample` ratio."""
    if not isinstance(raw, SpanDict):
        raise refuse("expect should be a mapping like conv2_x: 56x56", getattr(raw, "span", None))
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
        default=(),
        description="The output size expected after conv1, the pool or a stage, under its name:"
        " `56x56`, or `56` for a square map (Table 1's output-size column).",
    )
    downsample: DownsampleT | None = Field(
        default=None,
        description="The expected ratio of the input size to the last stage's map size (32 for"
        " the ImageNet ResNets: 224 -> 7).",
    )


class Options(BaseModel):
    """`options:`: where the stride goes, which shortcut, and the other variants."""

    model_config = _FROZEN

    downsample_at: DownsampleAtT = Field(
        default=Choice("3x3", None),  # type: ignore[arg-type]
        description="Which convolution of a stage's first block carries the stride: `3x3` (the"
        " default; torchvision's 'ResNet v1.5') or `1x1` (the block's first 1x1, as in the"
        " paper: 'v1').",
    )
    shortcut: ShortcutT = Field(
        default=Choice("B", None),  # type: ignore[arg-type]
        description="The paper's shortcut options: `B` (the default) projects with a 1x1 conv"
        " where a block changes shape and adds the identity elsewhere; `A` zero-pads instead"
        ' (no parameters); `C` projects in every block; `D` ("Bag of Tricks" ResNet-D, timm\'s'
        " avg_down) projects where B does, after a 2x2 average pool /2 that takes the stride"
        " off the 1x1 conv.",
    )
    shortcut_kernel: ShortcutKernelT = Field(
        default=Kernel(1, None),  # type: ignore[arg-type]
        description="The kernel of a projection shortcut that strides: `1x1` (the default, the"
        " paper's) or `3x3` (SENet-154, timm's down_kernel_size=3), padding k//2; a projection"
        " that keeps the map size stays 1x1, as in timm. With shortcut B or C.",
    )
    norm: NormT = Field(
        default=NormChoice(None, None),  # type: ignore[arg-type]
        description="The normalization after (or, with `preact`, before) every convolution:"
        " `BN` (BatchNorm2d, the default) or `GN, G=32` (GroupNorm of G groups, Wu and He 2018,"
        " timm's resnet50_gn; `GN` alone is 32 groups): a weight and a bias per channel, no"
        " running statistics.",
    )
    zero_init_residual: FlagT = Field(
        default=Flag(False, None),  # type: ignore[arg-type]
        description="The generated factory's default for zeroing each block's last BatchNorm"
        " weight (its last conv's, with `preact`), so that every residual branch starts as the"
        " identity.",
    )
    allow: AllowT = Field(
        default=(),
        description="Lints to silence for this spec, by name: "
        + ", ".join(f"`{name}` ({what})" for name, what in LINTS.items())
        + ".",
    )
    anti_alias: AntiAliasT = Field(
        default=Choice("none", None),  # type: ignore[arg-type]
        description="Anti-aliased downsampling (Zhang 2019, timm's aa_layer): every strided 3x3"
        " keeps stride 1 and is followed by `blur` (a 3x3 binomial blur /2, BlurPool) or `avg`"
        " (a 2x2 average pool /2); the stem's max pool is anti-aliased the same way.",
    )
    drop_path: RateT = Field(
        default=Rate(0.0, None),  # type: ignore[arg-type]
        description="Stochastic depth (Huang et al. 2016, timm's drop_path_rate): in training,"
        " block k of N drops its residual branch with probability rate * k / (N - 1), timm's"
        " linear schedule; nothing changes in eval.",
    )
    preact: FlagT = Field(
        default=Flag(False, None),  # type: ignore[arg-type]
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
        default=Expect(),
        description="Optional checks: the output size expected after conv1, the pool or a"
        " stage, and the overall `downsample` ratio.",
    )
    options: Options = Field(default=Options(), description="Variants of the architecture.")


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
    """One diagnostic per root cause: a misspelt key is reported as misspelt, not also missing."""
    errors = exc.errors(include_url=False)
    misspelt = _misspelt(errors)
    out: list[Diagnostic] = []
    seen: set[tuple] = set()
    for err in errors:
        loc = _loc(err)
        if err["type"] == "missing" and (loc[:-1], loc[-1]) in misspelt:
            continue
        diag = _one(err, data, source, misspelt)
        key = (diag.span, diag.message)
        if key not in seen:
            seen.add(key)
            out.append(diag)
    return sorted(out, key=lambda d: (d.span.line, d.span.col) if d.span else (0, 0))


def _loc(err: ErrorDetails) -> tuple:
    return tuple(p for p in err["loc"] if p not in ("function-before", "function-after"))


def _misspelt(errors: list[ErrorDetails]) -> set[tuple[tuple, str]]:
    """(section, key) of each missing key that an unknown key beside it is a misspelling of."""
    missing = {(_loc(e)[:-1], _loc(e)[-1]) for e in errors if e["type"] == "missing"}
    out = set()
    for e in errors:
        loc = _loc(e)
        if e["type"] == "extra_forbidden" and loc:
            guess = _close_key(str(loc[-1]), loc[:-1])
            if guess is not None and (loc[:-1], guess) in missing:
                out.add((loc[:-1], guess))
    return out


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


def _one(err: ErrorDetails, data: SpanDict, source: Source, misspelt: set) -> Diagnostic:
    ctx = err.get("ctx") or {}
    if err["type"] == "resnetc":
        return error(ctx["message"], ctx["span"] or source.span(0), ctx.get("help"))
    loc = _loc(err)
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
        message = f"unknown key '{shorten(str(field))}'{_section(loc[:-1])}"
        if guess and (loc[:-1], guess) in misspelt:
            return error(
                f"{message}: a misspelling of '{guess}', which is missing",
                span,
                f"rename the key to '{guess}'",
            )
        if guess:
            expected = (
                f"did you mean '{guess}'? ({expected})" if expected else f"did you mean '{guess}'?"
            )
        return error(message, span, expected)
    span = getattr(node, "span", None) or getattr(parent, "span", None) or source.span(0)
    found = KINDS.get(type(node), "text")
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
