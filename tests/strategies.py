"""Hypothesis strategies for fuzzing resnetc: hostile cells, mutated YAML, valid specs, printers.

Random inputs are built from the pieces that matter to the grammars (cell tokens, LaTeX, YAML
punctuation, control and bidi characters, huge numbers) rather than from uniform noise, and
mutations start from real specs, so that most examples get deep into the compiler.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st
from pydantic import BaseModel

from resnetc.core import ir
from resnetc.front import limits
from resnetc.front.source import Source, Span
from tests.conftest import ROOT
from tests.test_cells import SPEC

SEED_FILES = sorted([*ROOT.glob("spec/*.yaml"), *ROOT.glob("tests/cases/*/spec.yaml")])
"""Every spec in the repository: the starting points of the mutations."""

SEEDS = [p.read_bytes() for p in SEED_FILES]

NASTY = [
    "\x00", "\x07", "\x08", "\t", "\x0b", "\x0c", "\r", "\n", "\r\n", "\x1b", "\x7f", "\x85",
    "\u00a0", "\u200b", "\u200e", "\u202a", "\u202e", "\u2066", "\u2069", "\u2028", "\u2029",
    "\ufeff", "\ufffd", "\ud7ff", "\U0001f600", "×", "·", "é", "中", "𝟑",
]  # fmt: skip
"""Characters that break naive parsers and terminals: controls, bidi, separators, wide."""

CELL_TOKENS = [
    "[", "]", "[[", "]]", ",", ";", " ", "  ", "x", "X", "×", "*", "·", "\\times", "\\cdot",
    "1", "3", "7", "64", "256", "0", "00", "007", "-1", "1x1", "3x3", "C=", "C = 32", "c=",
    "999999999", "1000000000", "4294967296", "9" * 40, "1" * 5000,
    "\\begin{bmatrix}", "\\end{bmatrix}", "\\begin{array}{cc}", "\\end{array}",
    "\\begin{equation}", "\\end{align*}", "\\\\", "\\cr", "&", "$", "\\left[", "\\right]",
    "\\{", "\\}", "(", ")", "{", "}", "~", "\\,", "\\big[", "\\lbrack", "\\rbrack", "\\",
    "\\foo", "\\frac", "\\times3", "x 3", "x 1000000", "]x3", "#", ":", "'", '"', "-",
]  # fmt: skip
"""Pieces of the cell grammar, LaTeX and things that look like them."""

YAML_TOKENS = [
    ": ", ":", "- ", "-", "? ", "[", "]", "{", "}", ",", "#", "&a ", "*a", "!!str ", "!tag ",
    "!!python/object:os.system ", "|", ">", "'", '"', "%YAML 1.1\n", "---\n", "...\n", "\n",
    "  ", "\t", "key", "name", "stages", "conv2_x", "7x7, 64, /2", "yes", "no", "null", "~",
    "<<: *a", "@", "`", "%",
]  # fmt: skip
"""YAML punctuation and the spec's own words."""

SOFT_DEADLINE_MS = 500
"""Per-example deadline of every property (generous for a loaded 2-core machine)."""


def cell_texts() -> st.SearchStrategy[str]:
    """Random table-cell text: token soup, arbitrary text, or a valid cell with a piece changed."""
    soup = st.lists(st.sampled_from(CELL_TOKENS + NASTY), max_size=40).map("".join)
    mutated = st.builds(_insert, valid_cell_texts(), st.integers(0, 10**6), st.sampled_from(NASTY))
    return st.one_of(soup, st.text(max_size=80), mutated)


def _insert(text: str, at: int, piece: str) -> str:
    at %= len(text) + 1
    return text[:at] + piece + text[at:]


Rows = list[tuple[int, int, int]]


@st.composite
def cell_rows(draw: st.DrawFn) -> tuple[Rows, int]:
    """The rows (kernel, filters, groups) and the repeat count of a valid cell."""
    row = st.tuples(
        st.integers(1, limits.MAX_KERNEL),
        st.one_of(st.integers(1, 4096), st.integers(1, limits.MAX_WIDTH)),
        st.one_of(st.just(1), st.integers(1, 64)),
    )
    rows = draw(st.lists(row, min_size=1, max_size=limits.MAX_ROWS))
    repeats = draw(st.one_of(st.integers(1, 8), st.integers(1, limits.MAX_REPEATS)))
    return rows, repeats


def spell(rows: Rows, repeats: int, notation: int) -> str:
    """A cell in one of the notations `resnetc.front.cells` accepts."""
    if notation == 0:  # [[3x3,64],[3x3,64]] x 2
        body = ",".join(f"[{k}x{k},{f}{f',C={g}' if g != 1 else ''}]" for k, f, g in rows)
        return f"[{body}] x {repeats}"
    if notation == 1:  # [3×3, 64; 3×3, 64] ×2
        body = "; ".join(f"{k}×{k}, {f}{f', C={g}' if g != 1 else ''}" for k, f, g in rows)
        return f"[{body}]×{repeats}"
    latex = " \\\\ ".join(f"{k} \\times {k}, {f}{f', C={g}' if g != 1 else ''}" for k, f, g in rows)
    return f"$\\begin{{bmatrix}} {latex} \\end{{bmatrix}} \\times {repeats}$"


