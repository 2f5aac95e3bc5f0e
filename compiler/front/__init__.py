"""The front end: source text and diagnostics, the YAML reader, the table-cell notation, and the
pydantic models of what the user wrote (with their JSON Schema)."""
