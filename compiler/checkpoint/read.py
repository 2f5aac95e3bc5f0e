"""Reading a checkpoint's tensor names and shapes, safely: pickles, safetensors, live modules.

A `.pt`/`.pth` file is read with `torch.load(path, map_location="cpu", weights_only=True)`, so a
checkpoint can never run code; a `.safetensors` file is read from its header alone (no tensor is
loaded); a mapping or a live `nn.Module` is read as it is. Wrappers are unwrapped (`{"state_dict":
...}`, `{"model": ...}`, ...) and a prefix that every key shares (`module.` from DDP, `model.`,
`_orig_mod.` from torch.compile) is stripped. Only names and shapes leave this module.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, SupportsInt, TypeGuard

from ..files.inputs import NotAFile, open_regular
from ..front.diagnostics import CompileError, fail
from ..front.notation import digit_message, nonascii_digit
from ..front.source import Source, printable
from . import bounds

WRAPPERS = ("state_dict", "model_state_dict", "model", "module", "net", "network", "weights")
"""Keys under which training scripts commonly save a model's state_dict, in order of preference."""

_MAX_DEPTH = 4


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint's tensors as names and shapes, and how they were found."""

    name: str
    shapes: dict[str, tuple[int, ...]]
    others: dict[str, str] = field(default_factory=dict)
    origin: tuple[str, ...] = ()

    def refuse(self, exc: CompileError) -> CompileError:
        """`exc`, rendered as `NAME: error: ...` (a checkpoint has no lines to point at)."""
        return exc.with_source(Source(self.name, ""))


def refusal(name: str, message: str, help: str | None = None) -> CompileError:
    """A refusal about the checkpoint called `name`, rendered `name: error: message`."""
    return fail(message, None, help).with_source(Source(name, ""))


def read(checkpoint: object, name: str | None = None) -> Checkpoint:
    """Names and shapes from a path, a state_dict (any mapping) or a live module."""
    if isinstance(checkpoint, (str, os.PathLike)):
        return read_path(os.fspath(checkpoint), name)
    if isinstance(checkpoint, Mapping):
        return from_object(checkpoint, name or "<state_dict>", ())
    state_dict = getattr(checkpoint, "state_dict", None)
    if callable(state_dict):
        label = name or f"<{type(checkpoint).__name__} module>"
        live = f"the state_dict of a live {type(checkpoint).__name__} module"
        return from_object(state_dict(), label, (printable(live),))
    label = name or "<object>"
    raise refusal(label, f"cannot decompile {_kind(checkpoint)}: {_NOT_A_STATE_DICT}", _HELP_SAVE)


def read_path(path: str, name: str | None = None) -> Checkpoint:
    """Names and shapes from a `.pt`/`.pth`/`.safetensors` file, whichever its bytes say it is."""
    label = name or path
    head = _head(path, label)
    if not head:
        raise refusal(label, "the file is empty (0 bytes): there is no checkpoint in it")
    if _is_safetensors(head):
        _bounded(label, bounds.check_safetensors, head)
        return _read_safetensors(path, label)
    if head.startswith(b"PK\x03\x04") or head[:1] == b"\x80":
        zipped = head.startswith(b"PK")
        _bounded(label, bounds.check_zip if zipped else bounds.check_legacy, path)
        obj = _torch_load(path, label, mmap=zipped)
        return from_object(obj, label, ())
    raise refusal(
        label,
        f"this is neither a PyTorch checkpoint nor a safetensors file ({_sniff(head)})",
        "resnetc reads files written by torch.save (a zip archive or a pickle) and .safetensors",
    )


def _bounded(label: str, check, *args) -> None:
    """Run one of `bounds`' checks; over a limit is a refusal naming it."""
    try:
        check(*args)
    except bounds.TooLarge as exc:
        raise refusal(label, f"refusing to read this checkpoint: {exc}", _HELP_LIMIT) from None
    except OSError as exc:
        raise refusal(label, f"cannot read this file: {exc.strerror or exc}") from None


def _head(path: str, label: str) -> bytes:
    """The file's first bytes; only a regular file is read (a FIFO or a device never is)."""
    try:
        fd = open_regular(path)
        with os.fdopen(fd, "rb") as f:
            return f.read(16)
    except NotAFile as exc:
        raise refusal(label, f"cannot read this file: {exc}") from None
    except OSError as exc:
        raise refusal(label, f"cannot read this file: {exc.strerror or exc}") from None


def _is_safetensors(head: bytes) -> bool:
    """A little-endian u64 header length, then the JSON header's opening brace."""
    return len(head) > 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") > 1


