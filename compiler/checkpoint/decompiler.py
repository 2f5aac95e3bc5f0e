"""Decompile: from a checkpoint back to its table, as a spec that compiles to code that loads it.

`decompile(x)` reads the names and shapes of a checkpoint (`read`), recognises the network they
describe (`recognize`), writes it as a spec in the paper's notation with every assumption
commented (`write`), and runs that text through resnetc's own analysis. The analysed network's
state_dict layout is then compared with the checkpoint's, key by key and shape by shape, so a
returned spec is known to compile into a module that loads the checkpoint with `strict=True`.
(The wing is called `checkpoint`, not `decompile`, so that importing it never hides the function
`resnetc.decompile`.)
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeGuard

from ..core import costs, ir
from ..front import limits
from ..front.columns import render_table
from ..front.diagnostics import CompileError, Diagnostic, note
from ..front.names import bad_identifier
from ..front.notation import BY
from ..front.source import Source, printable
from ..pipeline import Analysis, analyze
from .foreign import Mismatch, dims, leftover_groups
from .layouts import Renamed, module_renamer, translate
from .live import observe
from .read import Checkpoint, read
from .recognize import Found, Leftover, input_channels, recognise
from .write import Choices, article, convention, default_name, spec_text


@dataclass(frozen=True)
class Decompiled:
    """A checkpoint read back into a spec: its text, its analysis, and what the weights showed."""

    spec: str
    analysis: Analysis
    found: Found
    checkpoint: Checkpoint
    assumptions: tuple[tuple[str, str], ...]
    renamed: Renamed | None = None
    """How the checkpoint's names map to the generated module's (HF's, timm's ResNetV2)."""

    @property
    def network(self) -> ir.Network:
        """The shape-annotated IR of the written spec."""
        return self.analysis.network

    def summary(self) -> list[str]:
        """What was read, what was recognised and what was assumed, for people."""
        found, net = self.found, self.network
        params, _ = costs.totals(net)
        lines = [
            f"read {self.checkpoint.name}: "
            + "; ".join(self.checkpoint.origin or ("a state_dict",))
        ]
        lines.append(
            f"recognised {article(found.depth)} {found.depth}-layer {found.kind} in its"
            f" {found.keys} tensors,"
            f" {params:,} parameters:"
        )
        lines += ["  " + line for line in render_table(("", "", ""), _table(net), set())[1:]]
        k, groups = net.options.shortcut_kernel, net.options.norm_groups
        wide = f", {k}x{k} projections where a block strides" if k != 1 else ""
        lines.append(f"  shortcut option {net.options.shortcut}{wide}")
        if groups is not None:
            lines.append(f"  every norm a GroupNorm of {groups} groups")
        if self.assumptions:
            lines.append(
                f"assumed (the {convention(found).name} convention), and how to change it:"
            )
            lines += ["  " + line for line in render_table(("", ""), self.assumptions, set())[1:]]
        return lines


def decompile(
    checkpoint: object,
    *,
    name: str | None = None,
    input: str | tuple[int, ...] | None = None,
    downsample_at: str | None = None,
    pool: bool | None = None,
    stem_stride: int | None = None,
    classes: int | None = None,
    anti_alias: str | None = None,
    drop_path: float | None = None,
    norm_groups: int | None = None,
    strides: tuple[int, ...] | None = None,
    avg_down: bool | None = None,
    filename: str = "<decompiled>",
) -> Decompiled:
    """Read a ResNet checkpoint (a path, a state_dict or an nn.Module) back into a spec.

    `name`, `input` ("HxW" or "HxWxC"), `downsample_at` ("3x3"/"1x1"), `pool`, `stem_stride`,
    `strides` (each stage's) override what the convention would assume; `classes` gives a
    headless backbone its fc; `anti_alias` ("blur"/"avg"), `drop_path` (a rate) and
    `norm_groups` (a GroupNorm checkpoint's groups, 32 by default) add what weights cannot show;
    `avg_down` says a timm ResNetV2's projections average-pool first. A live module is inspected
    for all of these (an option given still wins). `filename` names the spec in diagnostics.
    Raises `CompileError` if the checkpoint is refused, `ValueError` for a bad option.
    """
    size = parse_input(input) if isinstance(input, str) else input
    options: dict[str, Any] = {  # each option's own type; `_observed` fills the ones left out
        "downsample_at": downsample_at,
        "pool": pool,
        "stem_stride": stem_stride,
        "anti_alias": anti_alias,
        "drop_path": drop_path,
        "strides": strides,
        "norm_groups": norm_groups,
    }
    _check_zoo_options(anti_alias, drop_path, strides, norm_groups)
    ckpt = read(checkpoint)
    seen: tuple[str, ...] = ()
    layout = translate(ckpt).layout
    if avg_down is None and _is_module(checkpoint) and layout == "timm-resnetv2":
        avg_down = any(type(m).__name__ == "DownsampleAvg" for m in checkpoint.modules())
    renamed = translate(ckpt, avg_down=bool(avg_down))
    if _is_module(checkpoint):
        seen = _observed(checkpoint, renamed, options, ckpt)
    choices = _choices(
        name, size, options["downsample_at"], options["pool"], options["stem_stride"], classes
    )
    choices = replace(
        choices,
        anti_alias=options["anti_alias"],
        drop_path=options["drop_path"],
        strides=options["strides"],
        norm_groups=options["norm_groups"],
        seen=seen,
    )
    found = _recognise(renamed.ckpt)
    _check_choices(renamed.ckpt, found, choices, size)
    name = choices.name or _aa_name(_zoo_name(found, renamed), choices.anti_alias)
    try:
        text, assumed = spec_text(found, name, _label(checkpoint, ckpt), choices)
    except Mismatch as exc:  # the shortcuts fit none of the options A, B, C, D
        notes = [note("recognised: " + describe(found), None)]
        raise _refuse(ckpt, exc.message, exc.help, notes) from None
    analysis = _analyze(text, filename, ckpt)
    check_layout(analysis.network, renamed.ckpt, found)
    return Decompiled(text, analysis, found, renamed.ckpt, tuple(assumed), renamed)


def _zoo_name(found: Found, renamed: Renamed) -> str:
    """The table's name, in timm's spelling for its ResNetV2 (`resnetv2_50d`)."""
    if renamed.layout != "timm-resnetv2":
        return default_name(found)
    avg = any(s.avg_down for s in found.stages)
    tiered = len({r.filters for r in found.deep}) > 1
    suffix = ("t" if tiered else "d") if found.deep and avg else ""
    return f"resnetv2_{found.depth}{suffix}"


def _aa_name(name: str, anti_alias: str | None) -> str:
    """timm's names for anti-aliased nets: `resnetblur50`, `resnetaa50d`, `seresnetaa50d`."""
    if anti_alias not in ("blur", "avg"):
        return name
    word = "blur" if anti_alias == "blur" else "aa"
    return re.sub(r"^((?:se|eca)?resne[xt]t?)", lambda m: m.group(1) + word, name, count=1)


class _Module(Protocol):
    """What `_is_module` takes for a live module (an nn.Module)."""

    def named_modules(self) -> Iterable[tuple[str, object]]: ...

    def modules(self) -> Iterable[object]: ...


def _is_module(checkpoint: object) -> TypeGuard[_Module]:
    return not isinstance(checkpoint, (str, os.PathLike, Mapping)) and hasattr(
        checkpoint, "named_modules"
    )


def _observed(module, renamed: Renamed, options: dict, ckpt: Checkpoint) -> tuple[str, ...]:
    """Fill the options the caller left out from what the live module shows."""
    avg = any(k.endswith(".downsample.1") for k in renamed.sources.values())
    seen = observe(module, module_renamer(module, renamed.layout, avg_down=avg))
    if seen.mixed_groups is not None:
        raise _refuse(
            ckpt,
            f"{seen.mixed_groups} is a GroupNorm of other groups than the network's first:"
            " resnetc's `norm: GN, G=...` has one group count for every norm",
            None,
        )
    if seen.dilated is not None:
        raise _refuse(
            ckpt,
            f"{seen.dilated} is a dilated convolution (timm's output_stride 8 or 16): resnetc's"
            " convolutions are not dilated, so no spec computes what this module does",
            "build the model with output_stride=32 (the default) to decompile it",
        )
    taken = []
    keys = ("anti_alias", "drop_path", "strides", "stem_stride", "pool", "downsample_at")
    for key in (*keys, "norm_groups"):
        value = getattr(seen, key)
        if options[key] is None and value is not None:
            options[key] = value
            taken.append(key)
    return tuple(taken)


def _check_zoo_options(anti_alias, drop_path, strides, norm_groups=None) -> None:
    if norm_groups is not None and not 1 <= norm_groups <= limits.MAX_WIDTH:
        raise ValueError(f"norm_groups should be from 1 to {limits.MAX_WIDTH:,}, not {norm_groups}")
    if anti_alias not in (None, "none", "blur", "avg"):
        raise ValueError(f"anti_alias is blur, avg or none, not {anti_alias!r}")
    if drop_path is not None and not 0.0 <= drop_path < 1.0:
        raise ValueError(f"drop_path is a rate from 0 up to 1, not {drop_path}")
    if strides is not None and not all(1 <= s <= limits.MAX_STRIDE for s in strides):
        raise ValueError(f"strides should be from 1 to {limits.MAX_STRIDE}, not {strides}")


# ---------------------------------------------------------------- options


def parse_input(text: str) -> tuple[int, ...]:
    """`32x32` or `32x32x1` as (h, w) or (h, w, c); `ValueError` if it is not that."""
    number, by = r"([0-9]{1,9})", rf"\s*{BY}\s*"
    m = re.fullmatch(rf"\s*{number}{by}{number}\s*(?:{by}{number}\s*)?", text)
    if m is None:
        raise ValueError(f"cannot read the input size {text!r}; write it like 32x32 or 32x32x3")
    return tuple(int(g) for g in m.groups() if g is not None)


def check_name(name: str) -> str:
    """`name` if it can name a network; `ValueError` saying why not otherwise."""
    why = bad_identifier(name)
    if why:
        raise ValueError(f"network name {name!r} {why}")
    return name


def _choices(name, size, downsample_at, pool, stem_stride, classes) -> Choices:
    if name is not None:
        check_name(name)
    if size is not None and (
        len(size) not in (2, 3) or not all(1 <= v <= limits.MAX_INPUT_SIZE for v in size)
    ):
        raise ValueError(
            f"input {size} should be (h, w) or (h, w, c), each from 1 to {limits.MAX_INPUT_SIZE}"
        )
    if downsample_at not in (None, "3x3", "1x1"):
        raise ValueError(f"downsample_at is 3x3 or 1x1, not {downsample_at!r}")
    for what, value, top in (
        ("stem_stride", stem_stride, limits.MAX_STRIDE),
        ("classes", classes, limits.MAX_WIDTH),
    ):
        if value is not None and not 1 <= value <= top:
            raise ValueError(f"{what} should be from 1 to {top:,}, not {value}")
    hw = (size[0], size[1]) if size is not None else None
    return Choices(name, hw, downsample_at, pool, stem_stride, classes)


def _check_choices(ckpt: Checkpoint, found: Found, choices: Choices, size) -> None:
    if size is not None and len(size) == 3 and size[2] != found.in_channels:
        raise _refuse(
            ckpt,
            f"--input asks for {size[2]} input channels, but conv1.weight"
            f" {dims(ckpt.shapes['conv1.weight'])} takes {found.in_channels}",
            "leave the channels out (--input HxW); the weights fix them",
        )
    if found.classes is None and choices.classes is None:
        raise _refuse(
            ckpt,
            "fc.weight is missing: the checkpoint has no classifier (a backbone saved without its"
            " head), and resnetc's networks end in one",
            "pass --classes N (in Python, classes=N) to write a spec with an N-way fc; the"
            " checkpoint then loads with strict=False, missing only fc.weight and fc.bias",
        )
    if (
        choices.norm_groups is not None
        and not found.group_norm
        and "norm_groups" not in choices.seen
    ):
        raise _refuse(
            ckpt,
            f"--norm-groups {choices.norm_groups}, but the checkpoint's norms have running"
            " statistics: they are BatchNorms, which have no groups",
            "leave --norm-groups out: it is for GroupNorm checkpoints (timm's resnet50_gn)",
        )
    if found.classes is not None and choices.classes not in (None, found.classes):
        raise _refuse(
            ckpt,
            f"--classes {choices.classes}, but fc.weight {dims(ckpt.shapes['fc.weight'])} has"
            f" {found.classes} classes",
            "leave --classes out: the weights fix the classes",
        )


# ---------------------------------------------------------------- recognition and refusals


def _recognise(ckpt: Checkpoint) -> Found:
    try:
        found = recognise(ckpt.shapes)
    except Mismatch as exc:
        notes = [note("recognised before it: " + "; ".join(exc.recognised), None)]
        raise _refuse(ckpt, exc.message, exc.help, notes if exc.recognised else []) from None
    except Leftover as exc:
        raise _leftover(ckpt, exc.found, exc.keys) from None
    if ckpt.others:
        raise _leftover(ckpt, found, [])
    return found


def _refuse(ckpt: Checkpoint, message: str, help: str | None, notes=()) -> CompileError:
    stripped = [o for o in ckpt.origin if "stripped" in o]
    extra = [note(f"keys are named here with {o}", None) for o in stripped]
    return CompileError(
        [Diagnostic("error", message, None, help, (*notes, *extra))], Source(ckpt.name, "")
    )


def _leftover(ckpt: Checkpoint, found: Found, keys: list[str]) -> CompileError:
    groups = leftover_groups(keys, ckpt.shapes)
    groups += [f"{k}: {kind}, not a tensor" for k, kind in ckpt.others.items()]
    total = len(ckpt.shapes) + len(ckpt.others)
    unknown = len(keys) + len(ckpt.others)
    se = any("squeeze-and-excitation" in g for g in groups)
    help = (
        "resnetc's blocks have no squeeze-and-excitation, so no spec can describe this network"
        if se
        else "resnetc writes a spec only when every key fits it. If these entries are no part of"
        " the forward pass (an auxiliary head, a loss's parameters), remove them and decompile"
        " again; the rest then loads with strict=True"
    )
    notes = [note(f"not recognised: {g}", None) for g in groups[:8]]
    if len(groups) > 8:
        notes.append(note(f"... and {len(groups) - 8} more groups of keys", None))
    notes.append(note("recognised: " + describe(found), None))
    message = f"{unknown} of {total} entries are not part of the {found.kind} the others describe"
    return _refuse(ckpt, message, help, notes)


def describe(found: Found) -> str:
    """The whole recognised table on one line."""
    stem = (
        "; ".join(
            f"{r.kernel}x{r.kernel}, {r.filters}"
            for r in (
                *found.deep,
                type(found.deep[0])(kernel=found.stem_kernel, filters=found.stem_filters),
            )
        )
        if found.deep
        else f"{found.stem_kernel}x{found.stem_kernel}, {found.stem_filters}"
    )
    parts = [
        f"{article(found.depth)} {found.depth}-layer {found.kind}",
        f"conv1 {stem} from {input_channels(found.in_channels)}",
        *(f"{s.attr} {s.cell_text}" for s in found.stages),
    ]
    last = found.stages[-1].out_channels
    parts.append(f"fc {last} -> {found.classes}" if found.classes else "no fc")
    return "; ".join(parts)


def _label(checkpoint: object, ckpt: Checkpoint) -> str:
    if isinstance(checkpoint, (str, os.PathLike)):
        return printable(os.path.basename(os.fspath(checkpoint)))
    if isinstance(checkpoint, Mapping):
        return "a state_dict"
    return f"a live {printable(type(checkpoint).__name__)} module"


# ---------------------------------------------------------------- checking the result


def _analyze(text: str, filename: str, ckpt: Checkpoint) -> Analysis:
    """resnetc's own analysis of the written text: an unsound spec is never returned."""
    try:
        return analyze(text, filename)
    except CompileError as exc:
        why = note(
            f"this spec, decompiled from {ckpt.name}, is refused by resnetc's own analysis;"
            " nothing was written",
            None,
        )
        raise CompileError([*exc.diagnostics, why], exc.source) from None


def state_dict_layout(net: ir.Network) -> dict[str, tuple[int, ...]]:
    """Every state_dict key of the compiled module with its shape, read off the IR."""
    out: dict[str, tuple[int, ...]] = {}
    for layer in costs.stem_layers(net):
        _add(out, "", layer)
    for stage in net.stages:
        for block in stage.blocks:
            for i in range(block.index, block.index + block.count):
                for layer in (*block.layers, *block.shortcut.layers):
                    _add(out, f"{stage.attr}.{i}.", layer)
    for layer in costs.head_layers(net):
        _add(out, "", layer)
    return out


def _add(out: dict, prefix: str, layer) -> None:
    name = prefix + layer.name
    if isinstance(layer, ir.Conv):
        k = layer.kernel
        out[f"{name}.weight"] = (layer.out_channels, layer.in_channels // layer.groups, k, k)
    elif isinstance(layer, ir.Norm):  # a GroupNorm has no running statistics
        stats = ("running_mean", "running_var") if layer.groups is None else ()
        for part in ("weight", "bias", *stats):
            out[f"{name}.{part}"] = (layer.channels,)
        if layer.groups is None:
            out[f"{name}.num_batches_tracked"] = ()
    elif isinstance(layer, ir.Linear):
        out[f"{name}.weight"] = (layer.out_features, layer.in_features)
        out[f"{name}.bias"] = (layer.out_features,)
    elif isinstance(layer, ir.SqueezeExcite):
        c, w = layer.channels, layer.width
        out.update({f"{name}.fc1.weight": (w, c, 1, 1), f"{name}.fc1.bias": (w,)})
        out.update({f"{name}.fc2.weight": (c, w, 1, 1), f"{name}.fc2.bias": (c,)})
    elif isinstance(layer, ir.ChannelAttention):
        out[f"{name}.conv.weight"] = (1, 1, layer.kernel)


def check_layout(net: ir.Network, ckpt: Checkpoint, found: Found) -> None:
    """Check that the compiled module's state_dict has the checkpoint's keys and shapes."""
    expected = state_dict_layout(net)
    optional = {k for k in expected if k.endswith(".num_batches_tracked")}
    if found.classes is None:
        optional |= {"fc.weight", "fc.bias"}
    have = ckpt.shapes
    wrong = [k for k in expected if k not in optional and have.get(k) != expected[k]]
    wrong += [k for k in have if k not in expected]
    if wrong:
        key = wrong[0]
        raise AssertionError(
            f"the decompiled spec's state_dict differs from {ckpt.name} at {key}:"
            f" {expected.get(key)} in the spec, {have.get(key)} in the checkpoint"
        )


def _table(net: ir.Network) -> list[tuple[str, str, str]]:
    stem = "; ".join(f"{c.kernel}x{c.kernel}, {c.out_channels}" for c in net.stem.convs)
    rows = [("conv1", stem, f"from {input_channels(net.stem.input_channels)}")]
    for stage in net.stages:  # a pruned stage's cells one per row, the stage named on the first
        for j, cell in enumerate(stage.cells):
            block = stage.cell_runs(j)[0]
            kind = net.kind(block.kind)
            what = {
                "basic": "basic blocks",
                "bottleneck": f"bottlenecks, expansion {kind.expansion}",
            }
            text = what.get(kind.pattern, f"blocks of {len(kind.kernels)} convolutions")
            rows.append((stage.name if j == 0 else "", cell.text, text))
    rows.append(
        ("head", f"average pool, {net.classes}-d fc", f"{net.head.fc.in_features} -> {net.classes}")
    )
    return rows
