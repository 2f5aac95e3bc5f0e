"""What the Flax target writes (`targets.refusal.Knows`); `refusals` is everything else."""

from __future__ import annotations

from ..refusal import IR_FIELDS, Knows

KNOWS = Knows(
    target="flax",
    fields=IR_FIELDS,
    patterns=frozenset({"basic", "bottleneck", "generic"}),
    shortcuts=frozenset({"identity", "projection", "zeropad"}),
    pools=frozenset({"max", "avg"}),
)
"""What the Flax target writes: every construct of the IR it was written against."""
