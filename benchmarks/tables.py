"""The aligned text table every benchmark script prints its figures in."""

from __future__ import annotations


def print_table(header: list[str], rows: list[list[str]]) -> None:
    """Columns padded to their widest cell, the header and the body between dashed rules."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("-" * w for w in widths)
    print(rule)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print(rule)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(rule)
