"""`resnetc import-table`: Table 1 pasted from LaTeX or a web page -> the shipped specs, exactly.

tests/tables/ holds Table 1 typed in the forms it circulates in: the paper's LaTeX source (its own
`\\blocka`/`\\blockb` macros, `\\multirow`, `\\multicolumn`), the web copy seen in the seeds (tabs,
`$\\begin{bmatrix}...$` cells), a markdown table (`<br>` between matrix rows), pages typeset by
MathJax 2 (bracket glyph pieces, matrix rows run together) and MathJax 3 (brackets lost), and a
copy whose matrix rows break the table's lines.
tests/tables/bad/ holds unreadable tables; their diagnostics are golden files in
tests/tables/bad/expected/ (regenerate with `pytest --regen-golden`).
"""

from __future__ import annotations

import io
import json
import shutil
import types

import pytest

from resnetc.cli import main
from resnetc.core import costs
from resnetc.files.output import spec_label
from resnetc.front.limits import MAX_SPEC_BYTES
from resnetc.pipeline import analyze, compile_spec
from resnetc.tables.text import Text, clean, unflatten
from tests.conftest import REFERENCE, ROOT, SPEC_DIR, unmarked

TABLES = ROOT / "tests" / "tables"
BAD = TABLES / "bad"
EXPECTED = BAD / "expected"
TABLE1 = ["table1.tex", "table1.tsv", "table1.md", "table1_mathjax.tsv", "table1_mathml.tsv"]
TABLE1 += ["table1_lines.tsv", "table1_bmatrix.tex"]
DEPTHS = (18, 34, 50, 101, 152)
OUTPUT_SIZES = {"conv1": (112, 112), "conv2_x": (56, 56), "conv3_x": (28, 28)}
OUTPUT_SIZES |= {"conv4_x": (14, 14), "conv5_x": (7, 7)}
FLOPS = {18: "1.8x10^9", 34: "3.6x10^9", 50: "3.8x10^9", 101: "7.6x10^9", 152: "11.3x10^9"}


