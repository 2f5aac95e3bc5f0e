"""`import-table`: Table 1 pasted from a paper (LaTeX or a web copy) -> one spec per model."""
