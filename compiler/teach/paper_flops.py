"""The ResNet paper's FLOPs row (Table 1), measured: where the stride-2 sits changes the count.

`measure(spec_dir)` analyses the five Table 1 specs with `downsample_at: 1x1` (the stride on the
first 1x1 of a bottleneck, as in the paper's original ResNet, "v1") and with the default `3x3`
(the stride on the 3x3, torchvision's "v1.5"), and once more with the shortcuts the paper's
ImageNet networks used (section 4.1: option A, zero-padding, for ResNet-18/34; option B,
projections where the shape changes, for the deeper ones). `flops_table(spec_dir)` renders the
markdown tables docs/flops.md carries; `python -m resnetc.teach.paper_flops [SPEC_DIR]` prints them.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

from ..core import costs, ir
from ..pipeline import analyze

TABLE1 = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")
"""The five networks of Table 1, by spec name."""

PAPER = {
    "resnet18": "1.8",
    "resnet34": "3.6",
    "resnet50": "3.8",
    "resnet101": "7.6",
    "resnet152": "11.3",
}
"""Table 1's FLOPs row as printed (x 10^9 multiply-adds at 224x224)."""

TORCHVISION = {
    "resnet18": "1.81",
    "resnet34": "3.66",
    "resnet50": "4.09",
    "resnet101": "7.80",
    "resnet152": "11.51",
}
"""torchvision's model pages, GFLOPS column as printed (multiply-adds, x 10^9)."""

PAPER_SHORTCUT = {
    "resnet18": "A",
    "resnet34": "A",
    "resnet50": "B",
    "resnet101": "B",
    "resnet152": "B",
}
"""The shortcut option of the paper's ImageNet networks (section 4.1, Tables 2-4)."""


@dataclass(frozen=True)
class Row:
    """One network: its parameters and exact multiply-adds for each placement of the stride."""

    name: str
    params: int
    macs_1x1: int
    macs_3x3: int
    macs_paper: int

    @property
    def paper(self) -> str:
        """The figure the paper prints."""
        return PAPER[self.name]

    @property
    def torchvision(self) -> str:
        """The figure torchvision prints."""
        return TORCHVISION[self.name]


def billions(macs: int, places: int, rounding: str = ROUND_HALF_UP) -> str:
    """`macs` in units of 10^9 to `places` decimals, exactly (half up, or ROUND_DOWN to cut)."""
    return str((Decimal(macs) / 10**9).quantize(Decimal(1).scaleb(-places), rounding=rounding))


def truncated(macs: int, places: int) -> str:
    """`macs` in units of 10^9, the digits after `places` decimals cut off."""
    return billions(macs, places, ROUND_DOWN)


def with_options(text: str, **options: str) -> str:
    """The spec `text` with an `options:` block appended (the spec must not have one)."""
    lines = "".join(f"  {key}: {value}\n" for key, value in options.items())
    return text.rstrip("\n") + "\noptions:\n" + lines


def network(path: Path, **options: str) -> ir.Network:
    """The annotated network of the spec at `path`, compiled with `options`."""
    text = path.read_text(encoding="utf-8")
    return analyze(with_options(text, **options) if options else text, str(path)).network


def measure_spec(path: Path, **options: str) -> tuple[int, int]:
    """(parameters, multiply-adds) of the spec at `path` compiled with `options`."""
    return costs.totals(network(path, **options))


def measure(spec_dir: Path) -> list[Row]:
    """The five Table 1 networks, measured from the specs in `spec_dir`."""
    rows = []
    for name in TABLE1:
        path = spec_dir / f"{name}.yaml"
        params, macs_1x1 = measure_spec(path, downsample_at="1x1")
        params_3x3, macs_3x3 = measure_spec(path, downsample_at="3x3")
        _, macs_paper = measure_spec(path, downsample_at="1x1", shortcut=PAPER_SHORTCUT[name])
        if params != params_3x3:  # pragma: no cover - the stride moves no weight
            raise AssertionError(f"{name}: the stride's placement changed the parameter count")
        rows.append(Row(name, params, macs_1x1, macs_3x3, macs_paper))
    return rows


def _title(name: str) -> str:
    return "ResNet-" + name.removeprefix("resnet")


def flops_table(spec_dir: Path) -> str:
    """The markdown tables of docs/flops.md, measured now."""
    rows = measure(spec_dir)
    out = [
        "| network | parameters | MACs, stride on the 1x1 (v1) | x10^9"
        " | MACs, stride on the 3x3 (v1.5) | x10^9 | paper prints | torchvision prints |",
        "| :-- | --: | --: | --: | --: | --: | --: | --: |",
    ]
    for r in rows:
        out.append(
            f"| {_title(r.name)} | {r.params:,} | {r.macs_1x1:,} | {billions(r.macs_1x1, 2)}"
            f" | {r.macs_3x3:,} | {billions(r.macs_3x3, 2)} | {r.paper} | {r.torchvision} |"
        )
    out += [
        "",
        "| network | the paper's network | MACs | x10^9, rounded | x10^9, cut | paper prints |",
        "| :-- | :-- | --: | --: | --: | --: |",
    ]
    for r in rows:
        config = f"downsample_at 1x1, shortcut {PAPER_SHORTCUT[r.name]}"
        out.append(
            f"| {_title(r.name)} | {config} | {r.macs_paper:,} | {billions(r.macs_paper, 1)}"
            f" | {truncated(r.macs_paper, 1)} | {r.paper} |"
        )
    return "\n".join([*out, "", *placement_table(spec_dir / "resnet50.yaml")]) + "\n"


def placement_table(path: Path) -> list[str]:
    """The layers whose operation or cost the stride's placement changes, side by side."""
    v1 = list(costs.layers(network(path, downsample_at="1x1")))
    v15 = list(costs.layers(network(path, downsample_at="3x3")))
    out = [
        "| layer | stride on the 1x1 | output | MACs | stride on the 3x3 | output | MACs |",
        "| :-- | :-- | :-- | --: | :-- | :-- | --: |",
    ]
    for a, b in zip(v1, v15, strict=True):
        if (a.op, a.macs) != (b.op, b.macs):
            side_a, side_b = (
                f"{a.op} | {a.output} | {a.macs:,}",
                f"{b.op} | {b.output} | {b.macs:,}",
            )
            out.append(f"| `{a.name}` | {side_a} | {side_b} |")
    total_a, total_b = sum(x.macs for x in v1), sum(x.macs for x in v15)
    out.append(f"| all layers | | | {total_a:,} | | | {total_b:,} |")
    return out


def main(argv: list[str]) -> int:
    """Print the tables for the specs in argv[0] (default: spec/)."""
    spec_dir = Path(argv[0]) if argv else Path("spec")
    sys.stdout.write(flops_table(spec_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
