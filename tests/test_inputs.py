"""Inputs that are not what they seem: line breaks YAML counts, files that are not files, text from
inputs on the terminal and in markdown. Each case is one finding of issue 14.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from resnetc.cli import main
from resnetc.front.source import Source
from tests.conftest import ROOT, SPEC_DIR


def test_source_counts_the_line_breaks_yaml_counts() -> None:
    """NEL, U+2028 and U+2029 end a line for PyYAML, so they end one for `Source` too."""
    text = "a: 1 # x\u2028b: 2 # y\x85c: 3 # z\u2029d: 4\r\ne: 5\rf: [\n"
    source = Source("t.yaml", text)
    try:
        yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
    else:  # pragma: no cover - the text ends inside a flow list
        raise AssertionError("PyYAML accepted an unclosed flow list")
    assert source.position(mark.index) == (mark.line + 1, mark.column + 1)
    assert [source.line_text(n) for n in range(1, source.line_count + 1)] == [
        "a: 1 # x",
        "b: 2 # y",
        "c: 3 # z",
        "d: 4",
        "e: 5",
        "f: [",
        "",
    ]
    for key in "abcdef":
        index = text.index(f"{key}:")
        loader = yaml.SafeLoader(text)
        while True:
            token = loader.get_token()
            if getattr(token, "value", None) == key:
                break
        assert source.position(index) == (token.start_mark.line + 1, token.start_mark.column + 1)


# ---------------------------------------------------------------- files that are not files

R18 = SPEC_DIR / "resnet18.yaml"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", ["check", "summary", "explain", "import-table", "decompile"])
def test_a_fifo_is_refused_not_waited_on(command, tmp_path, capsys) -> None:
    """A FIFO with no writer would block `open()` forever; it is named and never opened."""
    fifo = tmp_path / "input"
    os.mkfifo(fifo)
    argv = {"import-table": ["-o", str(tmp_path / "o")], "decompile": ["-o", "-"]}
    code, out, err = _run(capsys, command, str(fifo), *argv.get(command, []))
    assert code == 1 and out == ""
    assert f"{fifo}: error: cannot read this file: it is a FIFO (a named pipe)" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/ptmx", "/dev/null"])
@pytest.mark.parametrize("command", ["check", "import-table", "decompile"])
def test_a_character_device_is_refused(command, device, tmp_path, capsys) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    argv = {"import-table": ["-o", str(tmp_path / "o")], "decompile": ["-o", "-"]}
    code, _, err = _run(capsys, command, device, *argv.get(command, []))
    assert code == 1
    assert f"{device}: error: cannot read this file: it is a character device" in err


def test_a_file_replaced_by_a_fifo_after_it_was_examined_is_still_refused(
    tmp_path, monkeypatch
) -> None:
    """What is read is examined through the open descriptor, not only by name beforehand."""
    from resnetc.files import inputs

    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    calls = []

    def only_the_first_look_is_fooled(mode: int, real=inputs.what_is) -> str | None:
        calls.append(mode)
        return None if len(calls) == 1 else real(mode)

    monkeypatch.setattr(inputs, "what_is", only_the_first_look_is_fooled)
    with pytest.raises(inputs.NotAFile, match="FIFO"):
        inputs.read_regular(str(fifo), 10)


def test_decompile_refuses_a_wrong_input_size_as_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["decompile", "x.pt", "-o", "-", "--input", "999999x999999"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "each size may be from 1 to 65,536 (MAX_INPUT_SIZE)" in err and "internal" not in err


def test_a_checkpoint_that_holds_itself_is_refused(tmp_path, capsys) -> None:
    from resnetc import decompile
    from resnetc.front.diagnostics import CompileError

    loop: dict = {"conv1.weight": None}
    loop["model"] = loop
    with pytest.raises(CompileError, match="holds itself and no tensors"):
        decompile({"model": loop})
    deep: dict = {}
    deep["state_dict"] = {"x": deep}
    with pytest.raises(CompileError, match="more than 4 levels of dicts"):
        decompile(deep)


@pytest.mark.parametrize(
    "breaks",
    ["\n", "\r\n", "\x85", "\x85\x85", "\u2028", "\u2029", "\x85 "],
    ids=["LF", "CRLF", "NEL", "two NELs", "LS", "PS", "NEL and a space"],
)
def test_a_line_break_inside_a_quoted_cell_keeps_the_caret_on_its_character(
    breaks: str, tmp_path, capsys
) -> None:
    """A quoted cell broken over lines: YAML folds the break (NEL as LF) or keeps it (LS, PS);
    either way the diagnostic names the line and column of the bad digit (NEL alone once put
    the caret under the whole cell, on the line before)."""
    spec = tmp_path / "s.yaml"
    cell = f'"[[3x3,64],{breaks}[3x3,6\u09ea]] x 2"'
    spec.write_text(
        "name: r\ninput: 224x224x3\nclasses: 10\nstem:\n  conv1: 7x7, 64, /2\nstages:\n"
        f"  conv2_x: {cell}\n",
        encoding="utf-8",
        newline="",
    )
    assert main(["check", str(spec)]) == 1
    err = capsys.readouterr().err
    line = 7 + Source("s", breaks).line_count - 1
    column = 7 + len(breaks) - len(breaks.rstrip(" "))
    assert err.startswith(f"{spec}:{line}:{column}: error: U+09EA BENGALI DIGIT FOUR is not"), err


# ---------------------------------------------------------------- a full or closed stdout


def _spawn(argv: list[str], stdout) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "resnetc", *argv],
        cwd=ROOT,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=60,
    )


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_stdout_ends_in_one_line_and_exit_1() -> None:
    with open("/dev/full", "w") as full:
        done = _spawn(["check", str(R18)], full)
    assert done.returncode == 1
    assert done.stderr == (
        "resnetc: error: cannot write to standard output: No space left on device\n"
    )


def test_a_closed_stdout_ends_quietly() -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before resnetc writes anything (`| head -c1`, finished)
    try:
        done = _spawn(["summary", str(R18)], write)
    finally:
        os.close(write)
    assert done.returncode == 141 and done.stderr == ""


def test_a_reader_that_leaves_in_the_middle_of_a_long_output_is_a_closed_stdout(tmp_path) -> None:
    """The reader takes 1,000 bytes of a JSON summary far longer than a pipe holds and goes away:
    the kernel reports the first 64 KiB written, and Python's buffered writer dropped the error
    of the rest, so resnetc ended with exit 0 and a cut document. Exit 141, as `cat` gives."""
    spec = tmp_path / "long.yaml"
    stages = "".join(f'  s{i}: "[[3x3,64],[3x3,64]] x 2"\n' for i in range(60))
    spec.write_text(f"name: long\ninput: 224x224x3\nclasses: 10\nstem:\n  conv1: 3x3, 64\n"
                    f"stages:\n{stages}")  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "resnetc", "summary", "--format", "json", "--expand", str(spec)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert len(proc.stdout.read(1000)) == 1000
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141 and b"internal error" not in err


# ---------------------------------------------------------------- text from inputs, escaped


def test_import_table_escapes_a_column_title(tmp_path, capsys) -> None:
    table = (ROOT / "tests" / "tables" / "table1.tsv").read_text(encoding="utf-8")
    hostile = "18-layer\x1b]0;owned\x07\u202e"
    (tmp_path / "t.tsv").write_text(table.replace("18-layer", hostile, 1), encoding="utf-8")
    names = "a,b,c,d,e"
    code, out, _ = _run(
        capsys, "import-table", str(tmp_path / "t.tsv"), "-o", str(tmp_path / "o"), "--names", names
    )
    assert code == 0
    assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out
    assert "(18-layer\\x1b]0;owned\\x07\\u202e column, shortcut option B)" in out


def test_decompile_escapes_the_checkpoint_path(tmp_path, capsys) -> None:
    from tests.test_writes import tiny_checkpoint

    ckpt = tiny_checkpoint(tmp_path / "r\x1b]0;owned\x07.pt")
    code, out, err = _run(capsys, "decompile", str(ckpt), "-o", str(tmp_path / "x.yaml"))
    assert code == 0, err
    assert "\x1b" not in out + err and "\\x1b]0;owned\\x07" in out


def test_explain_shows_a_hostile_spec_name_as_text_that_cannot_become_markup(
    tmp_path, capsys
) -> None:
    from resnetc.teach.codespan import literal

    name = "a`<img src=x onerror=alert(1)>`` # b.yaml"
    spec = tmp_path / name
    spec.write_bytes(R18.read_bytes())
    code, out, _ = _run(capsys, "explain", str(spec))
    assert code == 0
    intro = out[out.index("\n\n") + 2 :].split("\n\n")[0]  # the first paragraph
    assert "<img" not in intro
    assert "&lt;img src\\=x onerror\\=alert\\(1\\)&gt;" in " ".join(intro.split())
    assert "\\`" in intro and not any(
        line.startswith(("`", "#", ">")) for line in intro.split("\n")
    )
    assert literal("spec/resnet50.yaml") == "`spec/resnet50.yaml`"
    assert literal("a`b <c>") == "a\\`b &lt;c&gt;"
