"""How long loading the 60,000 + 10,000 MNIST digits takes: the first load from the official
files (decompress, check the content SHA-256, decode, keep as .npy) and the cached load after it
(memory-map the .npy files, check them, scale to [0, 1]). Uses a fresh, temporary cache.

    python benchmarks/data_load.py [--data FOLDER] [--repeats 3]

FOLDER holds the four official files (default: $UNSUPLAB_DATA, else ../shared/data/mnist beside
the checkout). Prints wall-clock and CPU seconds of each load; the target is 3 s or less.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from unsuplab.data import local
from unsuplab.data.mnist import load_official

REPO = Path(__file__).resolve().parents[1]
OFFICIAL = REPO.parent / "shared" / "data" / "mnist"


def timed(label: str) -> tuple[float, float]:
    """(wall, CPU) seconds of one load of full MNIST, printed under `label`."""
    wall, cpu = time.perf_counter(), time.process_time()
    data = load_official("mnist")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{label:<12} {wall:6.2f} s wall  {cpu:6.2f} s CPU   "
        f"{len(data.train_images):,} + {len(data.test_images):,} digits from {data.source}"
    )
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=os.environ.get(local.ENV) or OFFICIAL,
        help="folder with the four official MNIST files",
    )
    parser.add_argument("--repeats", type=int, default=3, help="loads of each kind")
    args = parser.parse_args()
    local.set_data_folder(args.data)
    with tempfile.TemporaryDirectory(prefix="unsuplab-data-load-") as cache:
        os.environ["UNSUPLAB_CACHE"] = cache
        for _ in range(args.repeats):
            for npy in Path(cache).rglob("*.npy"):
                npy.unlink()  # every first load starts from the files
            timed("first load")
        for _ in range(args.repeats):
            timed("cached load")


if __name__ == "__main__":
    main()
