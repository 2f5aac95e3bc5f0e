"""Writing specs: the one place that lays out spec YAML, for every command that writes one.

`SpecWriter` puts down keys and values as the shipped spec/ files are laid out (two-space
indents, cells in double quotes, a comment above the line it explains, folded within 99
columns). `network_spec` writes the spec of an IR network (import-table's output, a what-if
variant); decompile drives the writer itself, commenting each line with what the weights showed
or what it assumed. Everything written reads back as the network it came from.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..front import notation
from ..front.source import printable
from . import ir

WIDTH = 99
"""The longest comment line written."""


class SpecWriter:
    """Spec YAML, line by line, each line with the comment that explains it."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, text: str, indent: int = 0) -> None:
        """`# text`, folded at spaces within `WIDTH` columns.

        `text` may quote what a table or a checkpoint printed: a control, bidi or line-separator
        character in it is written as its escape (`\\x07`, `\\u202e`), so a comment is always one
        line of plain text that YAML reads and a terminal shows as it is.
        """
        pad = " " * indent + "# "
        line = ""
        for word in printable(text).split():
            if line and len(pad) + len(line) + 1 + len(word) > WIDTH:
                self.lines.append(pad + line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        self.lines.append(pad + line)

    def entry(
        self, key: str, value: str | int | None = None, why: str | None = None, indent: int = 0
    ) -> None:
        """`key: value` (or `key:` opening a section), after the comment `why` if given."""
        if why:
            self.comment(why, indent)
        text = f"{key}:" if value is None else f"{key}: {value}"
        self.lines.append(" " * indent + text)

    def cell(
        self, key: str, cells: str | Sequence[str], indent: int = 2, why: str | None = None
    ) -> None:
        """A table cell, double-quoted as the spec format needs (`conv2_x: "[[...]] x 3"`); a
        stage of several cells (a pruned one) as a list of them, one per line."""
        texts = [cells] if isinstance(cells, str) else list(cells)
        if len(texts) == 1:
            self.entry(key, f'"{texts[0]}"', why, indent)
            return
        self.entry(key, None, why, indent)
        for text in texts:
            self.lines.append(" " * (indent + 2) + f'- "{text}"')

    def text(self) -> str:
        """The spec, ending in a newline."""
        return "\n".join(self.lines) + "\n"


def _default_stride(index: int) -> int:
    return 1 if index == 0 else 2


def network_spec(net: ir.Network, header: str | None = None, stated: tuple[str, ...] = ()) -> str:
    """The spec that builds `net`: its table, its expected sizes and every option it changes
    (and the options named in `stated`, even at their defaults)."""
    w = SpecWriter()
    if header:
        w.comment(header)
    w.entry("name", net.name)
    w.entry("input", notation.input_text(net.input.h, net.input.w, net.input.c))
    w.entry("classes", net.classes)
    w.entry("stem")
    w.entry("conv1", net.stem.conv_text, indent=2)
    if net.stem.pooled:
        w.entry("pool", net.stem.pool_text, indent=2)
    w.entry("stages")
    for i, stage in enumerate(net.stages):
        if stage.stride == _default_stride(i) and stage.stride_span is None:
            w.cell(stage.name, stage.cell_texts)
            continue
        w.entry(stage.name, indent=2)
        w.cell("cell", stage.cell_texts, indent=4)
        w.entry("stride", stage.stride, indent=4)
    if net.expect or net.expect_downsample is not None:
        w.entry("expect")
        for e in net.expect:
            w.entry(e.key, notation.size_text(e.h, e.w), indent=2)
        if net.expect_downsample is not None:
            w.entry("downsample", net.expect_downsample, indent=2)
    options = _options(net.options, stated)
    if options:
        w.entry("options")
        for key, value in options:
            w.entry(key, value, indent=2)
    return w.text()


def _option(key: str, value: object) -> tuple[str, str]:
    """One option as the spec writes it: `shortcut_kernel: 3x3`, `norm: GN, G=32`, `preact:
    true`."""
    if key == "shortcut_kernel":
        return key, notation.kernel_text(int(str(value)))
    if key == "norm_groups":
        return "norm", notation.norm_text(value if isinstance(value, int) else None)
    return key, str(value).lower() if isinstance(value, bool) else str(value)


def _options(options: ir.Options, stated: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The options that differ from their defaults or are `stated`, as the spec writes them."""
    defaults = ir.Options()
    out = []
    keys: tuple[str, ...] = ("downsample_at", "shortcut", "shortcut_kernel", "norm_groups")
    keys += ("zero_init_residual", "preact", "anti_alias", "drop_path")
    for key in keys:
        value = getattr(options, key)
        if value != getattr(defaults, key) or key in stated:
            out.append(_option(key, value))
    if options.allow or "allow" in stated:
        out.append(("allow", f"[{', '.join(options.allow)}]"))
    return out
