"""What the Keras target writes (`targets.refusal.Knows`); `refusals` is everything else."""

from __future__ import annotations

from ..refusal import IR_FIELDS, Knows

KNOWS = Knows(
    target="keras",
    fields=IR_FIELDS,
    patterns=frozenset({"basic", "bottleneck", "generic"}),
    shortcuts=frozenset({"identity", "projection", "zeropad"}),
    pools=frozenset({"max", "avg"}),
)
"""What the Keras target writes: every construct of the IR it was written against."""
