"""Every table-cell spelling from the paper, its LaTeX and tutorials parses to the same rows."""

from __future__ import annotations

import pytest

import resnetc
from resnetc.front.diagnostics import CompileError

BOTTLENECK = ((1, 64, 1), (3, 64, 1), (1, 256, 1))

SPEC = """\
name: net
input: 224x224x3
classes: 1000
stem:
  conv1: 7x7, 64, /2
  pool: 3x3 max, /2
stages:
  conv2_x: {cell}
"""


def rows_of(cell_yaml: str) -> tuple[tuple[tuple[int, int, int], ...], int]:
    """(kernel, filters, groups) per row and the repeats of the one-stage spec with this cell."""
    net = resnetc.analyze(SPEC.format(cell=cell_yaml), "cell.yaml").network
    stage = net.stages[0]
    return tuple((r.kernel, r.filters, r.groups) for r in stage.rows), stage.repeats


FORMS = {
    "brackets": '"[[1x1,64],[3x3,64],[1x1,256]] x 3"',
    "brackets, spaces anywhere": '" [ [ 1 x 1 , 64 ] , [ 3 x 3 , 64 ] , [ 1 x 1 , 256 ] ] x 3 "',
    "brackets, no commas between rows": '"[[1x1, 64] [3x3, 64] [1x1, 256]] x 3"',
    "semicolon rows": '"[1x1, 64; 3x3, 64; 1x1, 256] x 3"',
    "times sign": '"[[1×1, 64], [3×3, 64], [1×1, 256]] × 3"',
    "times sign glued repeat": '"[1×1, 64; 3×3, 64; 1×1, 256]×3"',
    "star repeat": '"[[1x1,64],[3x3,64],[1x1,256]] *3"',
    "capital X": '"[[1X1,64],[3X3,64],[1X1,256]] X 3"',
    "latex bmatrix single-quoted": (
        r"'\begin{bmatrix} 1 \times 1, 64 \\ 3 \times 3, 64 \\ 1 \times 1, 256 \end{bmatrix}"
        r" \times 3'"
    ),
    "latex in dollars": (
        r"'$\begin{bmatrix} 1 \times 1, 64 \\ 3 \times 3, 64 \\ 1 \times 1, 256 \end{bmatrix}"
        r" \times 3$'"
    ),
    "latex with & columns": (
        r"'\begin{bmatrix} 1 \times 1 & 64 \\ 3 \times 3 & 64 \\ 1 \times 1 & 256 \end{bmatrix}"
        r" \times 3'"
    ),
    "latex plain scalar": (
        r"$\begin{bmatrix}1\times1, 64\\3\times3, 64\\1\times1, 256\end{bmatrix}\times3$"
    ),
    "latex doubled backslashes in double quotes": (
        r'"\\begin{bmatrix} 1 \\times 1, 64 \\\\ 3 \\times 3, 64 \\\\ 1 \\times 1, 256'
        r' \\end{bmatrix} \\times 3"'
    ),
    "latex pmatrix": (
        r"'\begin{pmatrix} 1 \times 1, 64 \\ 3 \times 3, 64 \\ 1 \times 1, 256 \end{pmatrix}"
        r" \times 3'"
    ),
    "latex array with left bracket": (
        r"'\left[\begin{array}{c} 1 \times 1, 64 \\ 3 \times 3, 64 \\ 1 \times 1, 256"
        r" \end{array}\right] \times 3'"
    ),
    "block scalar": "|-\n    [[1x1,64],\n     [3x3,64],\n     [1x1,256]] x 3",
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_means_the_same(form: str) -> None:
    assert rows_of(FORMS[form]) == (BOTTLENECK, 3)


def test_groups_notation() -> None:
    rows, repeats = rows_of('"[[1x1,128],[3x3,128,C=32],[1x1,256]] x 3"')
    assert rows == ((1, 128, 1), (3, 128, 32), (1, 256, 1)) and repeats == 3


def test_groups_notation_in_semicolon_form() -> None:
    rows, _ = rows_of('"[1x1, 128; 3x3, 128, C = 32; 1x1, 256] x 3"')
    assert rows[1] == (3, 128, 32)


def test_missing_repeat_means_one_block() -> None:
    assert rows_of('"[[3x3,64],[3x3,64]]"') == (((3, 64, 1), (3, 64, 1)), 1)


def test_canonical_form_parses_back() -> None:
    net = resnetc.analyze(SPEC.format(cell=FORMS["latex bmatrix single-quoted"]), "c.yaml").network
    text = net.stages[0].cell_text
    assert text == "[[1x1,64],[3x3,64],[1x1,256]] x 3"
    assert rows_of(f'"{text}"') == (BOTTLENECK, 3)


def diagnostic(cell_yaml: str) -> str:
    with pytest.raises(CompileError) as info:
        resnetc.analyze(SPEC.format(cell=cell_yaml), "cell.yaml")
    return info.value.render()


def test_unquoted_cell_is_a_yaml_error_that_says_quote_it() -> None:
    text = diagnostic("[[1x1,64],[3x3,64],[1x1,256]] x 3")
    assert text.startswith("cell.yaml:8:")
    assert "quote" in text


def test_latex_mangled_by_double_quotes_is_recognised() -> None:
    text = diagnostic(r'"\begin{bmatrix} 1 \times 1, 64 \\ 3 \times 3, 64 \end{bmatrix} \times 3"')
    assert "double quotes" in text and "single quotes" in text


@pytest.mark.parametrize(
    ("cell", "needle"),
    [
        ('"[[1x1,64],[3x3,64]"', "cell.yaml:8:"),
        ('"[[0x0,64]] x 3"', "kernel"),
        ('"[[3x3,0]] x 3"', "filters"),
        ('"[[3x3,64]] x 0"', "repeat"),
        ('"[[3x5,64]] x 2"', "square"),
        ('"[[3x3,-64]] x 2"', "negative"),
        ('"[[3x3,64,C=0]] x 2"', "group"),
    ],
)
def test_bad_cells_are_located(cell: str, needle: str) -> None:
    text = diagnostic(cell)
    assert text.startswith("cell.yaml:8:"), text
    assert needle in text, text
    assert "^" in text
