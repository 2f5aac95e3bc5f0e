"""Numbers are ASCII digits everywhere (issue 14): a digit of another script, which Python's
`int`, `float`, `str.isdigit` and `\\d` all read, is refused by name in a pasted table, in every
numeric option, and never read from a checkpoint's key (a spec's digits: tests/test_notation.py,
golden case `bad_nonascii_digit`). The golden cases `bad_table_nonascii_digit`,
`bad_table_macro_digit`, `usage_*_nonascii_digit` and tests/tables/bad/nonascii_digit.tsv show
the messages whole."""

from __future__ import annotations

import pytest

from resnetc.checkpoint.foreign import BLOCK_KEY
from resnetc.checkpoint.layouts import _hf, _v2
from resnetc.cli import main
from tests.conftest import ROOT

CIFAR = (ROOT / "tests" / "tables" / "cifar.tex").read_text(encoding="utf-8")
WRN = str(ROOT / "tests" / "tables" / "wrn.tex")
BENGALI_TWO, ARABIC_ONE = "\u09e8", "\u0661"


def resnetc(capsys, *args: str) -> tuple[int, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # a usage error, from argparse
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    return code, err


# ---------------------------------------------------------------- pasted tables

TABULAR = "\\begin{tabular}"
TABLE_EDITS = {
    "header": ("& 20-layer &", f"& {BENGALI_TWO}0-layer &"),
    "multicolumn": ("\\multicolumn{2}{c}{3", f"\\multicolumn{{{BENGALI_TWO}}}{{c}}{{3"),
    "huge multicolumn": ("\\multicolumn{2}{c}{3", "\\multicolumn{\u0669\u0669\u0669}{c}{3"),
    "cell": ("16]\\times3$", f"16]\\times{BENGALI_TWO}$"),
    "output size": ("conv3\\_x & 16$", f"conv3\\_x & 1{BENGALI_TWO}$"),
    "input row": ("input & 32$", f"input & {BENGALI_TWO}2$"),
    "classes": ("10-d fc", f"1{BENGALI_TWO}-d fc"),
    "macro arity": (TABULAR, f"\\newcommand{{\\b}}[{ARABIC_ONE}]{{#1}}\n{TABULAR}"),
    "macro body": (TABULAR, f"\\newcommand{{\\b}}{{{ARABIC_ONE}}}\n{TABULAR}"),
}  # fmt: skip


@pytest.mark.parametrize("where", sorted(TABLE_EDITS))
def test_a_nonascii_digit_in_a_table_is_refused_at_it(where, tmp_path, capsys) -> None:
    old, new = TABLE_EDITS[where]
    assert old in CIFAR
    text = CIFAR.replace(old, new, 1)
    table = tmp_path / "t.tex"
    table.write_text(text, encoding="utf-8")
    code, err = resnetc(capsys, "import-table", str(table), "-o", str(tmp_path / "out"))
    assert code == 1 and not (tmp_path / "out").exists()
    first = err.splitlines()[0]
    ch = next(c for c in new if c in BENGALI_TWO + ARABIC_ONE + "\u0669")
    index = text.index(ch)
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    assert first.startswith(f"{table}:{line}:{col}: error: U+{ord(ch):04X} ")
    assert "is not an ASCII digit: numbers in a table are written with 0-9" in first


def test_a_digit_outside_what_is_read_is_no_matter(tmp_path, capsys) -> None:
    """A LaTeX comment, a caption above a markdown table: not read, so not refused."""
    tex = tmp_path / "t.tex"
    tex.write_text(f"% Table {BENGALI_TWO}\n" + CIFAR, encoding="utf-8")
    assert resnetc(capsys, "import-table", str(tex), "-o", str(tmp_path / "a"))[0] == 0
    md = (ROOT / "tests" / "tables" / "table1.md").read_text(encoding="utf-8")
    pasted = tmp_path / "t.md"
    pasted.write_text(f"Table {BENGALI_TWO}. Architectures for ImageNet.\n\n" + md)
    assert resnetc(capsys, "import-table", str(pasted), "-o", str(tmp_path / "b"))[0] == 0


# ---------------------------------------------------------------- options

OPTIONS = {
    "decompile --stem-stride": ["--stem-stride", ARABIC_ONE],
    "decompile --strides": ["--strides", f"1,2,2,{BENGALI_TWO}"],
    "decompile --drop-path": ["--drop-path", f"\u0660.{ARABIC_ONE}"],
    "decompile --classes": ["--classes", "1\u09ed"],
    "decompile --input": ["--input", "1\u09edx224"],
    "import-table --classes": ["--classes", f"{ARABIC_ONE}0"],
    "import-table --input": ["--input", f"3{BENGALI_TWO}x32x3"],
}


@pytest.mark.parametrize("case", sorted(OPTIONS))
def test_a_nonascii_digit_in_an_option_is_a_usage_error_naming_it(case, tmp_path, capsys) -> None:
    command = case.split()[0]
    given = WRN if command == "import-table" else str(tmp_path / "nothing.pt")
    option, value = OPTIONS[case]
    code, err = resnetc(capsys, command, given, "-o", str(tmp_path / "out"), option, value)
    ch = next(c for c in value if not c.isascii())
    assert code == 2 and not (tmp_path / "out").exists()
    assert f"argument {option}: U+{ord(ch):04X} " in err
    assert "is not an ASCII digit: numbers in an option are written with 0-9" in err


@pytest.mark.parametrize("value", ["\u00b2", "9" * 5000, "0", "-1"])
def test_other_non_numbers_are_usage_errors_too(value, tmp_path, capsys) -> None:
    """`'²'.isdigit()` is true but `int('²')` fails; 5,000 digits pass `int`'s own limit."""
    for option in ("--classes", "--stem-stride", "--strides"):
        code, err = resnetc(capsys, "decompile", "x.pt", "-o", str(tmp_path / "o"), option, value)
        assert code == 2 and f"argument {option}: expected" in err


def test_leading_zeros_in_a_numeric_option_count_for_nothing(tmp_path, capsys) -> None:
    out = str(tmp_path / "o")
    code, _ = resnetc(
        capsys, "import-table", WRN, "-o", out, "--classes", "0010", "--bind", "k=10,N=4"
    )
    assert code == 0
    assert "classes: 10\n" in next((tmp_path / "o").iterdir()).read_text()


def test_bind_names_the_digit_in_the_option(tmp_path, capsys) -> None:
    out = str(tmp_path / "out")
    code, err = resnetc(capsys, "import-table", WRN, "-o", out, "--bind", f"k=10,N={ARABIC_ONE}")
    assert code == 1
    assert err.startswith("--bind:1:8: error: U+0661 ARABIC-INDIC DIGIT ONE is not an ASCII digit")


# ---------------------------------------------------------------- checkpoint keys


def test_a_checkpoint_key_with_another_scripts_digit_is_no_stage() -> None:
    hf = "resnet.encoder.stages.{}.layers.0.layer.0.convolution.weight"
    assert _hf(hf.format("1")) == "layer2.0.conv1.weight"
    assert _hf(hf.format(ARABIC_ONE)) is None
    assert _v2(f"stages.{ARABIC_ONE}.blocks.0.conv1.weight", False) is None
    assert BLOCK_KEY.match("layer12.0.conv1.weight")
    assert BLOCK_KEY.match(f"layer1{BENGALI_TWO}.0.conv1.weight") is None  # not layer 12
    assert BLOCK_KEY.match(f"layer1.{BENGALI_TWO}.conv1.weight") is None


def test_a_checkpoint_key_with_another_scripts_digit_is_refused_naming_it() -> None:
    """Refused before any layout reads it: the key and the character are named (the refusal
    was once only that the stages did not follow on)."""
    from resnetc import decompile
    from resnetc.front.diagnostics import CompileError

    class Shape:
        shape, dtype = (64, 3, 7, 7), "float32"

    key = f"resnet.encoder.stages.{ARABIC_ONE}.layers.0.layer.0.convolution.weight"
    with pytest.raises(CompileError) as info:
        decompile({"resnet.embedder.embedder.convolution.weight": Shape(), key: Shape()})
    first = info.value.render().splitlines()[0]
    assert f"in the key '{key}': U+0661 ARABIC-INDIC DIGIT ONE is not an ASCII digit" in first
