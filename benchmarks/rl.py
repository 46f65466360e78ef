"""Reinforcement-learning figures: the DQN lesson's learning (rl_learning.py), then game throughput.

    python benchmarks/rl.py [--skip-learning] [--games breakout,space_invaders,freeway]
                            [--batches 1,64,4096] [--threads 1,2] [--seconds 1.0] [--device cpu]
                            [rl_learning.py's options, e.g. --minutes 3]

Throughput: random-policy environment steps per second (a fresh uniform random action for every
environment every step, drawn on the device, counted in the time) of each batched game at each
batch size and torch thread count. Anchors: MinAtar's own Python Breakout steps one environment at
about 110k steps/s; gymnax's jitted JAX games reach about 400k steps/s on a CPU; our goal is at
least 1M steps/s batched. Options this script does not know are handed to rl_learning.py, which
runs first unless --skip-learning is given or it is missing. The last line is
`best batched env steps/s: N`. Prints figures; never fails on time.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path

import torch
from tables import print_table  # this folder's own helper: the scripts run from here

from unsuplab.rl.games import GAMES, make_game

THROUGHPUT_HEADER = ["figure", "anchor / target", "reached?", "envs", "threads", "batched steps", "seconds"]

MINATAR_STEPS_PER_S = 110_000
GYMNAX_CPU_STEPS_PER_S = 400_000
GOAL_STEPS_PER_S = 1_000_000
WARM_UP_STEPS = 10


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def steps_per_second(name: str, batch: int, device: torch.device, seconds: float) -> tuple[float, int, float]:
    """(env steps/s, batched steps taken, seconds) of random play for about `seconds`."""
    game = make_game(name, batch, device=device, seed=0)
    policy = torch.Generator(device=device).manual_seed(1)

    def random_step() -> None:
        game.step(torch.randint(0, game.n_actions, (batch,), device=device, generator=policy))

    for _ in range(WARM_UP_STEPS):
        random_step()
    sync(device)
    steps, start = 0, time.perf_counter()
    # Check the clock every few steps only: a clock read per step would cost more than a step at
    # batch 1 on some machines.
    while time.perf_counter() - start < seconds:
        for _ in range(16):
            random_step()
        steps += 16
    sync(device)
    elapsed = time.perf_counter() - start
    return steps * batch / elapsed, steps, elapsed


def reached(rate: float, batch: int) -> str:
    """Batched rows answer to the 1M goal; a single environment to MinAtar's 110k."""
    target = MINATAR_STEPS_PER_S if batch == 1 else GOAL_STEPS_PER_S
    return "yes" if rate >= target else f"no (x{rate / target:.2f})"


def run_learning(argv: list[str]) -> None:
    path = Path(__file__).resolve().with_name("rl_learning.py")
    if not path.exists():
        print("rl_learning.py not found: learning figures skipped\n")
        return
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(argv)
    print()


def int_list(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-learning", action="store_true", help="only measure the games")
    parser.add_argument("--games", default=",".join(GAMES), help="comma-separated game names")
    parser.add_argument("--batches", type=int_list, default=[1, 64, 4096], help="batch sizes")
    parser.add_argument("--threads", type=int_list, default=[1, 2], help="torch CPU thread counts")
    parser.add_argument("--seconds", type=float, default=1.0, help="timed seconds per measurement")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args, learning_argv = parser.parse_known_args(argv)
    games = [g for g in args.games.split(",") if g]
    unknown = sorted(set(games) - set(GAMES))
    if unknown:
        parser.error(f"unknown games {unknown}; the games are {', '.join(GAMES)}")

    if not args.skip_learning:
        run_learning(learning_argv)
    elif learning_argv:
        parser.error(f"unrecognized arguments: {' '.join(learning_argv)}")

    device = torch.device(args.device)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"game throughput on {device}; {os.cpu_count()} cores; load average {load}")
    print(
        f"anchors: MinAtar (Python, one env) ~{MINATAR_STEPS_PER_S:,}/s; gymnax CPU "
        f"~{GYMNAX_CPU_STEPS_PER_S:,}/s; goal >= {GOAL_STEPS_PER_S:,}/s batched"
    )
    rows, best = [], 0.0
    threads_before = torch.get_num_threads()
    for threads in args.threads:
        torch.set_num_threads(threads)
        for name in games:
            for batch in args.batches:
                rate, steps, elapsed = steps_per_second(name, batch, device, args.seconds)
                if batch > 1:
                    best = max(best, rate)
                anchor = f"MinAtar ~{MINATAR_STEPS_PER_S // 1000}k" if batch == 1 else "goal 1M"
                rows.append(
                    [
                        f"{name} env steps/s: {rate:,.0f}",
                        anchor,
                        reached(rate, batch),
                        f"{batch:,}",
                        str(threads),
                        f"{steps:,}",
                        f"{elapsed:.1f}",
                    ]
                )
    torch.set_num_threads(threads_before)
    print_table(THROUGHPUT_HEADER, rows)
    print(f"load average now {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print(f"best batched env steps/s: {best:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