def _sniff(head: bytes) -> str:
    if head.startswith(b"\x89HDF"):
        return "it is an HDF5 file, as Keras and TensorFlow write"
    if head.startswith(b"\x93NUMPY"):
        return "it is a NumPy .npy array"
    if head.startswith(b"\x08"):
        return "it may be an ONNX or other protobuf file"
    if all(32 <= b < 127 or b in b"\t\r\n" for b in head):
        return "it begins with text: " + repr(head.decode("ascii"))
    return "it begins with the bytes " + head[:8].hex(" ")


# ---------------------------------------------------------------- torch pickles


def _torch_load(path: str, label: str, mmap: bool) -> object:
    """`torch.load(weights_only=True)`; every failure becomes a diagnostic."""
    if importlib.util.find_spec("torch") is None:
        raise refusal(
            label,
            "reading a PyTorch checkpoint needs torch, which is not installed",
            "install it (pip install torch), or convert the checkpoint to .safetensors elsewhere",
        )
    import argparse
    import pickle

    import torch

    try:
        # timm's training checkpoints keep their arguments as an argparse.Namespace: plain data.
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as exc:
        if "weights only" in str(exc).lower() or "GLOBAL" in str(exc):
            raise _unsafe(label, str(exc)) from None
        raise _corrupt(label, exc) from None
    except Exception as exc:  # torch reports a damaged file in many ways
        raise _corrupt(label, exc) from None


def _unsafe(label: str, message: str) -> CompileError:
    m = re.search(r"GLOBAL ([\w.]+)", message)
    what = m.group(1) if m else "a Python object"
    pickled_class = m is not None and re.search(r"\.[A-Z]\w*$", what) is not None
    reason = (
        f"it pickles an object of class {what} (a whole model saved with torch.save(model)?)"
        if pickled_class
        else f"it pickles {what}, which is neither a tensor nor plain data"
    )
    return refusal(
        label,
        f"refusing to unpickle this file: {reason}; unpickling it could run arbitrary code",
        "resnetc loads checkpoints with torch.load(weights_only=True). If you trust the file,"
        " load it with weights_only=False in Python and save the model's weights alone"
        " (torch.save(model.state_dict(), 'weights.pt')), or pass the live model to"
        " resnetc.decompile(model)",
    )


def _corrupt(label: str, exc: BaseException) -> CompileError:
    text = str(exc).strip().splitlines()
    said = f"{type(exc).__name__}: {text[0].split('. ')[0]}" if text else type(exc).__name__
    if isinstance(exc, EOFError):
        said = "the data ends too early"
    return refusal(
        label,
        f"torch cannot read this checkpoint; it is truncated or corrupt ({printable(said)})",
        "check that the download or copy finished (compare its size or checksum with the source)",
    )


# ---------------------------------------------------------------- safetensors


def _read_safetensors(path: str, label: str) -> Checkpoint:
    """Names and shapes from a safetensors header; no tensor is read."""
    if importlib.util.find_spec("safetensors") is None:
        raise refusal(
            label,
            "reading a .safetensors file needs the safetensors package, which is not installed",
            "pip install 'resnetc[checkpoint]' (or pip install safetensors)",
        )
    framework = "numpy" if importlib.util.find_spec("numpy") is not None else "pt"
    from safetensors import safe_open

    try:
        with safe_open(path, framework=framework) as f:
            keys = list(f.keys())
            _bounded(label, bounds.check_entries, len(keys))
            shapes = {k: tuple(f.get_slice(k).get_shape()) for k in keys}
    except CompileError:
        raise
    except Exception as exc:  # safetensors reports a damaged header as SafetensorError
        raise _corrupt(label, exc) from None
    if not shapes:
        raise refusal(label, "this safetensors file holds no tensors")
    return _strip_prefixes(Checkpoint(label, shapes, {}, ("a safetensors file (header only)",)))


# ---------------------------------------------------------------- unwrapping


def from_object(obj: object, label: str, origin: tuple[str, ...]) -> Checkpoint:
    """The state_dict inside whatever a checkpoint file held."""
    found, origin = _unwrap(obj, label, origin, 0)
    _bounded(label, bounds.check_entries, len(found))
    shapes: dict[str, tuple[int, ...]] = {}
    others: dict[str, str] = {}
    for key, value in found.items():
        if isinstance(key, str) and _is_tensor(value):
            at = nonascii_digit(key)
            if at is not None:  # `stages.١` would read as stage 1: a key is read, so refused
                raise refusal(
                    label,
                    f"in the key {printable(repr(key))}: {digit_message(key[at], 'a key')}",
                    "the layer indices of a state_dict's keys are ASCII digits 0-9",
                )
            shapes[key] = tuple(int(d) for d in value.shape)
        else:
            others[str(key)] = _kind(value)
    if not shapes:
        raise refusal(label, f"no tensors found in {_describe(found)}", _HELP_SAVE)
    return _strip_prefixes(Checkpoint(label, shapes, others, origin))


