"""What the Flax target writes (`targets.refusal.Knows`); `refusals` is everything else."""

from __future__ import annotations

from ..refusal import ATTENTION, IR_FIELDS, Knows, taught

KNOWS = Knows(
    target="flax",
    fields=taught(IR_FIELDS, ATTENTION),
    patterns=frozenset({"basic", "bottleneck", "generic"}),
    shortcuts=frozenset({"identity", "projection", "zeropad"}),
    pools=frozenset({"max", "avg"}),
)
"""What the Flax target writes: every construct of the IR it was written against, and
channel attention (squeeze-and-excitation, ECA)."""
