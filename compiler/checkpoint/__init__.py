"""`decompile`: a checkpoint's names and shapes -> the spec of the network they describe."""
