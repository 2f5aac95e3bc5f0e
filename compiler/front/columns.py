"""Aligned text columns, for the tables resnetc prints (stage tables, summaries, decompile's)."""

from __future__ import annotations

from collections.abc import Sequence


def render_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]
) -> list[str]:
    """Columns aligned to their widest entry; the columns in `right` aligned right."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [
            str(v).rjust(widths[i]) if i in right else str(v).ljust(widths[i])
            for i, v in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    return [line(header), *(line(r) for r in rows)]