def valid_cell_texts() -> st.SearchStrategy[str]:
    """Cells the parser must accept."""
    return st.builds(lambda rr, n: spell(*rr, n), cell_rows(), st.integers(0, 2))


def scalar_of(text: str, name: str = "cell.txt"):
    """`text` as a YAML `Scalar` of its own one-file source (for calling the cell parser alone)."""
    from resnetc.front.yamlsrc import Scalar

    source = Source(name, text)
    end = source.span(0, len(text)) if text else Span(name, 1, 1, 1, 1)
    return Scalar(text, end, source, None, tuple(range(len(text))))


def quote(text: str, style: int) -> str:
    """`text` as a YAML scalar: double-quoted with escapes, single-quoted, or plain."""
    if style == 0:
        escaped = "".join(
            ch if ch.isprintable() and ch not in '"\\' else _escape(ch) for ch in text
        )
        return f'"{escaped}"'
    if style == 1:
        return "'" + text.replace("'", "''") + "'"
    return text


def _escape(ch: str) -> str:
    if ch in '"\\':
        return "\\" + ch
    code = ord(ch)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else (f"\\U{code:08x}")
    )


CELL_SPEC = SPEC
"""A one-stage spec with `{cell}` to fill in (the one tests/test_cells.py uses)."""


# ---------------------------------------------------------------- mutations of real specs


