"""Interrupted runs lose nothing: Ctrl-C or SIGTERM at any moment leaves no partial or temporary
file, no traceback, and exits 130 / 143 (or dies of the signal before resnetc has started).

Signals go to a real `resnetc compile` of three specs, started through the same console-script
wrapper pip installs, at delays spread from interpreter start-up to the end of the run. The
default suite sends a few; `pytest -m fuzz` sends many (RESNETC_FUZZ_SIGNALS sets how many).
In-process tests pin down the write phase itself, where timing from outside cannot aim.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from resnetc.cli import main
from resnetc.files import interrupts, output
from resnetc.files.output import spec_label
from resnetc.pipeline import compile_spec
from resnetc.targets.torch.emit import HEADER
from tests.conftest import ROOT, SPEC_DIR

SPECS = ["resnet18.yaml", "resnet50.yaml", "resnet152.yaml"]

# What pip writes as the `resnetc` console script (see .venv/bin/resnetc).
WRAPPER = """\
import re
import sys
from _resnetc import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""

OURS = re.compile(r'File "[^"]*(?:/compiler/[^"]*|_resnetc\.py)"')
"""A traceback frame in resnetc's own code (after its entry point's first line has run)."""


class Project:
    """A directory with the specs and an output directory holding older generated files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.out = root / "out"
        self.out.mkdir()
        (root / "spec").mkdir()
        self.new: dict[str, bytes] = {}
        self.old: dict[str, bytes] = {}
        for name in SPECS:
            spec = root / "spec" / name
            spec.write_bytes((SPEC_DIR / name).read_bytes())
            text = compile_spec(spec.read_bytes(), str(spec), spec_label(spec, self.out))
            target = self.out / f"{name.removesuffix('.yaml')}.py"
            self.new[target.name] = text.encode()
            self.old[target.name] = text.encode() + b"# an older version\n"
        self.wrapper = root / "resnetc"
        self.wrapper.write_text(WRAPPER)

    def reset(self) -> None:
        """Put the older files back."""
        for p in self.out.iterdir():
            p.unlink()
        for name, data in self.old.items():
            (self.out / name).write_bytes(data)

    def start(self) -> subprocess.Popen[bytes]:
        """`resnetc compile spec/*.yaml -o out`, as the installed command runs it."""
        env = {**os.environ, "PYTHONPATH": str(ROOT), "RESNETC_CACHE_DIR": ""}
        argv = [sys.executable, str(self.wrapper), "compile"]
        argv += [f"spec/{n}" for n in SPECS] + ["-o", "out"]
        return subprocess.Popen(
            argv, cwd=self.root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def state(self) -> str:
        """'old' or 'new' if every file is whole and from one run; fails on anything else."""
        files = {p.name: p.read_bytes() for p in self.out.iterdir()}
        assert set(files) == set(self.new), f"stray files: {sorted(set(files) - set(self.new))}"
        if files == self.old:
            return "old"
        assert files == self.new, "a file is neither the old one nor the new one"
        return "new"


def _deliveries(count: int, run_time: float) -> list[float]:
    """Delays from start-up (0 to 20 ms, where Python and the imports run) to past the end."""
    early = [0.0, 0.002, 0.005, 0.01, 0.02][: max(1, count // 3)]
    rest = count - len(early)
    return early + [run_time * 1.1 * (i + 1) / rest for i in range(rest)]


def _check_stopped(project: Project, signum: int, delay: float) -> str:
    proc = project.start()
    time.sleep(delay)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    stderr = err.decode(errors="replace")
    state = project.state()
    what = f"signal {signum} after {delay * 1000:.0f} ms: rc {proc.returncode}\n{stderr[-3000:]}"
    if "Traceback" in stderr:  # only Python's own start-up, before resnetc's first line
        assert not OURS.search(stderr), what
        if proc.returncode == 0 and "Error processing line" in stderr:
            # site.py reports the interrupted line of a .pth file (the editable install's) and
            # goes on: the run then completes, every file whole
            assert state == "new", what
            return "finished after site.py's start-up traceback"
        assert proc.returncode in (1, -signum) and state == "old", what
        return "Python's start-up traceback"
    if proc.returncode == -signum:  # the default action: before resnetc's handlers, or after
        assert stderr == "", what
        return "before start" if state == "old" else "after the end"
    if proc.returncode == 0:
        assert state == "new", what
        return "finished"
    assert proc.returncode == 128 + signum, what
    word = "interrupted" if signum == signal.SIGINT else "terminated"
    assert stderr.endswith(f"resnetc: {word}; no file was left half-written\n"), what
    return f"stopped ({state})"


def _signals(fuzz: bool) -> int:
    return int(os.environ.get("RESNETC_FUZZ_SIGNALS", "60")) if fuzz else 4


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_at_any_moment_loses_nothing(signum: int, tmp_path: Path, request) -> None:
    project = Project(tmp_path)
    project.reset()
    began = time.monotonic()
    proc = project.start()
    assert proc.wait(timeout=120) == 0, proc.stderr.read().decode() if proc.stderr else ""
    run_time = time.monotonic() - began
    assert project.state() == "new"
    fuzz = "fuzz" in request.keywords
    outcomes = []
    for delay in _deliveries(_signals(fuzz), run_time):
        project.reset()
        outcomes.append(_check_stopped(project, signum, delay))
    print(outcomes)
    assert any(o.startswith("stopped") for o in outcomes), outcomes


@pytest.mark.fuzz
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_at_any_moment_loses_nothing_long(signum: int, tmp_path: Path, request) -> None:
    test_signal_at_any_moment_loses_nothing(signum, tmp_path, request)


# ---------------------------------------------------------------- the write phase, in-process


def _targets(tmp_path: Path) -> list[output.Target]:
    return [
        output.Target(tmp_path / f"net{i}.py", f"# {HEADER.format(spec=f'n{i}.yaml')}\n", "")
        for i in range(3)
    ]


def test_a_signal_while_files_are_replaced_waits_until_all_are(tmp_path, monkeypatch) -> None:
    targets = _targets(tmp_path)
    stage = output._stage
    calls = []

    def stage_and_interrupt(path: Path, text: str) -> str:
        calls.append(path)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # arrives between two files
        return stage(path, text)

    monkeypatch.setattr(output, "_stage", stage_and_interrupt)
    with pytest.raises(KeyboardInterrupt), interrupts.handled():
        output.write_all(targets)
    assert interrupts.received() == signal.SIGINT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net0.py", "net1.py", "net2.py"]


def test_a_failed_write_changes_nothing_and_leaves_no_temporary_file(tmp_path, monkeypatch) -> None:
    targets = _targets(tmp_path)
    (tmp_path / "net0.py").write_text(targets[0].text + "# old\n")
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir())
    stage = output._stage

    def stage_then_fail(path: Path, text: str) -> str:
        if path.name == "net2.py":
            raise OSError(28, "No space left on device")
        return stage(path, text)

    monkeypatch.setattr(output, "_stage", stage_then_fail)
    with pytest.raises(output.OutputError, match=r"cannot write .*net2\.py: No space left"):
        output.write_all(targets)
    assert sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir()) == before


def test_compile_reports_a_failed_write_without_a_traceback(tmp_path, monkeypatch, capsys) -> None:
    def full(path: Path, text: str) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "_stage", full)
    out = tmp_path / "out"
    assert main(["compile", str(SPEC_DIR / "resnet18.yaml"), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"resnetc: error: cannot write {out / 'resnet18.py'}: No space left on device" in err
    assert err.endswith("resnetc: nothing written\n")
    assert not out.exists() or not any(out.iterdir())


class _Panic(BaseException):
    """What pyo3 raises when an interrupt cuts an extension's import short (not an Exception)."""


