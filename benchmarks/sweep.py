"""What a sweep on Ray Tune costs against running the same runs one after another.

A 12-trial grid of the autoencoder (learning_rate × 3, code_size × 2, 2 seeds; --steps each):
  1. one after another, each its own `unsuplab train` process, as a shell loop would run them;
  2. `unsuplab sweep` on a local Ray with every CPU of the machine;
  3. the same 12 runs one after another inside one process (`unsuplab.cli.main`) on one thread,
     as each trial has, which pays no process start-up: the work itself.
Printed (2 and 3 first): the wall time of 1 and 2 and their ratio (goal: the sweep ≥ 1.8 ×
faster on 2 cores), Ray's own start-up (ray.init), and Ray's per-trial start-up overhead: the
sweep's time beyond ray.init and the work spread over the CPUs, per trial and CPU,
(T_sweep − T_init − T_work / CPUs) × CPUs / trials. The machine's load (`uptime`) is printed
first and last: on a shared machine the figures move with it. Prints figures; never fails.

    python benchmarks/sweep.py [--steps 400]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GRID = {"learning_rate": ["0.003", "0.01", "0.03"], "code_size": ["8", "32"]}
SEEDS = 2
SETS = ["--set", "batch_size=64", "--device", "cpu"]


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1, 5, 15 min)"


def trials() -> list[list[str]]:
    """The `--set` arguments and seed of each of the 12 trials."""
    runs = []
    for rate in GRID["learning_rate"]:
        for size in GRID["code_size"]:
            for seed in range(SEEDS):
                sets = ["--set", f"learning_rate={rate}", "--set", f"code_size={size}"]
                runs.append([*sets, "--seed", str(seed)])
    return runs


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def sequential(steps: int, out: Path) -> float:
    """Wall time of the 12 runs as separate `unsuplab train` processes, one after another."""
    return sum(
        timed(
            [
                sys.executable,
                "-m",
                "unsuplab",
                "train",
                "autoencoder",
                *SETS,
                *t,
                "--steps",
                str(steps),
                "--out",
                str(out / f"run{i}"),
            ]
        )
        for i, t in enumerate(trials())
    )


def in_process(steps: int, out: Path) -> float:
    """Wall time of the 12 runs one after another in this process (no start-up but the first)."""
    import torch

    from unsuplab.cli import main

    torch.set_num_threads(1)  # one CPU, as each trial has
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["train", "autoencoder", *SETS, "--steps", "1", "--out", str(out / "warm")])  # imports, data
        start = time.perf_counter()
        for i, t in enumerate(trials()):
            main(["train", "autoencoder", *SETS, *t, "--steps", str(steps), "--out", str(out / f"in{i}")])
    return time.perf_counter() - start


def ray_init() -> float:
    """Seconds `ray.init` takes to start a local Ray (and shut it down), after importing Ray."""
    code = (
        "import time, ray; t = time.perf_counter(); ray.init(include_dashboard=False); "
        "print(time.perf_counter() - t); ray.shutdown()"
    )
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400)
    args = parser.parse_args()
    cpus = os.cpu_count() or 1
    grid = [a for name, values in GRID.items() for a in ("--grid", f"{name}={','.join(values)}")]
    print(f"load before: {load()}  ({cpus} CPUs; 12 trials of {args.steps} steps)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        sweep = [*grid, "--seeds", str(SEEDS), *SETS, "--steps", str(args.steps), "--out", str(out / "sweep")]
        t_sweep = timed([sys.executable, "-m", "unsuplab", "sweep", "autoencoder", *sweep])
        print(f"unsuplab sweep on local Ray ({cpus} CPUs): {t_sweep:.1f} s", flush=True)
        t_init = ray_init()
        t_work = in_process(args.steps, out)
        overhead = (t_sweep - t_init - t_work / cpus) * cpus / 12
        print(f"ray.init: {t_init:.1f} s; the 12 runs in one process: {t_work:.1f} s", flush=True)
        print(f"Ray's start-up overhead per trial: {overhead:.2f} s (a CPU's time beyond the run itself)")
        print(f"load now: {load()}", flush=True)
        t_seq = sequential(args.steps, out)
        print(f"12 x unsuplab train, one after another: {t_seq:.1f} s")
        print(f"the sweep is {t_seq / t_sweep:.2f} x faster (goal >= 1.8)")
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
