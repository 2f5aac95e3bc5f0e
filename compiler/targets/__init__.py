"""Output targets: each renders the shape-annotated IR as standalone source for one framework."""
