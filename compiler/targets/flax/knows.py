"""What the Flax target writes (`targets.refusal.Knows`); `refusals` is everything else."""

from __future__ import annotations

from ..refusal import ATTENTION, AVG_DOWN, DEEP_STEM, IR_FIELDS, Knows, taught

KNOWS = Knows(
    target="flax",
    fields=taught(IR_FIELDS, ATTENTION, DEEP_STEM, AVG_DOWN),
    patterns=frozenset({"basic", "bottleneck", "generic"}),
    shortcuts=frozenset({"identity", "projection", "zeropad", "avg_down"}),
    pools=frozenset({"max", "avg"}),
)
"""What the Flax target writes: every construct of the IR it was written against, and
of timm's tweaks channel attention (squeeze-and-excitation, ECA), the deep and tiered stems and
ResNet-D's average-pool shortcut."""
