"""`resnetc decompile --weights-out FILE`: refused before any work where it cannot be written,
written atomically (never half a file), and never leaving a spec without its weights.

The checkpoint is timm's ResNetV2-18, whose key names differ from the generated module's, so
that the weights must be written under new names.
"""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from resnetc.cli import main  # noqa: E402
from tests.zoo import timm  # noqa: E402


@pytest.fixture(scope="module")
def v2_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """timm's ResNetV2-18 with 10 classes: a layout whose names differ from resnetc's (timm is
    imported by the other zoo tests of the default run already, HF's transformers is not)."""
    torch.manual_seed(0)
    model = timm().create_model("resnetv2_18", pretrained=False, num_classes=10)
    path = tmp_path_factory.mktemp("v2") / "v2.pth"
    torch.save(model.state_dict(), path)
    return path


def _decompile(checkpoint: Path, spec: Path, weights: Path | str, *more: str) -> int:
    return main(
        ["decompile", str(checkpoint), "-o", str(spec), "--weights-out", str(weights), *more]
    )


def _files(where: Path) -> list[str]:
    return sorted(p.name for p in where.iterdir())


def test_the_weights_load_strictly_and_no_temporary_file_is_left(
    v2_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    from tests.zoo_roundtrip import compiled

    spec, weights = tmp_path / "net.yaml", tmp_path / "out" / "net.pth"
    assert _decompile(v2_checkpoint, spec, weights) == 0
    assert "under the generated module's names" in capsys.readouterr().out
    assert _files(tmp_path / "out") == ["net.pth"]
    model = compiled(spec.read_text())()
    model.load_state_dict(torch.load(weights, weights_only=True), strict=True)


def test_an_existing_file_is_refused_before_any_work_and_replaced_only_with_force(
    v2_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    spec, weights = tmp_path / "net.yaml", tmp_path / "net.pth"
    weights.write_bytes(b"someone's weights")
    assert _decompile(v2_checkpoint, spec, weights) == 1
    err = capsys.readouterr().err
    assert f"{weights}: error: this file exists; refusing to replace it" in err
    assert "pass --force to replace it" in err and "resnetc: nothing written" in err
    assert weights.read_bytes() == b"someone's weights" and not spec.exists()
    assert _decompile(v2_checkpoint, spec, weights, "--force") == 0
    capsys.readouterr()
    assert set(torch.load(weights, weights_only=True)) and spec.exists()
    assert _files(tmp_path) == ["net.pth", "net.yaml"]


@pytest.mark.parametrize("which", ["directory", "the spec"])
def test_a_directory_or_the_spec_file_is_a_usage_error(
    which: str, v2_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    spec = tmp_path / "net.yaml"
    weights = tmp_path if which == "directory" else spec
    assert _decompile(v2_checkpoint, spec, weights) == 2
    err = capsys.readouterr().err
    assert "resnetc: error: --weights-out" in err and "Traceback" not in err
    assert ("is a directory" if which == "directory" else "is the -o file") in err
    assert not spec.exists()


def test_a_weights_file_that_cannot_be_written_leaves_no_spec(
    v2_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    (tmp_path / "file").write_text("not a directory")
    spec, weights = tmp_path / "net.yaml", tmp_path / "file" / "net.pth"
    assert _decompile(v2_checkpoint, spec, weights) == 1
    err = capsys.readouterr().err
    assert f"resnetc: error: cannot write {weights}:" in err, err
    assert "resnetc: nothing written" in err and "Traceback" not in err
    assert _files(tmp_path) == ["file"]


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_even_force_replaces_only_a_regular_file(
    kind: str, v2_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    import os
    import stat

    spec, weights = tmp_path / "net.yaml", tmp_path / "net.pth"
    if kind == "fifo":
        os.mkfifo(weights)
    else:
        try:
            os.mknod(weights, 0o644 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
        except PermissionError:
            pytest.skip("making a device needs root")
    assert _decompile(v2_checkpoint, spec, weights, "--force") == 1
    err = capsys.readouterr().err
    assert f"{weights}: error: this file is not a regular file; refusing to replace it" in err
    assert not stat.S_ISREG(os.lstat(weights).st_mode) and not spec.exists()


def test_a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_umasks(
    v2_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    import os

    old, new = tmp_path / "old.pth", tmp_path / "new.pth"
    old.write_bytes(b"mine")
    old.chmod(0o640)
    assert _decompile(v2_checkpoint, tmp_path / "a.yaml", old, "--force") == 0
    assert _decompile(v2_checkpoint, tmp_path / "b.yaml", new) == 0
    capsys.readouterr()
    mask = os.umask(0o022)
    os.umask(mask)
    assert old.stat().st_mode & 0o777 == 0o640
    assert new.stat().st_mode & 0o777 == 0o666 & ~mask
    assert _files(tmp_path) == ["a.yaml", "b.yaml", "new.pth", "old.pth"]


def test_a_spec_that_cannot_be_written_leaves_the_weights_file_as_it_was(
    v2_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    """Written first, the weights are taken back when the spec fails: a replaced file comes back
    (it once stayed replaced while the run said "nothing written"), a new one goes."""
    (tmp_path / "file").write_text("not a directory")
    spec = tmp_path / "file" / "net.yaml"
    old, new = tmp_path / "old.pth", tmp_path / "new.pth"
    old.write_bytes(b"mine")
    assert _decompile(v2_checkpoint, spec, old, "--force") == 1
    assert _decompile(v2_checkpoint, spec, new) == 1
    err = capsys.readouterr().err
    assert err.count("resnetc: nothing written") == 2 and "Traceback" not in err
    assert old.read_bytes() == b"mine"
    assert _files(tmp_path) == ["file", "old.pth"]


def test_what_a_killed_weights_write_left_is_removed_by_the_next_run(
    v2_checkpoint: Path, tmp_path: Path, capsys
) -> None:
    """The weights are staged as compile's modules are (`files.staging`): a run killed while
    writing them (hundreds of MB for a large net) leaves a staging directory, which the next
    run writing there removes, and `.net.pth.XXXXXXXX.tmp` files of the time before, too."""
    import subprocess
    import sys

    from resnetc.files import staging

    out = tmp_path / "out"
    out.mkdir()
    killed = (
        "import os, sys; from pathlib import Path; from resnetc.files import staging;"
        " area = staging.Staging(Path(sys.argv[1]));"
        " area.file('net.pth').write_bytes(b'half a checkpoint'); os._exit(9)"
    )
    subprocess.run([sys.executable, "-c", killed, str(out)], check=False, timeout=60)
    (out / ".net.pth.abcd1234.tmp").write_bytes(b"older litter")
    assert len(staging.leftovers(out, ["net.pth"])) == 2
    assert _decompile(v2_checkpoint, tmp_path / "net.yaml", out / "net.pth") == 0
    capsys.readouterr()
    assert _files(out) == ["net.pth"]


@pytest.mark.parametrize("force", [False, True], ids=["new", "replaced"])
def test_a_file_system_without_hard_links_gets_the_weights_too(
    v2_checkpoint: Path, tmp_path: Path, capsys, monkeypatch, force: bool
) -> None:
    """On FAT and some network mounts `os.link` fails (EPERM): the file is checked, then renamed
    into place, and a replaced one moved aside instead of linked."""
    import errno
    import os

    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    spec, weights = tmp_path / "net.yaml", tmp_path / "net.pth"
    if force:
        weights.write_bytes(b"mine")
    monkeypatch.setattr(os, "link", no_links)
    more = ("--force",) if force else ()
    assert _decompile(v2_checkpoint, spec, weights, *more) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert _files(tmp_path) == ["net.pth", "net.yaml"]
    from tests.zoo_roundtrip import compiled

    model = compiled(spec.read_text())()
    model.load_state_dict(torch.load(weights, weights_only=True), strict=True)
