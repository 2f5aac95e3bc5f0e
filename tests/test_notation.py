"""One notation: every spelling one reader of the table notation accepts, every reader accepts.

The readers are the spec's cells, its stem conv and pool, the input and expected sizes, the
table cells of import-table and its --input, and decompile's --input; all build on
`resnetc.front.notation`. Its printer's output reads back as what it printed.
"""

from __future__ import annotations

import pytest

from resnetc.checkpoint.decompiler import parse_input
from resnetc.cli import main
from resnetc.front import notation
from resnetc.front.diagnostics import CompileError
from resnetc.pipeline import analyze

BY = ["x", "X", "×", "✕", "✖", "⨯", "*", "·", r"\times", r"\cdot"]

SPEC = """name: tiny
input: '32{by}32{by}3'
classes: 10
stem:
  conv1: '3{by}3, 16'
  pool: '3{by}3 max, /2'
stages:
  conv2_x: '[[3{by}3,16],[3{by}3,16]] {by} 2'
expect:
  conv2_x: '16{by}16'
"""


@pytest.mark.parametrize("by", BY)
def test_every_by_sign_is_read_in_every_part_of_a_spec(by: str) -> None:
    net = analyze(SPEC.format(by=by), "tiny.yaml").network
    assert str(net.input) == "3x32x32"
    assert net.stem.conv_text == "3x3, 16"
    assert net.stem.pool is not None and net.stem.pool.cell_text == "3x3 max, /2"
    assert net.stages[0].cell_text == "[[3x3,16],[3x3,16]] x 2"


@pytest.mark.parametrize("by", BY)
def test_every_by_sign_is_read_by_decompile_and_import_table_options(by: str, capsys) -> None:
    assert parse_input(f"32{by}32") == (32, 32)
    assert parse_input(f"32 {by} 32 {by} 1") == (32, 32, 1)
    from resnetc.cli.import_table import _input_size

    assert _input_size(f"224{by}224{by}3")


@pytest.mark.parametrize("by", ["✕", "⨯", r"\times", "·"])
def test_import_table_reads_the_same_signs_in_its_cells(by: str, tmp_path, capsys) -> None:
    table = tmp_path / "t.tsv"
    rows = [
        "layer name\toutput size\ttiny",
        f"conv1\t16{by}16\t3{by}3, 16, stride 2",
        f"conv2_x\t16{by}16\t[3{by}3, 16; 3{by}3, 16] {by} 2",
        "\t1×1\taverage pool, 10-d fc, softmax",
    ]
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code = main(["import-table", str(table), "-o", str(tmp_path / "out"), "--input", "32x32x3"])
    err = capsys.readouterr().err
    assert code == 0, err
    spec = (tmp_path / "out" / "tiny.yaml").read_text()
    assert 'conv2_x: "[[3x3,16],[3x3,16]] x 2"' in spec


@pytest.mark.parametrize(
    ("key", "value", "col"),
    [
        ("classes", "1৭", 11),
        ("input", "32x3২x3", 12),
        ("conv2_x", '"[[3x3,16],[3x3,16]] x ৩"', 35),
    ],
)
def test_a_digit_of_another_script_is_refused_by_name(key: str, value: str, col: int) -> None:
    lines = SPEC.format(by="x").splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:"))
    lines[at] = lines[at].split(":")[0] + ": " + value
    with pytest.raises(CompileError) as exc:
        analyze("\n".join(lines) + "\n", "tiny.yaml")
    (d,) = exc.value.diagnostics
    assert "is not an ASCII digit" in d.message
    assert d.message.startswith(("U+09ED BENGALI DIGIT SEVEN", "U+09E8", "U+09E9"))
    assert (d.span.line, d.span.col) == (at + 1, col)


def test_digits_the_regular_expressions_would_take_are_found() -> None:
    assert notation.nonascii_digit("224x224x3") is None
    assert notation.nonascii_digit("1৭") == 1
    assert notation.nonascii_digit("٣x3") == 0  # ARABIC-INDIC DIGIT THREE
    assert "would read as 7" in notation.digit_message("৭")


def test_the_printer_reads_back() -> None:
    net = analyze(SPEC.format(by=r"\times"), "tiny.yaml").network
    again = SPEC.replace("'32{by}32{by}3'", notation.input_text(32, 32, 3))
    again = again.replace("'3{by}3, 16'", net.stem.conv_text)
    assert net.stem.pool is not None
    again = again.replace("'3{by}3 max, /2'", net.stem.pool.cell_text)
    again = again.replace("'[[3{by}3,16],[3{by}3,16]] {by} 2'", f"'{net.stages[0].cell_text}'")
    again = again.replace("'16{by}16'", notation.size_text(16, 16))
    net2 = analyze(again, "again.yaml").network
    assert net2.model_dump(exclude={"span"}) != {}  # built
    assert [s.cell_text for s in net2.stages] == [s.cell_text for s in net.stages]
    assert (net2.stem.conv_text, net2.input) == (net.stem.conv_text, net.input)
