"""What the Keras target writes (`targets.refusal.Knows`); `refusals` is everything else."""

from __future__ import annotations

from ..refusal import ATTENTION, IR_FIELDS, Knows, taught

KNOWS = Knows(
    target="keras",
    fields=taught(IR_FIELDS, ATTENTION),
    patterns=frozenset({"basic", "bottleneck", "generic"}),
    shortcuts=frozenset({"identity", "projection", "zeropad"}),
    pools=frozenset({"max", "avg"}),
)
"""What the Keras target writes: every construct of the IR it was written against, and
channel attention (squeeze-and-excitation, ECA)."""
