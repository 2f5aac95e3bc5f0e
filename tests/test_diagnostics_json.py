"""Machine-readable diagnostics (`--diagnostics-format json`) and `--werror`, on every command
that reads inputs; every kind of diagnostic has a stable code (front/codes.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from resnetc.cli import main
from resnetc.front.codes import CODES, UNCLASSIFIED, catalogue
from resnetc.front.lintnames import LINTS
from tests.conftest import ROOT

CASES = ROOT / "tests" / "cases"
BAD_TABLES = ROOT / "tests" / "tables" / "bad"
FIELDS = {"file", "line", "column", "end_line", "end_column", "severity", "code", "message"}
FIELDS |= {"help", "notes"}


def run(capsys, *args: str) -> tuple[int, str, dict]:
    code = main([*args, "--diagnostics-format", "json"])
    out, err = capsys.readouterr()
    return code, out, json.loads(err)


def test_a_refused_spec_is_one_json_document_on_stderr(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, doc = run(capsys, "check", "tests/cases/bad_even_kernel_expect/spec.yaml")
    assert code == 1 and out == ""
    assert doc["version"] == 1 and doc["summary"] == "resnetc: 1 of 1 spec refused"
    (d,) = doc["diagnostics"]
    assert set(d) == FIELDS
    assert (d["file"], d["line"], d["column"], d["end_line"], d["end_column"]) == (
        "tests/cases/bad_even_kernel_expect/spec.yaml",
        9,
        25,
        9,
        32,
    )
    assert (d["severity"], d["code"]) == ("error", "shortcut-mismatch")
    assert d["help"].startswith("an even kernel (4x4)")
    (n,) = d["notes"]
    assert n["severity"] == "note" and n["line"] is None and n["code"] == "expect-mismatch"


def test_warnings_carry_their_lint_name_and_stdout_is_unchanged(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    spec = "tests/cases/warn_name_depth/spec.yaml"
    code, out, doc = run(capsys, "check", spec)
    assert code == 0 and out.startswith(f"{spec}: resnet56")
    assert [(d["severity"], d["code"]) for d in doc["diagnostics"]] == [("warning", "name-depth")]


def test_werror_refuses_a_spec_with_warnings_and_writes_nothing(capsys, tmp_path) -> None:
    spec = str(CASES / "warn_name_depth" / "spec.yaml")
    assert main(["compile", spec, "-o", str(tmp_path / "out")]) == 0
    capsys.readouterr()
    code = main(["compile", spec, "-o", str(tmp_path / "strict"), "--werror"])
    err = capsys.readouterr().err
    assert code == 1 and ": error: the name says 56 layers" in err
    assert "nothing written" in err and not (tmp_path / "strict").exists()
    assert main(["check", spec, "--werror"]) == 1


def test_text_is_unchanged_by_default(capsys, monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    assert main(["check", "tests/cases/bad_numbers/spec.yaml"]) == 1
    err = capsys.readouterr().err
    assert err == (CASES / "bad_numbers" / "expected.txt").read_text()


def _codes(capsys, *args: str) -> list[str]:
    _, _, doc = run(capsys, *args)
    return [d["code"] for d in doc["diagnostics"]]


@pytest.mark.parametrize(
    "case", sorted(p.name for p in CASES.iterdir() if (p / "spec.yaml").exists())
)
def test_every_diagnostic_of_the_golden_corpus_has_a_code(
    case: str, capsys, monkeypatch, tmp_path
) -> None:
    monkeypatch.chdir(ROOT)
    if (CASES / case / "command").exists():
        from tests.test_golden import _argv

        if case.startswith("usage_"):
            return  # a usage error is argparse's, in text
        if (CASES / case / "checkpoint.pt").exists():
            pytest.importorskip("torch")
        argv = _argv(case, tmp_path / "out")
    else:
        argv = ["check", f"tests/cases/{case}/spec.yaml"]
    codes = _codes(capsys, *argv)
    assert UNCLASSIFIED not in codes
    assert codes or not case.startswith(("bad_", "warn_"))


@pytest.mark.parametrize("table", sorted(p.name for p in BAD_TABLES.glob("*.*") if p.is_file()))
def test_every_refusal_of_a_pasted_table_has_a_code(table: str, capsys, tmp_path) -> None:
    codes = _codes(capsys, "import-table", str(BAD_TABLES / table), "-o", str(tmp_path))
    assert codes and UNCLASSIFIED not in codes


def test_checkpoint_refusals_have_codes(capsys, tmp_path: Path) -> None:
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    text = tmp_path / "notes.pth"
    text.write_text("hello")
    for path, code in ((empty, "file-empty"), (text, "checkpoint-unreadable")):
        codes = _codes(capsys, "decompile", str(path), "-o", str(tmp_path / "x.yaml"))
        assert codes == [code]


def test_the_catalogue_names_each_code_once() -> None:
    codes = [code for code, _, _ in catalogue()]
    assert len(codes) == len(set(codes))
    assert set(LINTS) <= set(codes) and {c.code for c in CODES} <= set(codes)


def test_json_escapes_what_the_text_form_escapes(tmp_path, capsys, monkeypatch) -> None:
    """A file name carrying a bidi override, a zero-width space, U+2028 and DEL: `\\uXXXX` in the
    JSON, never raw on the terminal, and the same name once decoded."""
    monkeypatch.chdir(tmp_path)
    name = "bidi\u202egpj.exe\u200b\u2028\x7f.yaml"
    (tmp_path / name).write_bytes((CASES / "bad_nonascii_digit" / "spec.yaml").read_bytes())
    assert main(["check", name, "--diagnostics-format", "json"]) == 1
    err = capsys.readouterr().err
    assert not set("\u202e\u200b\u2028\x7f") & set(err)
    assert '"file": "bidi\\u202egpj.exe\\u200b\\u2028\\u007f.yaml"' in err
    assert json.loads(err)["diagnostics"][0]["file"] == name


def test_json_keeps_readable_text_and_escapes_the_rest() -> None:
    from resnetc.cli.reporting import json_text

    value = {"m": "3×3 ৭ \U000e0041 \udcff"}  # a tag character (Cf) and a lone surrogate
    text = json_text(value)
    assert "3×3 ৭ " in text and "\\udb40\\udc41" in text and "\\udcff" in text
    assert json.loads(text) == value
