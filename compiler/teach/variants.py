"""What-if variants of a spec: its own table with another stride placement, shortcut or input.

The explain page lets a reader ask the questions students ask of Table 1: what changes if the
stride sits on the 1x1 (the paper's ResNet v1) rather than the 3x3 (torchvision's v1.5), what
option A saves against B and C, what a 32x32 input does to a network built for 224x224. Every
answer is computed here, by the compiler, when the page is written: each variant is written as
spec text (`core.spec_writer.network_spec`: the table unchanged, only the options or the input
changed, the two toggled options stated even at their defaults) and analysed by the one chain
(`pipeline.analyze`), so its sizes, costs, warnings and code are exactly what `resnetc check`
and `resnetc compile` give for that spec, and a variant the compiler refuses has the
diagnostics `resnetc check` would print.

The variants are every combination of three toggles:

- the stride placement, `downsample_at`: `1x1` (v1) or `3x3` (v1.5);
- the shortcut option: A, B or C (and D, ResNet-D's average-pool shortcut, where the spec's own
  is D);
- the input size: the spec's own, then the presets of its family: 224x224 and 32x32 for an
  ImageNet table (a 7x7 stem), 32x32 and 64x64 for any other (the CIFAR tables' 3x3 stem).

A variant with another input keeps `expect: downsample` (a ratio, true at any input) and leaves
out the expected sizes, which are the spec's own input's. A variant that builds the very network
of an earlier one (the stride placement of a table without bottlenecks changes nothing) says so
(`same_as`), and the page says it too.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import NamedTuple

from ..core import costs, ir
from ..core.spec_writer import network_spec
from ..front import limits
from ..front.diagnostics import CompileError
from ..pipeline import Analysis, analyze, render


class Option(NamedTuple):
    """One choice of a toggle: its value, its short label and what it means."""

    value: str
    label: str
    hint: str


class Toggle(NamedTuple):
    """One control of the page: which option it sets, its legend and its choices."""

    name: str
    legend: str
    options: tuple[Option, ...]
    own: str


STRIDES = (
    Option("1x1", "v1", "the stride on the block's first 1x1, as the paper"),
    Option("3x3", "v1.5", "the stride on the 3x3, as torchvision"),
)
SHORTCUTS = (
    Option("A", "A", "zero-padding where the shape changes, no parameters"),
    Option("B", "B", "a 1x1 projection where the shape changes"),
    Option("C", "C", "a 1x1 projection in every block"),
)
AVG_DOWN = Option("D", "D", "a 2x2 average pool /2 and a 1x1 conv where the shape changes")
"""The shortcut toggle's fourth choice, offered where the spec's own option is D (ResNet-D)."""
IMAGENET_INPUTS = (224, 32)
"""The input presets of a table with a 7x7 stem (ImageNet's 224x224, and CIFAR's 32x32)."""
CIFAR_INPUTS = (32, 64)
"""The input presets of any other table (CIFAR's 32x32, and 64x64, a downsampled ImageNet)."""


STATED = ("downsample_at", "shortcut")
"""The options every variant's spec writes, defaults included, so that each says what it chose."""


class Key(NamedTuple):
    """Which variant: the stride placement, the shortcut option and the input's height, width."""

    downsample_at: str
    shortcut: str
    h: int
    w: int

    @property
    def input(self) -> str:
        """`224x224`: the input size as the toggle writes it."""
        return f"{self.h}x{self.w}"

    @property
    def text(self) -> str:
        """`3x3|B|224x224`: the key as the page's form composes it."""
        return f"{self.downsample_at}|{self.shortcut}|{self.input}"

    @property
    def version(self) -> str:
        """`v1` (the stride on the 1x1) or `v1.5` (on the 3x3)."""
        return "v1" if self.downsample_at == "1x1" else "v1.5"

    @property
    def words(self) -> str:
        """`v1 (downsample_at: 1x1), shortcut B, input 224x224`."""
        return (
            f"{self.version} (downsample_at: {self.downsample_at}), shortcut {self.shortcut},"
            f" input {self.input}"
        )


@dataclass(frozen=True)
class Variant:
    """One combination of the toggles: its spec text and what the compiler made of it.

    `analysis` is None where the compiler refused the spec; `refusal` is then the diagnostics as
    resnetc prints them. `same_as` names an earlier variant (or the spec's own) that builds the
    same network, with the same code and warnings.
    """

    key: Key
    filename: str
    spec: str
    analysis: Analysis | None
    refusal: str | None = None
    same_as: Key | None = None
    own: bool = False

    @property
    def refused(self) -> bool:
        """Whether the compiler refused this variant's spec."""
        return self.analysis is None

    @property
    def totals(self) -> tuple[int, int]:
        """(parameters, multiply-adds) of the variant's network."""
        assert self.analysis is not None, "a refused variant has no network"
        return costs.totals(self.analysis.network)


@dataclass(frozen=True)
class WhatIf:
    """Every variant of a spec, the spec's own first, and the toggles that choose among them."""

    toggles: tuple[Toggle, ...]
    variants: tuple[Variant, ...]
    limited: str | None = None
    """Why the variants other than the spec's own were not compiled (`MAX_WHATIF_LAYERS`)."""

    @property
    def own(self) -> Variant:
        """The spec's own variant (its own analysis, not a rewritten spec)."""
        return self.variants[0]

    def get(self, key: Key) -> Variant:
        """The variant of `key`."""
        return next(v for v in self.variants if v.key == key)

    def resolved(self, variant: Variant) -> Variant:
        """The variant whose network `variant` builds: itself, or the one it is the same as."""
        return self.get(variant.same_as) if variant.same_as is not None else variant


def input_presets(net: ir.Network) -> tuple[tuple[int, int], ...]:
    """The input sizes offered: the spec's own, then its family's presets, each once."""
    family = IMAGENET_INPUTS if net.stem.conv.kernel == 7 else CIFAR_INPUTS
    return tuple(dict.fromkeys([(net.input.h, net.input.w), *((s, s) for s in family)]))


def own_key(net: ir.Network) -> Key:
    """The key of the spec's own variant."""
    return Key(net.options.downsample_at, net.options.shortcut, net.input.h, net.input.w)


def toggles(net: ir.Network) -> tuple[Toggle, ...]:
    """The three toggles, each set to the spec's own choice."""
    key = own_key(net)
    inputs = tuple(
        Option(f"{h}x{w}", f"{h}x{w}", "the spec's input" if f"{h}x{w}" == key.input else "")
        for h, w in input_presets(net)
    )
    return (
        Toggle("downsample_at", "Stride placement", STRIDES, key.downsample_at),
        Toggle("shortcut", "Shortcut option", shortcuts(net), key.shortcut),
        Toggle("input", "Input size", inputs, key.input),
    )


def shortcuts(net: ir.Network) -> tuple[Option, ...]:
    """The shortcut toggle's choices, their hints in the projections' kernel of `net`
    (`shortcut_kernel: 3x3`, SENet-154's: a 3x3 conv where the projection strides)."""
    k = net.options.shortcut_kernel
    own = (AVG_DOWN,) if net.options.shortcut == "D" else ()
    if k == 1:
        return (*SHORTCUTS, *own)
    conv = f"a projection ({k}x{k} where it strides, else 1x1)"
    return (SHORTCUTS[0], Option("B", "B", f"{conv} where the shape changes"),
            Option("C", "C", f"{conv} in every block"), *own)  # fmt: skip


def keys(net: ir.Network) -> tuple[Key, ...]:
    """Every combination of the toggles, the spec's own first, then in the toggles' order."""
    own = own_key(net)
    every = [
        Key(d.value, s.value, h, w)
        for d in STRIDES
        for s in shortcuts(net)
        for h, w in input_presets(net)
    ]
    return (own, *(k for k in every if k != own))


def filename(net: ir.Network, key: Key) -> str:
    """The variant's spec file name: `resnet50-v1-B-224x224.yaml`."""
    return f"{net.name}-{key.version}-{key.shortcut}-{key.input}.yaml"


def variant_network(net: ir.Network, key: Key) -> ir.Network:
    """`net` with the options and input of `key` (the expected sizes dropped with its input)."""
    options = net.options.model_copy(
        update={"downsample_at": key.downsample_at, "shortcut": key.shortcut}
    )
    same_input = (key.h, key.w) == (net.input.h, net.input.w)
    return net.model_copy(
        update={
            "options": options,
            "input": ir.Shape(net.input.c, key.h, key.w),
            "expect": net.expect if same_input else (),
        }
    )


def _fingerprint(analysis: Analysis) -> tuple[str, tuple[str, ...]]:
    """What makes two variants the same for a reader: their code and their warnings."""
    code = render(analysis, "variant").text
    return code, tuple(d.message for d in analysis.warnings)


def what_if(analysis: Analysis) -> WhatIf:
    """Every variant of the analysed spec, each analysed by the compiler."""
    net = analysis.network
    own = own_key(net)
    out = [Variant(own, filename(net, own), network_spec(net, stated=STATED), analysis, own=True)]
    layers = sum(block.layer_count for stage in net.stages for block in stage.blocks)
    if layers > limits.MAX_WHATIF_LAYERS:
        why = (
            f"The other variants are left out: this table's distinct blocks have {layers:,}"
            f" layers, more than the {limits.MAX_WHATIF_LAYERS:,} (MAX_WHATIF_LAYERS) for which"
            " resnetc compiles every variant of a page."
        )
        return WhatIf(toggles(net), tuple(out), limited=why)
    seen: dict[tuple[str, tuple[str, ...]], Key] = {_fingerprint(analysis): own}
    for key in keys(net)[1:]:
        name = filename(net, key)
        text = network_spec(variant_network(net, key), stated=STATED)
        try:
            result = analyze(text, name)
        except CompileError as exc:
            out.append(Variant(key, name, text, None, refusal=exc.render()))
            continue
        same = seen.setdefault(_fingerprint(result), key)
        out.append(Variant(key, name, text, result, same_as=same if same != key else None))
    return WhatIf(toggles(net), tuple(out))


class Change(NamedTuple):
    """A run of lines that differ: the own text's lines [a1, a2) became the variant's [b1, b2)."""

    a1: int
    a2: int
    b1: int
    b2: int


def changes(own: list[str], other: list[str]) -> tuple[Change, ...]:
    """Where `other` differs from `own`, line by line (0-based, end exclusive)."""
    matcher = difflib.SequenceMatcher(None, own, other, autojunk=False)
    return tuple(
        Change(a1, a2, b1, b2) for tag, a1, a2, b1, b2 in matcher.get_opcodes() if tag != "equal"
    )


def changed_lines(own: list[str], other: list[str]) -> set[int]:
    """The 1-based numbers of `other`'s lines that are not in `own` at their place."""
    return {n + 1 for c in changes(own, other) for n in range(c.b1, c.b2)}