def _unwrap(obj: object, label: str, origin: tuple[str, ...], depth: int, keys: tuple = ()):
    if not isinstance(obj, Mapping):
        raise refusal(label, f"the file holds {_kind(obj)}: {_NOT_A_STATE_DICT}", _HELP_SAVE)
    if not obj:
        raise refusal(label, "the checkpoint holds an empty dict: there are no tensors in it")
    if {"state", "param_groups"} <= set(obj):
        raise refusal(
            label,
            f"this is an optimizer's state, not a model's: {_describe(obj)}",
            "decompile the model's state_dict (model.state_dict())",
        )
    nested = [k for k in obj if isinstance(obj[k], Mapping) and obj[k]]
    key = next((w for w in WRAPPERS if w in nested), None)
    if key is None and (any(_is_tensor(v) for v in obj.values()) or depth == _MAX_DEPTH):
        return obj, origin
    if key is None and len(nested) == 1:
        key = nested[0]
    if key is None:
        raise refusal(label, f"no state_dict found in {_describe(obj)}", _wrapper_help(obj))
    also = [printable(repr(k)) for k in obj if k != key]
    where = f"the state_dict under {printable(repr(key))}"
    if also:
        where += f" (the file also holds {', '.join(also[:6])}{', ...' if len(also) > 6 else ''})"
    keys = (*keys, printable(repr(key)))
    if depth == _MAX_DEPTH or obj[key] is obj:
        held = (
            "itself"
            if obj[key] is obj
            else f"more than {_MAX_DEPTH} levels of dicts (a dict that holds itself?)"
        )
        raise refusal(
            label,
            f"no state_dict found: the dict under {' > '.join(keys)} holds {held} and no tensors",
            _HELP_SAVE,
        )
    return _unwrap(obj[key], label, (*origin, where), depth + 1, keys)


def _wrapper_help(obj: Mapping) -> str:
    return (
        f"resnetc looks for a state_dict under {', '.join(repr(w) for w in WRAPPERS)}; in Python,"
        " pass the right entry: resnetc.decompile(torch.load(path, weights_only=True)[KEY])"
    )


def _strip_prefixes(ckpt: Checkpoint) -> Checkpoint:
    """Remove the first dotted components every key shares (`module.`, `model.`, `_orig_mod.`),
    as long as every key keeps one; found in one pass over the keys, removed in one more."""
    keys = [*ckpt.shapes, *ckpt.others]
    shared = keys[0].split(".")[:-1] if keys else []
    for key in keys:
        if not shared:
            break
        parts = key.split(".", len(shared))[:-1]
        n = 0
        while n < min(len(parts), len(shared)) and parts[n] == shared[n]:
            n += 1
        shared = shared[:n]
    if not shared:
        return ckpt
    cut = len(".".join(shared)) + 1
    origin = [*ckpt.origin]
    origin += [
        f"the prefix {printable(repr(part + '.'))} stripped from every key" for part in shared
    ]
    shapes = {k[cut:]: v for k, v in ckpt.shapes.items()}
    others = {k[cut:]: v for k, v in ckpt.others.items()}
    return Checkpoint(ckpt.name, shapes, others, tuple(origin))


class _Tensor(Protocol):
    """What `_is_tensor` takes for a tensor (torch's, NumPy's, ...): a shape and a dtype."""

    @property
    def shape(self) -> Iterable[SupportsInt]: ...

    @property
    def dtype(self) -> object: ...


def _is_tensor(value: object) -> TypeGuard[_Tensor]:
    shape = getattr(value, "shape", None)
    return shape is not None and hasattr(value, "dtype") and not isinstance(value, type)


def _kind(value: object) -> str:
    if _is_tensor(value):
        dims = ", ".join(str(int(d)) for d in value.shape)
        return f"a tensor of shape [{dims}]"
    if isinstance(value, Mapping):
        return f"a dict of {len(value)} entries"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} items"
    if value is None:
        return "None"
    return f"{'an' if type(value).__name__[0] in 'aeiouAEIOU' else 'a'} {type(value).__name__}"


def _describe(obj: Mapping) -> str:
    if not obj:
        return "an empty dict"
    keys = [printable(repr(k)) for k in list(obj)[:8]]
    more = f", ... ({len(obj)} in all)" if len(obj) > 8 else ""
    return f"a dict with the keys {', '.join(keys)}{more}"


_HELP_LIMIT = (
    "the limits (docs/robustness.md) are far above any ResNet's checkpoint: ResNet-152's has"
    " 1,030 entries and a 100 KB pickle"
)
_NOT_A_STATE_DICT = "a state_dict is a mapping of names (conv1.weight, ...) to tensors"
_HELP_SAVE = "save the model's weights with torch.save(model.state_dict(), path) and decompile that"
