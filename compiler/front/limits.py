"""Bounds on every input dimension, so that no spec can make resnetc hang or allocate without bound.

Each limit is far above any real network; a spec over one gets a diagnostic naming the limit.
"""

MAX_SPEC_BYTES = 1 << 17
"""Largest spec file read (128 KiB; Table 1 as YAML is about 1 KiB). PyYAML reads about 0.5 MB/s,
so this bounds the time spent parsing even the worst file to a fraction of a second."""

MAX_YAML_DEPTH = 16
"""Deepest nesting of YAML mappings and sequences (a spec needs 3)."""

MAX_YAML_NODES = 5_000
"""Most YAML nodes in a document, counted after alias expansion (defeats alias bombs; a 64-stage
spec has about 500)."""

MAX_CELL_CHARS = 4_000
"""Longest table cell text."""

MAX_STAGES = 64
"""Most stages in a table."""

MAX_CELLS = 128
"""Most cells in a table, over all its stages (a pruned stage is a list of cells, one per run of
blocks of the same widths; timm's ecaresnet101d_pruned has 33). Each cell is a block the commands
analyse and emit, and that `verify` builds and runs on its own: 128 cells of bottlenecks took
6.6 s of CPU to verify, about what ResNet-152 takes (the other commands stay under 1 s)."""

MAX_ROWS = 16
"""Most rows (convolutions) in one block."""

MAX_REPEATS = 1_000_000
"""Most blocks in one stage. Analysis and emission cost does not grow with it."""

MAX_WIDTH = 1 << 20
"""Most filters (channels) of a convolution, input channels and classes included."""

MAX_KERNEL = 31
"""Largest convolution or pooling kernel."""

MAX_STRIDE = 16
"""Largest stride."""

MAX_INPUT_SIZE = 1 << 16
"""Largest input height or width."""

MAX_NUMBER_DIGITS = 9
"""Longest number literal accepted (anything longer is over every limit above)."""

MAX_NAME_CHARS = 64
"""Longest network or stage name."""

MAX_EXPANDED_ROWS = 50_000
"""Most rows `resnetc summary --expand` prints, one per layer (ResNet-1202 has 3,612). Without
--expand a run of identical blocks is one row per layer, so the summary of any table is short."""

MAX_FRAMEWORK_VERIFY_LAYERS = 128
"""Most layers in the distinct blocks of a network `verify --target keras|flax` builds: each run
of identical blocks is built once, so these are the layers of one block per run (shortcut
included; ResNet-152 has 56, the shipped specs at most 67). Keras and Flax trace each layer
(Flax more than linearly in the stages): 126 layers took 4.4 s (Keras on jax), 7.8 s and 680 MB
(Keras on torch, whose import is most of it) and 2.9 s (Flax) of CPU, 896 layers 18 s (Keras on
jax) and 35 s (Flax)."""

MAX_WHATIF_LAYERS = 128
"""Most layers in the distinct blocks (as MAX_FRAMEWORK_VERIFY_LAYERS counts them) of a network
whose `explain --html` page compiles its what-if variants: each (up to 17, or 23 where the spec's
own shortcut is D) is analysed, rendered and explained, and its module diffed against the spec's
own, so a page costs 18 (24) times the distinct blocks' code (ResNet-152 has 56 layers: 0.5 s).
Above it the page is written without them, and says why."""

MAX_CHECKPOINT_TENSORS = 50_000
"""Most entries a decompiled state_dict may have (ResNet-152 has 1,030; 4,000 basic blocks are
48,000): reading a pickled checkpoint costs tens of microseconds per tensor."""

MAX_CHECKPOINT_INDEX_BYTES = 1 << 23
"""Largest part of a checkpoint file that names its tensors, checked before it is parsed: a .pt
file's pickle (`data.pkl`, about 110 bytes a tensor) or a safetensors header (8 MiB)."""

MAX_LEGACY_CHECKPOINT_BYTES = 1 << 29
"""Largest checkpoint in PyTorch's legacy format (before 1.6, not a zip archive), which is read
whole into memory (512 MiB; ResNet-152's weights are 230 MB)."""
