"""`--weights-out`: a checkpoint's tensors under the generated module's names.

Where a layout's names differ from the generated module's (HF transformers', timm's ResNetV2:
`checkpoint.layouts`), the same tensors are written again under resnetc's names, so that the file
loads into the compiled module with `strict=True`. Nothing is computed: each tensor is the
original, renamed (ResNetV2's 1x1-conv head is reshaped to the fc's [classes, features]).
`.safetensors` files are written with safetensors, anything else with `torch.save`, each
atomically.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

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


def write_weights(checkpoint: object, renamed: Renamed, path: str | os.PathLike) -> int:
    """Write the checkpoint's tensors under the generated module's names to `path`, atomically
    (a temporary file beside it, then renamed over it: never a half-written file); return how
    many were written."""
    tensors = renamed_state_dict(load_tensors(checkpoint), renamed)
    tensors = {k: v.contiguous() for k, v in tensors.items()}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if target.name.endswith(".safetensors"):
            from safetensors.torch import save_file

            save_file(tensors, tmp)
        else:
            import torch

            torch.save(tensors, tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return len(tensors)
