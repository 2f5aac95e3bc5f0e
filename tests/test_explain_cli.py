"""`resnetc explain`, `diagram` and `schema` on the command line: output, files, exit codes."""

from __future__ import annotations

from pathlib import Path

from resnetc.pipeline import analyze
from resnetc.teach.markdown import markdown
from resnetc.teach.page import html
from tests.conftest import ROOT
from tests.test_cli import resnetc


def test_explain_prints_the_walk() -> None:
    run = resnetc("explain", "spec/resnet18.yaml")
    assert run.returncode == 0, run.stderr
    spec = ROOT / "spec" / "resnet18.yaml"
    assert run.stdout == markdown(analyze(spec.read_bytes(), "spec/resnet18.yaml"))
    assert run.stderr == ""


def test_explain_writes_files_atomically(tmp_path: Path) -> None:
    md, page = tmp_path / "out" / "walk.md", tmp_path / "out" / "page.html"
    assert resnetc("explain", "spec/resnet18.yaml", "-o", str(md)).returncode == 0
    run = resnetc("explain", "spec/resnet18.yaml", "--html", "-o", str(page))
    assert run.returncode == 0 and f"wrote {page}" in run.stderr
    spec = ROOT / "spec" / "resnet18.yaml"
    assert page.read_text() == html(analyze(spec.read_bytes(), "spec/resnet18.yaml"))
    assert md.read_text().startswith("# resnet18: from the table to the code\n")
    assert sorted(p.name for p in md.parent.iterdir()) == ["page.html", "walk.md"]


def test_warnings_go_to_stderr_and_into_the_walk() -> None:
    run = resnetc("explain", "tests/cases/warn_design_rules/spec.yaml")
    assert run.returncode == 0
    assert "warning: conv3_x halves the map (56->28)" in run.stderr
    assert "## Design-rule warnings" in run.stdout and "4 times less" in run.stdout


def test_refused_spec_is_a_diagnostic_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    for args in (
        ("explain", "tests/cases/bad_unquoted_cell/spec.yaml", "--html", "-o", str(out)),
        ("diagram", "tests/cases/bad_unquoted_cell/spec.yaml", "-o", str(out)),
        ("explain", "tests/cases/bad_unquoted_cell/spec.yaml"),
    ):
        run = resnetc(*args)
        assert run.returncode == 1
        assert run.stderr.startswith("tests/cases/bad_unquoted_cell/spec.yaml:8:12: error:")
        assert "Traceback" not in run.stderr and run.stdout == ""
    assert not out.exists()


def test_usage_errors(tmp_path: Path) -> None:
    run = resnetc("explain", "spec/resnet18.yaml", "--html")
    assert run.returncode == 2 and "--html needs -o FILE" in run.stderr and run.stdout == ""
    run = resnetc("diagram", "spec/resnet18.yaml", "-o", str(tmp_path))
    assert run.returncode == 2 and "is a directory" in run.stderr
    assert resnetc("explain").returncode == 2
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    run = resnetc("schema", "-o", str(blocker / "schema.json"))
    assert run.returncode == 2 and "cannot write" in run.stderr
    assert "Traceback" not in run.stderr


def test_help_lists_the_commands() -> None:
    run = resnetc("--help")
    assert run.returncode == 0
    for name in ("explain", "diagram", "schema"):
        assert name in run.stdout