def test_whatever_an_interrupted_import_raises_is_reported_as_the_interrupt(
    monkeypatch, capsys
) -> None:
    import resnetc.cli.check as check

    def interrupted_import(args) -> int:
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        except interrupts.Terminated:
            raise _Panic("failed to import `datetime` C API") from None
        raise AssertionError("the signal did not arrive")

    monkeypatch.setattr(check, "run", interrupted_import)
    assert main(["check", "x.yaml"]) == 128 + signal.SIGTERM
    assert capsys.readouterr().err == "resnetc: terminated; no file was left half-written\n"


class _Swallower:
    """An object whose `__del__` is where the signal is handled: Python cannot pass on what it
    raises there, and hands it to `sys.unraisablehook` instead (as it did to CI's SIGINT, inside
    an `isinstance` that pydantic-core made while it serialized a Norm)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum

    def __del__(self) -> None:
        signal.raise_signal(self.signum)
        sum(range(1000))  # the handler runs here, and its exception goes nowhere


def test_an_interrupt_python_could_not_pass_on_is_raised_again_and_not_printed(capsys) -> None:
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt), interrupts.handled():
        _Swallower(signal.SIGINT)  # dropped at once: __del__ runs here
        while time.monotonic() - start < 3:
            time.sleep(0.001)
    assert time.monotonic() - start < 1, "the swallowed interrupt was not raised again"
    assert interrupts.received() == signal.SIGINT
    assert "Exception ignored" not in capsys.readouterr().err


def test_other_unraisable_exceptions_still_reach_the_previous_hook(monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: seen.append(type(u.exc_value)))

    class Broken:
        def __del__(self) -> None:
            raise ValueError("not ours")

    with interrupts.handled():
        Broken()
    assert seen == [ValueError]
    assert sys.unraisablehook is not interrupts._on_unraisable


def test_a_run_that_ends_although_a_signal_came_is_reported_as_stopped(monkeypatch, capsys) -> None:
    import resnetc.cli.check as check

    def swallows(args) -> int:
        try:  # a library's `except BaseException: pass`
            os.kill(os.getpid(), signal.SIGINT)
            sum(range(1000))
        except BaseException:
            pass
        return 0

    monkeypatch.setattr(check, "run", swallows)
    assert main(["check", "x.yaml"]) == 128 + signal.SIGINT
    assert capsys.readouterr().err == "resnetc: interrupted; no file was left half-written\n"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_as_the_run_ends_is_reported_as_stopped(signum, monkeypatch, capsys) -> None:
    """A signal whose handler raises in the last moments, inside a context manager's `__exit__`
    around the run (CI saw one land in contextlib's, a traceback from resnetc's own lines): the
    run is reported as stopped, and the handlers are put back."""
    import contextlib

    import resnetc.cli as cli

    before = {s: signal.getsignal(s) for s in interrupts.SIGNALS}

    @contextlib.contextmanager
    def signalled_on_exit():
        yield
        os.kill(os.getpid(), signum)  # its handler raises here, outside any try of main's
        sum(range(1000))

    monkeypatch.setattr(cli, "_guarded_stdout", signalled_on_exit)
    assert main(["check", str(SPEC_DIR / "resnet18.yaml")]) == 128 + signum
    err = capsys.readouterr().err
    assert err.endswith("; no file was left half-written\n") and "Traceback" not in err
    assert {s: signal.getsignal(s) for s in interrupts.SIGNALS} == before


def test_a_bug_is_an_internal_error_not_a_traceback(monkeypatch, capsys) -> None:
    import resnetc.cli.check as check

    def bug(args) -> int:
        raise _Panic("something broke")

    monkeypatch.setattr(check, "run", bug)
    assert main(["check", "x.yaml"]) == 3
    assert capsys.readouterr().err.startswith("resnetc: internal error: _Panic: something broke")


def test_handlers_are_put_back_and_an_ignored_signal_stays_ignored() -> None:
    before = {s: signal.getsignal(s) for s in interrupts.SIGNALS}
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with interrupts.handled():
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGINT) is not before[signal.SIGINT]
        assert signal.getsignal(signal.SIGINT) is before[signal.SIGINT]
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert {s: signal.getsignal(s) for s in interrupts.SIGNALS} == before


def test_the_console_script_is_the_early_entry_point() -> None:
    """pip's wrapper imports `_resnetc` first, which is installed as a top-level module."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^resnetc = "_resnetc:main"$', pyproject, re.M)
    assert re.search(r'^py-modules = \["_resnetc"\]$', pyproject, re.M)
    first_code = [
        line
        for line in (ROOT / "_resnetc.py").read_text().split('"""', 2)[2].splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert first_code[0].startswith("try:") and "signal" in first_code[1]


_SWALLOWED = """\
import os, signal, sys, time
from resnetc.files import interrupts

class Dropped:
    def __del__(self):  # what the handler raises here goes to sys.unraisablehook
        os.kill(os.getpid(), signal.SIGTERM)

try:
    with interrupts.handled():
        Dropped()
        print("went on", flush=True)
        time.sleep(60)
except interrupts.Terminated:
    print("stopped", flush=True)
"""


def test_a_signal_python_could_not_pass_on_ends_even_a_sleep_at_once() -> None:
    """CI's SIGINT was raised inside an isinstance that pydantic-core made, and printed as
    "Exception ignored in": the signal is sent again to the main thread, and ends its sleep."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-c", _SWALLOWED], capture_output=True, text=True, env=env, timeout=50
    )
    assert (run.returncode, run.stdout, run.stderr) == (0, "went on\nstopped\n", "")
    assert time.monotonic() - start < interrupts.GRACE  # not the watchdog


_CAUGHT = """\
import os, signal, sys, time
from resnetc.files import interrupts

with interrupts.handled():
    try:  # a library that swallows every exception, where no hook can see it
        os.kill(os.getpid(), signal.SIGTERM)
        sum(range(1000))
    except BaseException:
        pass
    print("went on", flush=True)
    time.sleep(60)
sys.exit(0)
"""


def test_a_signal_whose_exception_is_swallowed_still_ends_the_run() -> None:
    """A raised signal's watchdog ends the process GRACE seconds later, as the signal would have,
    when its exception was caught by code that is not resnetc's."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-c", _CAUGHT], capture_output=True, text=True, env=env, timeout=50
    )
    assert run.returncode == 128 + signal.SIGTERM, run.stderr
    assert run.stdout == "went on\n"
    assert run.stderr == "resnetc: terminated; no file was left half-written\n"
    assert time.monotonic() - start < 40  # not the minute it sleeps