@st.composite
def mutated(draw: st.DrawFn, seeds: list[bytes] | None = None) -> bytes:
    """A repository spec with 1 to 4 edits: lines deleted, duplicated, swapped or re-indented,
    characters inserted, a tail cut off, a byte flipped."""
    data = draw(st.sampled_from(seeds or SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        data = draw(st.sampled_from(_EDITS))(draw, data)
    return data


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _delete_line(draw: st.DrawFn, data: bytes) -> bytes:
    lines = _lines(data)
    del lines[draw(st.integers(0, len(lines) - 1))]
    return b"\n".join(lines)


def _duplicate_line(draw: st.DrawFn, data: bytes) -> bytes:
    lines = _lines(data)
    i = draw(st.integers(0, len(lines) - 1))
    return b"\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])


def _swap_lines(draw: st.DrawFn, data: bytes) -> bytes:
    lines = _lines(data)
    i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def _reindent(draw: st.DrawFn, data: bytes) -> bytes:
    lines = _lines(data)
    i = draw(st.integers(0, len(lines) - 1))
    indent = draw(st.sampled_from([b"", b" ", b"   ", b"    ", b"\t", b"  - "]))
    lines[i] = indent + lines[i].lstrip(b" ")
    return b"\n".join(lines)


def _insert_text(draw: st.DrawFn, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    piece = draw(st.sampled_from(NASTY + YAML_TOKENS + CELL_TOKENS)).encode("utf-8", "replace")
    return data[:at] + piece + data[at:]


def _truncate(draw: st.DrawFn, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def _flip_byte(draw: st.DrawFn, data: bytes) -> bytes:
    if not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]


def _crlf(draw: st.DrawFn, data: bytes) -> bytes:
    return data.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r", b"\n\n"])))


_EDITS = [
    _delete_line, _duplicate_line, _swap_lines, _reindent, _insert_text, _insert_text,
    _truncate, _flip_byte, _crlf,
]  # fmt: skip


def yaml_texts() -> st.SearchStrategy[bytes]:
    """Random YAML-ish documents: token soup, arbitrary bytes, arbitrary text."""
    soup = st.lists(st.sampled_from(YAML_TOKENS + NASTY + CELL_TOKENS[:20]), max_size=60)
    return st.one_of(
        soup.map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )


TABLE_SEEDS = [
    p.read_bytes() for p in sorted((ROOT / "tests" / "tables").rglob("*")) if p.is_file()
]
"""Every pasted table of the import-table tests (good and bad), to mutate."""

MACRO_PIECES = ["\\newcommand{\\a}[1]{#1#1#1#1}", "\\a{\\a{\\a{x}}}", "#1", "{", "}", "&", "\\\\"]


def tables() -> st.SearchStrategy[bytes]:
    """Random pasted tables: a repository table with edits (macro pieces among them), or LaTeX
    and tab-separated token soup."""
    soup = st.lists(
        st.sampled_from([*MACRO_PIECES, "\t", "\n", "|", " x 3", "3x3, 64", *CELL_TOKENS[:20]]),
        max_size=80,
    ).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass"))
    return st.one_of(mutated(TABLE_SEEDS), soup)


# ---------------------------------------------------------------- valid specs and their printer


@st.composite
def valid_specs(draw: st.DrawFn) -> str:
    """A spec that parses (its shapes may still be refused): random stem, stages and options."""
    name = draw(st.sampled_from(["net", "tiny_net", "resnet_x", "Model2", "a"]))
    h = draw(st.integers(16, 256))
    w = draw(st.one_of(st.just(h), st.integers(16, 256)))
    lines = [f"name: {name}", f"input: {h}x{w}x{draw(st.integers(1, 4))}"]
    lines.append(f"classes: {draw(st.integers(1, 1000))}")
    k, s = draw(st.sampled_from([1, 3, 5, 7])), draw(st.integers(1, 2))
    lines += ["stem:", f"  conv1: {k}x{k}, {draw(st.sampled_from([8, 16, 64]))}, /{s}"]
    if draw(st.booleans()):
        lines.append(f"  pool: 3x3 {draw(st.sampled_from(['max', 'avg']))}, /2")
    lines.append("stages:")
    for i in range(draw(st.integers(1, 5))):
        rows = draw(st.lists(_small_row(), min_size=1, max_size=3))
        cell = spell(rows, draw(st.integers(1, 3)), draw(st.integers(0, 2)))
        text = quote(cell, 1 if "\\" in cell else draw(st.integers(0, 1)))
        if draw(st.integers(0, 3)) == 0:  # a pruned stage: a list of cells, mostly ending alike
            text = _cell_list(draw, rows)
        if draw(st.integers(0, 4)) == 0:
            text = f"{{cell: {text}, stride: {draw(st.integers(1, 2))}}}"
        lines.append(f"  conv{i + 2}_x: {text}")
    options = {
        "shortcut": draw(st.sampled_from(["A", "B", "C"])),
        "downsample_at": draw(st.sampled_from(["3x3", "1x1"])),
        "zero_init_residual": draw(st.sampled_from(["true", "false"])),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(options)), unique=True))
    if chosen:
        lines += ["options:", *(f"  {key}: {options[key]}" for key in sorted(chosen))]
    return "\n".join(lines) + "\n"


def _cell_list(draw: st.DrawFn, rows: Rows) -> str:
    """A flow list of 1 to 3 cells; each ends at the first's width but where one is drawn not to."""
    cells = [rows]
    for _ in range(draw(st.integers(0, 2))):
        more = draw(st.lists(_small_row(), min_size=1, max_size=3))
        if draw(st.integers(0, 5)):
            k, _, g = more[-1]
            more[-1] = (k, rows[-1][1], g)
        cells.append(more)
    texts = [spell(c, draw(st.integers(1, 3)), draw(st.integers(0, 1))) for c in cells]
    return "[" + ", ".join(quote(t, 1) for t in texts) + "]"


def _small_row() -> st.SearchStrategy[tuple[int, int, int]]:
    widths = st.sampled_from([8, 16, 32, 64, 128])
    return st.tuples(st.sampled_from([1, 3, 5]), widths, st.sampled_from([1, 1, 1, 2, 4]))


def print_spec(net: ir.Network) -> str:
    """A spec that describes `net` (the inverse of analysis, in the canonical notations)."""
    inp = net.input
    lines = [f"name: {net.name}", f"input: {inp.h}x{inp.w}x{inp.c}", f"classes: {net.classes}"]
    lines += ["stem:", f"  conv1: {net.stem.conv_text}"]
    if net.stem.pool is not None:
        lines.append(f"  pool: {net.stem.pool.cell_text}")
    lines.append("stages:")
    for stage in net.stages:
        cell = ", ".join(f'"{text}"' for text in stage.cell_texts)
        cell = f"[{cell}]" if stage.pruned else cell
        if stage.stride_span is not None:
            cell = f"{{cell: {cell}, stride: {stage.stride}}}"
        lines.append(f"  {stage.name}: {cell}")
    if net.expect or net.expect_downsample is not None:
        lines.append("expect:")
        lines += [f"  {e.key}: {e.h}x{e.w}" for e in net.expect]
        if net.expect_downsample is not None:
            lines.append(f"  downsample: {net.expect_downsample}")
    o = net.options
    lines += ["options:", f"  downsample_at: {o.downsample_at}", f"  shortcut: {o.shortcut}"]
    lines.append(f"  zero_init_residual: {str(o.zero_init_residual).lower()}")
    return "\n".join(lines) + "\n"


def without_spans(value: object) -> object:
    """`value` (IR, cells, tuples) as plain data with every source position left out."""
    if isinstance(value, Span):
        return None
    if isinstance(value, BaseModel):
        return {
            k: without_spans(getattr(value, k))
            for k in type(value).model_fields
            if not k.endswith("span")
        }
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        pairs = zip(value._fields, value, strict=True)
        return {k: without_spans(v) for k, v in pairs if not k.endswith("span")}
    if isinstance(value, (tuple, list)):
        return [without_spans(v) for v in value]
    return value


def seed_paths() -> list[Path]:
    """The repository specs, for tests that want names."""
    return SEED_FILES
