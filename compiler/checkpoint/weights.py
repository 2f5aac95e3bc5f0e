"""`--weights-out`: a checkpoint's tensors under the generated module's names.

Where a layout's names differ from the generated module's (HF transformers', timm's ResNetV2:
`checkpoint.layouts`), the same tensors are written again under resnetc's names, so that the file
loads into the compiled module with `strict=True`. Nothing is computed: each tensor is the
original, renamed (ResNetV2's 1x1-conv head is reshaped to the fc's [classes, features]).
`.safetensors` files are written with safetensors, anything else with `torch.save`, each in
full into a staging directory first, then put in place (`StagedWeights`).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from ..files import staging
from ..files.output import (
    APPEARED,
    link_new,
    make_directories,
    no_hard_links,
    remove_directories,
)
from .layouts import Renamed
from .read import WRAPPERS


def _tensors(obj: object) -> dict:
    """The state_dict in what a checkpoint holds (as `read` unwraps it) with the prefix that
    every key shares removed."""
    while isinstance(obj, Mapping) and not any(hasattr(v, "shape") for v in obj.values()):
        nested = [k for k in obj if isinstance(obj[k], Mapping) and obj[k]]
        key = next((w for w in WRAPPERS if w in nested), nested[0] if len(nested) == 1 else None)
        if key is None:
            break
        obj = obj[key]
    # `obj` is what was loaded: a mapping where `read` accepted it, yet unchecked here, so that
    # anything else still meets `dict` as before
    items = dict(obj).items()  # type: ignore[call-overload]
    state = {k: v for k, v in items if hasattr(v, "shape")}
    while True:
        first = {k.split(".", 1)[0] if "." in k else None for k in state}
        head = first.pop() if len(first) == 1 else None
        if head is None:
            return state
        cut = len(head) + 1
        state = {k[cut:]: v for k, v in state.items()}


def load_tensors(checkpoint: object) -> dict:
    """The tensors of a checkpoint path, a state_dict or a live module (the path loaded with
    `weights_only=True`, or read by safetensors)."""
    if isinstance(checkpoint, (str, os.PathLike)):
        path = os.fspath(checkpoint)
        with open(path, "rb") as f:
            head = f.read(16)
        if len(head) > 9 and head[8:9] == b"{":
            from safetensors.torch import load_file

            return _tensors(load_file(path))
        import torch

        return _tensors(torch.load(path, map_location="cpu", weights_only=True))
    if not isinstance(checkpoint, Mapping):
        state_dict = getattr(checkpoint, "state_dict", None)
        if callable(state_dict):
            checkpoint = state_dict()
    return _tensors(checkpoint)


def renamed_state_dict(state: Mapping, renamed: Renamed) -> dict:
    """`state` (the checkpoint's tensors) under the generated module's names."""
    state = _tensors(state)
    source_of = dict(renamed.sources)
    taken = set(source_of.values())
    out = {}
    for name, source in source_of.items():
        tensor = state[source]
        if name in renamed.reshaped:
            tensor = tensor.reshape(renamed.reshaped[name])
        out[name] = tensor
    for key, tensor in state.items():
        if key not in taken and key not in out:
            out[key] = tensor
    return out


class StagedWeights:
    """The renamed tensors, in full, in a staging directory of this run beside `target`
    (`files.staging`, so that a run killed meanwhile leaves nothing the next run keeps):
    `put_in_place` moves them to `target`, `undo` takes that back (the file replaced comes back)
    if what was written with them failed, `done` forgets the old file, `discard` drops the staged
    one. So a run whose spec cannot be written leaves the weights file as it was, and the new one
    has the mode the old one had (a new one `0666 & ~umask`), as every file resnetc writes
    (files.output)."""

    def __init__(self, area: staging.Staging, target: Path, count: int, created: list[Path]):
        self.area, self.target, self.count, self.created = area, target, count, created
        self.tmp = area.file(target.name)
        self.backup: Path | None = None
        self.placed = False

    def put_in_place(self, force: bool) -> None:
        """Link the file into place where nothing is, else (only with `force`) rename it over the
        regular file or link there, keeping the old one aside; `OSError` says why not."""
        try:
            info: os.stat_result | None = os.lstat(self.target)
        except FileNotFoundError:
            info = None
        if info is None:
            os.chmod(self.tmp, 0o666 & ~_umask())
            link_new(self.tmp, self.target)
        elif not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
            raise OSError("it is not a regular file; it was kept")
        elif not force:
            raise OSError(APPEARED)
        else:
            if stat.S_ISREG(info.st_mode):
                os.chmod(self.tmp, stat.S_IMODE(info.st_mode))
            self.backup = self.area.file(self.target.name + ".old")
            try:
                os.link(self.target, self.backup, follow_symlinks=False)
            except OSError as exc:
                if not no_hard_links(exc):
                    raise
                os.rename(self.target, self.backup)  # no hard links: moved aside instead
            os.replace(self.tmp, self.target)
        self.placed = True

    def undo(self) -> None:
        """Put back what was at the target before `put_in_place` (nothing, or the old file)."""
        with contextlib.suppress(OSError):
            if self.backup is not None:
                os.replace(self.backup, self.target)
            elif self.placed:
                os.unlink(self.target)
        self.discard()

    def done(self) -> None:
        """The run succeeded: the old file, kept aside, goes with the staging directory."""
        self.discard()

    def discard(self) -> None:
        """Remove the staging directory with what is left in it (the staged file, the old file
        kept aside) and the directories made for it."""
        self.area.close()
        remove_directories(self.created)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def stage_weights(checkpoint: object, renamed: Renamed, path: str | os.PathLike) -> StagedWeights:
    """Write the checkpoint's tensors under the generated module's names, in full, into a staging
    directory beside `path` (never a half-written file at `path`), after removing what killed
    runs left there; the staged file."""
    tensors = renamed_state_dict(load_tensors(checkpoint), renamed)
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    target = Path(path)
    created = make_directories(target.parent)
    try:
        staging.sweep(target.parent, [target.name])
        area = staging.Staging(target.parent)
    except BaseException:
        remove_directories(created)
        raise
    staged = StagedWeights(area, target, len(tensors), created)
    try:
        if target.name.endswith(".safetensors"):
            from safetensors.torch import save_file

            save_file(tensors, str(staged.tmp))
        else:
            import torch

            torch.save(tensors, staged.tmp)
    except BaseException:
        staged.discard()
        raise
    return staged