def resnetc(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def body(spec_text: str) -> list[str]:
    """A spec without its comment lines."""
    return [line for line in spec_text.splitlines() if not line.startswith("#")]


@pytest.fixture(scope="module")
def shipped_modules() -> dict[int, str]:
    return {
        d: compile_spec((SPEC_DIR / f"resnet{d}.yaml").read_bytes(), "s.yaml", "s") for d in DEPTHS
    }


@pytest.mark.parametrize("table", TABLE1)
def test_table1_imports_to_the_shipped_specs(table, tmp_path, capsys, monkeypatch, shipped_modules):
    # A project of its own (tables/ and spec/ side by side), so that the header's path to the
    # table is the same wherever the clone lives.
    (tmp_path / "tables").mkdir()
    shutil.copy(ROOT / "tests" / "tables" / table, tmp_path / "tables" / table)
    monkeypatch.chdir(tmp_path)
    code, out, err = resnetc(capsys, "import-table", f"tables/{table}", "-o", "spec")
    assert code == 0, err
    assert err == ""
    out_dir = tmp_path / "spec"
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(f"resnet{d}.yaml" for d in DEPTHS)
    assert out.splitlines()[0] == "wrote spec/resnet18.yaml (18-layer column, shortcut option B)"
    for d in DEPTHS:
        written = unmarked((out_dir / f"resnet{d}.yaml").read_text())
        assert body(written) == body((SPEC_DIR / f"resnet{d}.yaml").read_text())
        assert written.startswith(
            f'# resnet{d}: the "{d}-layer" column of the table in tables/{table},'
        )
        if table != "table1_lines.tsv":  # the only copy without the FLOPs row
            assert f"The table prints {FLOPS[d]} FLOPs for this column" in " ".join(
                line.lstrip("# ") for line in written.splitlines()
            )
        net = analyze(written, f"resnet{d}.yaml").network
        assert {e.key: (e.h, e.w) for e in net.expect} == OUTPUT_SIZES
        assert net.expect_downsample == 32
        if table in (
            "table1.tex",
            "table1_mathjax.tsv",
        ):  # the same generated module, byte for byte
            assert compile_spec(written, "s.yaml", "s") == shipped_modules[d]


def test_resnext_table_imports_to_torchvision_counts(tmp_path, capsys) -> None:
    """The ResNeXt paper's Table 1: `stage`/`output` headers, C=32 cells, params and FLOPs rows."""
    code, _, err = resnetc(
        capsys, "import-table", str(TABLES / "resnext50.tex"), "-o", str(tmp_path)
    )
    assert code == 0, err
    reference = json.loads(REFERENCE.read_text())
    for name in ("resnet50", "resnext50_32x4d"):
        text = (tmp_path / f"{name}.yaml").read_text()
        params, _ = costs.totals(analyze(text, name).network)
        assert params == reference[name]["params"]
    text = (tmp_path / "resnext50_32x4d.yaml").read_text()
    assert '  conv3: "[[1x1,256],[3x3,256,C=32],[1x1,512]] x 4"' in text
    assert "The table prints 25.0x10^6 params; resnetc counts 25,028,904." in text.replace(
        "\n# ", " "
    )


@pytest.mark.parametrize("how", ["input row", "--input"])
def test_input_size_from_the_table_or_the_option(how, tmp_path, capsys) -> None:
    """tests/tables/cifar.tex has an input row; without it, --input gives the size."""
    table = TABLES / "cifar.tex"
    if how == "--input":
        table = tmp_path / "cifar.tex"
        lines = (TABLES / "cifar.tex").read_text().splitlines(True)
        table.write_text("".join(line for line in lines if not line.startswith("input")))
    extra = ["--input", "32x32x3"] if how == "--input" else []
    code, _, err = resnetc(capsys, "import-table", str(table), "-o", str(tmp_path / "o"), *extra)
    assert code == 0, err
    text = (tmp_path / "o" / "resnet20.yaml").read_text()
    assert body(text) == [
        "name: resnet20",
        "input: 32x32x3",
        "classes: 10",
        "stem:",
        "  conv1: 3x3, 16",
        "stages:",
        '  conv2_x: "[[3x3,16],[3x3,16]] x 3"',
        '  conv3_x: "[[3x3,32],[3x3,32]] x 3"',
        '  conv4_x: "[[3x3,64],[3x3,64]] x 3"',
        "expect:",
        "  conv1: 32x32",
        "  conv2_x: 32x32",
        "  conv3_x: 16x16",
        "  conv4_x: 8x8",
        "  downsample: 4",
    ]


def test_a_table_without_header_needs_names(tmp_path, capsys) -> None:
    table = tmp_path / "rows.tsv"
    table.write_text("".join((TABLES / "table1.tsv").read_text().splitlines(True)[1:]))
    names = "resnet18,resnet34,resnet50,resnet101,resnet152"
    code, _, err = resnetc(capsys, "import-table", str(table), "-o", str(tmp_path / "o"))
    assert code == 1 and "this table has no header row: its first row is conv1's" in err
    code, _, err = resnetc(
        capsys, "import-table", str(table), "-o", str(tmp_path / "o"), "--names", names
    )
    assert code == 0, err
    for d in DEPTHS:
        written = (tmp_path / "o" / f"resnet{d}.yaml").read_text()
        assert body(written) == body((SPEC_DIR / f"resnet{d}.yaml").read_text())


def test_a_pool_line_in_a_row_of_its_own(tmp_path, capsys) -> None:
    table = tmp_path / "pool.tsv"
    table.write_text(
        "layer name\toutput size\t18-layer\nconv1\t112×112\t7×7, 64, stride 2\n"
        "pool1\t56×56\t3×3 max pool, stride 2\nconv2_x\t56×56\t[3×3, 64; 3×3, 64]×2\n"
        "\t1×1\taverage pool, 10-d fc, softmax\n"
    )
    code, _, err = resnetc(capsys, "import-table", str(table), "-o", str(tmp_path / "o"))
    assert code == 0, err
    text = (tmp_path / "o" / "resnet18.yaml").read_text()
    assert "  pool: 3x3 max, /2\n" in text and "  pool: 56x56\n" in text
    assert "classes: 10\n" in text


def test_names_option_renames_the_columns(tmp_path, capsys) -> None:
    names = "a18,a34,a50,a101,a152"
    code, _, err = resnetc(
        capsys, "import-table", str(TABLES / "table1.md"), "-o", str(tmp_path), "--names", names
    )
    assert code == 0, err
    assert sorted(p.stem for p in tmp_path.iterdir()) == sorted(names.split(","))
    assert "name: a101\n" in (tmp_path / "a101.yaml").read_text()


def test_stdin(tmp_path, capsys, monkeypatch) -> None:
    data = (TABLES / "table1.tex").read_bytes()
    monkeypatch.setattr("sys.stdin", types.SimpleNamespace(buffer=io.BytesIO(data)))
    code, _, err = resnetc(capsys, "import-table", "-", "-o", str(tmp_path))
    assert code == 0, err
    written = (tmp_path / "resnet50.yaml").read_text()
    assert written.startswith("# Generated by resnetc import-table from <stdin>; sha256 ")
    assert unmarked(written).startswith(
        '# resnet50: the "50-layer" column of the table in <stdin>,'
    )


# ---------------------------------------------------------------- writing: all or nothing


def test_one_bad_column_writes_nothing(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code, stdout, err = resnetc(capsys, "import-table", str(BAD / "bad_cell.tex"), "-o", str(out))
    assert code == 1 and stdout == ""
    assert err.rstrip().endswith("nothing written")
    assert not out.exists()


def test_existing_files_are_never_overwritten_without_force(tmp_path, capsys) -> None:
    table = str(TABLES / "table1.tex")
    mine = tmp_path / "resnet50.yaml"
    mine.write_text("# my own resnet50\n")
    code, stdout, err = resnetc(capsys, "import-table", table, "-o", str(tmp_path))
    assert code == 1 and stdout == ""
    assert (
        f"{mine}: error: this file was not generated by resnetc; refusing to replace it with the"
        f" output of {spec_label(table, tmp_path)}\n"
        "  = help: move it away or choose another -o directory, or pass --force to replace it\n"
    ) in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["resnet50.yaml"]
    assert mine.read_text() == "# my own resnet50\n"
    code, stdout, _ = resnetc(capsys, "import-table", table, "-o", str(tmp_path), "--force")
    assert code == 0 and stdout.count("wrote ") == 5
    assert unmarked(mine.read_text()).startswith("# resnet50: ")
    code, stdout, _ = resnetc(capsys, "import-table", table, "-o", str(tmp_path))
    assert code == 0 and stdout.count("unchanged ") == 5
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_output_must_be_a_directory(tmp_path, capsys) -> None:
    target = tmp_path / "file"
    target.write_text("")
    code, _, err = resnetc(capsys, "import-table", str(TABLES / "table1.tex"), "-o", str(target))
    assert code == 2 and "is not a directory" in err


def test_a_huge_file_is_refused_before_reading_it_all(tmp_path, capsys) -> None:
    table = tmp_path / "huge.tsv"
    table.write_bytes(b"layer name\toutput size\t18-layer\n" * 40_000)
    code, _, err = resnetc(capsys, "import-table", str(table), "-o", str(tmp_path / "o"))
    assert code == 1
    assert err.startswith(
        f"{table}:1:1: error: the file is larger than {MAX_SPEC_BYTES:,} bytes,"
        " the most a table may be"
    )


LIMITS = {
    "cells": ("layer name\toutput size" + "\t18-layer" * 70 + "\n", "at most 64 cells in a row"),
    "rows": ("layer name\toutput size\t18-layer\n" + "conv1\t112×112\t\n" * 1001, "1,000 rows"),
    "macros": ("".join(f"\\newcommand{{\\m{'i' * i}}}{{x}}\n" for i in range(1, 102))
               + "a & b \\\\\n", "at most 100 macros"),
    "cell": ("layer name\toutput size\t18-layer\nconv1\t112×112\t" + "7" * 4001 + "\n",
             "a table cell may be at most 4,000 characters, not 4,001"),
}  # fmt: skip


def _macros(definitions: str, conv1: str) -> str:
    rows = f"layer name & 18-layer \\\\\nconv1 & {conv1} \\\\\n"
    return f"{definitions}\\begin{{tabular}}{{ll}}\n{rows}\\end{{tabular}}\n"


ITSELF = ": \\a uses itself, so it expands without end"
MACROS = {
    "many uses": (_macros("\\newcommand{\\m}{x}\n", "\\m" * 10_001),
                  "expand more than 10,000 times (MAX_EXPANSIONS)"),
    "a finite chain": (_macros("".join(f"\\newcommand{{\\m{'i' * i}}}{{\\m{'i' * (i + 1)}}}\n"
                                       for i in range(1, 20)), "\\mi"),
                       "nest more than 16 deep (MAX_MACRO_DEPTH)"),
    "itself": (_macros("\\newcommand{\\a}{\\a}\n", "\\a"),
               "nest more than 16 deep (MAX_MACRO_DEPTH)" + ITSELF),
    "through another": (_macros("\\newcommand{\\a}{x\\b}\n\\newcommand{\\b}{\\a}\n", "\\a"),
                        "nest more than 16 deep (MAX_MACRO_DEPTH)" + ITSELF),
    "many uses of itself": (_macros("\\newcommand{\\a}{\\a\\a}\n\\newcommand{\\b}{x}\n",
                                    "\\b" * 9_990 + "\\a"),
                            "expand more than 10,000 times (MAX_EXPANSIONS)" + ITSELF),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MACROS))
def test_a_macro_limit_is_named_and_recursion_only_where_it_is(case, tmp_path, capsys) -> None:
    text, message = MACROS[case]
    table = tmp_path / "t.tex"
    table.write_text(text)
    code, _, err = resnetc(capsys, "import-table", str(table), "-o", str(tmp_path / "o"))
    assert code == 1
    assert err.splitlines()[0].endswith(f": error: the table's macros {message}")


@pytest.mark.parametrize("limit", sorted(LIMITS))
def test_limits(limit, tmp_path, capsys) -> None:
    text, message = LIMITS[limit]
    table = tmp_path / "t.txt"
    table.write_text(text)
    code, _, err = resnetc(capsys, "import-table", str(table), "-o", str(tmp_path / "o"))
    assert code == 1 and message in err.splitlines()[0]


def test_a_missing_file_is_refused(tmp_path, capsys) -> None:
    code, _, err = resnetc(capsys, "import-table", str(tmp_path / "nope.tex"), "-o", str(tmp_path))
    assert code == 1 and "cannot read this file" in err


# ---------------------------------------------------------------- diagnostics, golden

BAD_TABLES = sorted(p.name for p in BAD.iterdir() if p.is_file())
OPTION_CASES = {
    "names_count": ["tests/tables/table1.tex", "--names", "a,b"],
    "names_duplicate": ["tests/tables/table1.tex", "--names", "r18,r34,r50,r18,r152"],
    "names_keyword": ["tests/tables/table1.tex", "--names", "r18,r34,r50,r101,class"],
    "input_too_small": ["tests/tables/table1_mathjax.tsv", "--input", "32x32x3"],
    "bind_nonascii_digit": ["tests/tables/wrn.tex", "--bind", "k=10,N=\u0664"],
}


@pytest.mark.parametrize("name", BAD_TABLES)
def test_bad_table(name, golden, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    code, stdout, err = resnetc(capsys, "import-table", f"tests/tables/bad/{name}", "-o", str(out))
    assert code == 1 and stdout == "" and not out.exists()
    assert ": error: " in err
    golden(EXPECTED / f"{name}.txt", err)


@pytest.mark.parametrize("case", sorted(OPTION_CASES))
def test_bad_option(case, golden, tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    table, *options = OPTION_CASES[case]
    code, stdout, err = resnetc(capsys, "import-table", table, "-o", str(tmp_path), *options)
    assert code == 1 and stdout == "" and not list(tmp_path.iterdir())
    golden(EXPECTED / f"{case}.txt", err)


def test_every_bad_table_has_its_golden_file() -> None:
    assert len(BAD_TABLES) >= 20
    assert sorted(p.stem for p in EXPECTED.iterdir()) == sorted(BAD_TABLES + list(OPTION_CASES))


# ---------------------------------------------------------------- the text helpers


def located(text: str) -> Text:
    return Text.of(text, 0, len(text))


@pytest.mark.parametrize(
    ("pasted", "cell"),
    [
        ("[3×3, 643×3, 64]×2", "[3×3, 64;3×3, 64]×2"),
        ("[1×1, 641×1, 64]×3", "[1×1, 64;1×1, 64]×3"),
        ("[3×3, 64\n3×3, 64] ×2", "[3×3, 64;\n3×3, 64] ×2"),
        ("[1×1, 128 3×3, 128, C=321×1, 256]×3", "[1×1, 128; 3×3, 128, C=32;1×1, 256]×3"),
        ("[3×3, 64; 3×3, 64]×2", "[3×3, 64; 3×3, 64]×2"),
        ("[[3x3,64],[3x3,64]] x 2", "[[3x3,64],[3x3,64]] x 2"),
        ("[3×3, 3×3, 64]", "[3×3, 3×3, 64]"),
        ("3×3,643×3,64×2", "[3×3,64;3×3,64]×2"),
        (" 1×1, 64 3×3, 64, C=32 1×1, 256 ×3", " [1×1, 64; 3×3, 64, C=32; 1×1, 256] ×3"),
        ("7×7, 64, stride 2", "7×7, 64, stride 2"),
    ],
)
def test_unflatten(pasted: str, cell: str) -> None:
    assert unflatten(located(pasted)).text == cell


@pytest.mark.parametrize(
    ("pasted", "cell"),
    [
        (r"\multirow{3}{*}{\(\left[\begin{array}{c}\text{3$\times$3, 64}\\[-.1em] \text{3$\times$3,"
         r" 64}\end{array}\right]\)$\times$2}",
         r"\left[\begin{array}{c}3×3, 64\\ 3×3, 64\end{array}\right]×2"),
        ("⎡⎣⎢⎢1×1, 64⎤⎦⎥⎥ ×3", "[1×1, 64] ×3"),
        ("[3×3, 64<br>3×3, 64]\u200b×2", "[3×3, 64\n3×3, 64]×2"),
        (r"conv2\_x", "conv2_x"),
        ("**conv1**", "conv1"),
    ],
)  # fmt: skip
def test_clean(pasted: str, cell: str) -> None:
    assert clean(located(pasted)).text == cell


def test_cleaned_characters_keep_their_file_positions() -> None:
    raw = r"\text{3$\times$3, 128}"
    cleaned = clean(located(raw))
    assert [raw[i] for i in cleaned.offsets] == list("3\\3, 128")


def test_importing_never_imports_torch(tmp_path) -> None:
    from tests.test_startup import _imported

    names = _imported(tmp_path, ["import-table", str(TABLES / "table1.tex"), "-o", str(tmp_path)])
    assert {"resnetc.tables.importer", "resnetc.core.shapes"} <= names
    assert not sorted(n for n in names if n.split(".")[0] in {"torch", "numpy", "sympy"})
    assert (tmp_path / "resnet152.yaml").exists()


def test_a_cifar_table_says_which_shortcut_it_chose_and_shortcut_a_chooses_the_papers(
    tmp_path, capsys
) -> None:
    """Tables print no shortcut option: import-table says it chose B, notes that the paper's
    CIFAR-10 networks used A, and `--shortcut A` gives the paper's 0.27M-parameter ResNet-20."""
    table = str(TABLES / "cifar.tex")
    assert main(["import-table", table, "-o", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "wrote " in out and "(20-layer column, shortcut option B)" in out
    assert out.count("note: the paper's CIFAR-10 networks") == 1
    assert "import with --shortcut A" in out
    b = (tmp_path / "b" / "resnet20.yaml").read_text()
    assert "Tables print no shortcut: shortcut option B" in " ".join(b.split())
    assert "options:" not in b
    assert main(["import-table", table, "-o", str(tmp_path / "a"), "--shortcut", "A"]) == 0
    out = capsys.readouterr().out
    assert "shortcut option A, from --shortcut" in out and "note:" not in out
    a = (tmp_path / "a" / "resnet20.yaml").read_text()
    assert "options:\n  shortcut: A\n" in a
    assert costs.totals(analyze(a, "resnet20.yaml").network)[0] == 269_722
    assert costs.totals(analyze(b, "resnet20.yaml").network)[0] == 272_474


def test_an_imagenet_table_has_no_cifar_note(tmp_path, capsys) -> None:
    assert main(["import-table", str(TABLES / "table1.md"), "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "shortcut option B" in out and "note:" not in out


# ---------------------------------------------------------------- tables written in symbols


@pytest.mark.parametrize("table", ["wrn.tex", "wrn.md"])
def test_the_wide_resnet_table_imports_as_the_papers_network(table, tmp_path, capsys) -> None:
    """The Wide ResNet paper's Table 1 (cells in k and N, a `group name` column, an `avg-pool`
    row, no input or fc row): named wrn_28_10, it is WRN-28-10, pre-activation, with the 36.5M
    parameters the paper prints."""
    args = ["import-table", str(TABLES / table), "-o", str(tmp_path), "--names", "wrn_28_10"]
    assert main([*args, "--classes", "10"]) == 0
    assert "wrote " in capsys.readouterr().out
    text = (tmp_path / "wrn_28_10.yaml").read_text()
    comment = " ".join(line[2:] for line in text.splitlines() if line.startswith("# "))
    assert "k = 10 (from the name wrn_28_10) and N = 4 (from the name wrn_28_10)" in comment
    assert "whose blocks are pre-activation" in comment
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert body.startswith("name: wrn_28_10\ninput: 32x32x3\nclasses: 10\n")
    assert '  conv4: "[[3x3,640],[3x3,640]] x 4"\n' in body and body.endswith("  preact: true")
    net = analyze(text, "wrn_28_10.yaml").network
    assert costs.totals(net)[0] == 36_479_194
    assert net.options.preact and net.options.shortcut == "B"


@pytest.mark.parametrize(
    ("option", "name", "params"),
    [
        (["--names", "wrn_40_4"], "wrn_40_4", 8_949_210),
        (["--bind", "k=8,N=2"], "wrn_16_8", 10_961_370),
    ],
)
def test_symbols_are_bound_from_the_name_or_the_command_line(
    option, name, params, tmp_path, capsys
) -> None:
    """WRN-40-4 and WRN-16-8, the paper's 8.9M and 11.0M; bound on the command line, the
    network takes the paper's WRN-d-k name."""
    args = ["import-table", str(TABLES / "wrn.tex"), "-o", str(tmp_path), "--classes", "10"]
    assert main([*args, *option]) == 0
    capsys.readouterr()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.yaml"]
    net = analyze((tmp_path / f"{name}.yaml").read_text(), "x.yaml").network
    assert net.name == name and costs.totals(net)[0] == params


def test_an_unbound_symbol_is_refused_at_the_symbol(tmp_path, capsys) -> None:
    args = ["import-table", str(TABLES / "wrn.tex"), "-o", str(tmp_path), "--bind", "k=2"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "wrn.tex:9:120: error: the table writes this cell in the symbol 'N'" in err
    assert "= help: bind it: --bind N=..." in err and "^" in err
    assert "nothing written" in err and not list(tmp_path.iterdir())


def test_a_bind_option_that_cannot_be_read_is_located(tmp_path, capsys) -> None:
    args = ["import-table", str(TABLES / "wrn.tex"), "-o", str(tmp_path), "--bind", "k=2,N"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "--bind:1:5: error: cannot read 'N' as a symbol and its value" in err, err
    assert not list(tmp_path.iterdir())


def test_a_markdown_table_pasted_with_its_caption_and_a_note(tmp_path, capsys) -> None:
    """Prose above the header and below the last row is not part of the table: the spec is the
    one the bare table gives."""
    table = (TABLES / "wrn.md").read_text()
    pasted = tmp_path / "pasted.md"
    pasted.write_text(
        "Table 1: Structure of wide residual networks. Network width is determined by factor k.\n"
        f"\n{table}\nOriginal architecture [13] is equivalent to k = 1.\n"
    )
    args = ["--names", "wrn_28_10", "--classes", "10"]
    assert main(["import-table", str(TABLES / "wrn.md"), "-o", str(tmp_path / "bare"), *args]) == 0
    assert main(["import-table", str(pasted), "-o", str(tmp_path / "pasted"), *args]) == 0
    assert "wrote " in capsys.readouterr().out

    def body(folder: str) -> str:
        text = (tmp_path / folder / "wrn_28_10.yaml").read_text()
        return "\n".join(line for line in text.splitlines() if not line.startswith("#"))

    assert body("pasted") == body("bare")


@pytest.mark.parametrize(
    ("odd", "shown"),
    [("\x07", "\\x07"), ("\u202e", "\\u202e"), ("\u2028", ""), ("\x1b", "\\x1b")],
    ids=["bell", "bidi-override", "line-separator", "terminal-escape"],
)
def test_what_the_table_prints_is_quoted_as_plain_text(odd, shown, tmp_path, capsys) -> None:
    """A FLOPs cell with a control, bidi or line-separator character in it: the spec's comment
    quotes it escaped, one line of plain text, and the spec compiles (found by the fuzz run, which
    put a BEL there and got an internal error)."""
    text = (TABLES / "table1.tsv").read_text(encoding="utf-8")
    table = tmp_path / "t.tsv"
    table.write_text(text.replace("1.8×10^9", f"1.8×10^9{odd}"), encoding="utf-8")
    code, _, err = resnetc(capsys, "import-table", str(table), "-o", str(tmp_path / "out"))
    assert code == 0, err
    written = (tmp_path / "out" / "resnet18.yaml").read_text(encoding="utf-8")
    assert f"table prints 1.8x10^9{shown} FLOPs" in written
    assert all(ch in "\n" or ch.isprintable() for ch in written)
    assert analyze(written, "resnet18.yaml").network.name == "resnet18"


def test_a_written_comment_is_one_line_of_plain_text() -> None:
    """The writer itself escapes what no comment may hold: a line separator would end the comment
    (YAML breaks lines there), a control character would make the spec unreadable."""
    from resnetc.core.spec_writer import SpecWriter

    w = SpecWriter()
    w.comment("from a\u2028name: evil\x07 \u202egnp.stnemucod")
    assert w.text() == "# from a\\u2028name: evil\\x07 \\u202egnp.stnemucod\n"
