"""How fast the DQN lesson learns Breakout on this machine, in wall time.

    python benchmarks/rl_learning.py [--minutes 10] [--game breakout] [--threads 2]
                                     [--episodes 100] [--report-every 30] [--set KEY=VALUE ...]

Trains the `dqn` lesson through its public class (the code the window runs) for `--minutes` of
training, printing every `--report-every` training seconds the return of the training episodes
(moving average of 100) and a quick greedy return on 16 fresh games, against training seconds and
frames. The evaluation time is not counted as training. At the end, the mean greedy return over
`--episodes` fresh games (each cut off after 2,000 frames) is compared with the random policy's,
measured the same way; the goal is at least 10x random.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

import numpy as np
import torch

from unsuplab.core.config import with_overrides
from unsuplab.core.registry import lesson
from unsuplab.experiments.dqn import EPISODE_CAP, FIXED_SEED
from unsuplab.rl.dqn import greedy_returns, random_returns
from unsuplab.rl.games import make_game

GOAL_FACTOR = 10.0
QUICK_EPISODES = 16


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(_row(r, widths) for r in [header, *rows])


def fresh_games(experiment, episodes: int, seed: int):
    """`episodes` new games of the lesson's kind, each cut off after 2,000 frames."""
    cfg = experiment.config
    return make_game(
        cfg.game,
        episodes,
        experiment.device,
        seed=seed,
        sticky_actions=cfg.sticky_actions,
        max_episode_steps=EPISODE_CAP,
    )


def greedy_level(experiment, episodes: int) -> np.ndarray:
    """Returns of `episodes` fresh games played greedily by the agent's current network."""
    games = fresh_games(experiment, episodes, seed=FIXED_SEED + 4)
    return greedy_returns(experiment.online, games, max_steps=EPISODE_CAP).cpu().numpy()


def random_level(experiment, episodes: int) -> float:
    """The uniformly random policy's mean return, measured like the agent's."""
    rng = torch.Generator(device=experiment.device).manual_seed(0)
    return float(random_returns(fresh_games(experiment, episodes, seed=2024), rng, EPISODE_CAP).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="training time (default 10)")
    parser.add_argument("--game", default="breakout", help="game (default breakout)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--episodes", type=int, default=100, help="final evaluation games")
    parser.add_argument("--report-every", type=float, default=30.0, help="seconds between rows")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="sets",
        help="override a lesson setting, e.g. --set num_envs=64 (repeatable)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    cls = lesson("dqn")
    overrides = dict(item.split("=", 1) for item in args.sets)
    config = with_overrides(cls.Config(), {"game": args.game, **overrides})
    experiment = cls(config)
    experiment.build(args.device, args.seed)
    settings = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    print(
        f"dqn on {args.game}, {args.minutes:g} min on {args.device} with {args.threads} threads, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        "settings: " + ", ".join(f"{k}={v}" for k, v in settings.items() if k not in ("mode", "watch_speed"))
    )

    budget, trained, next_report = args.minutes * 60.0, 0.0, 0.0
    steps = 0
    rows = []
    header = [
        "train s",
        "frames",
        "updates",
        "epsilon",
        "train return (avg 100)",
        f"greedy return ({QUICK_EPISODES} games)",
        "steps/s",
    ]
    print(_row(header, [len(h) for h in header]))
    while True:
        if trained >= next_report or trained >= budget:
            metrics = experiment.evaluate()
            quick = float(greedy_level(experiment, QUICK_EPISODES).mean())
            cells = [
                f"{trained:.0f}",
                f"{experiment.frames:,}",
                f"{experiment.updates:,}",
                f"{experiment.epsilon:.3f}",
                f"{metrics.get('return_avg100', float('nan')):.2f}",
                f"{quick:.2f}",
                f"{steps / max(trained, 1e-9):.0f}",
            ]
            rows.append(cells)
            print(_row(cells, [len(h) for h in header]), flush=True)
            next_report += args.report_every
            if trained >= budget:
                break
        start = time.perf_counter()
        chunk_end = start + min(next_report - trained, budget - trained)
        while time.perf_counter() < chunk_end:
            for _ in range(20):
                experiment.train_step()
            steps += 20
        trained += time.perf_counter() - start

    start = time.perf_counter()
    final = greedy_level(experiment, args.episodes)
    random = random_level(experiment, args.episodes)
    mean = float(final.mean())
    print(f"(final evaluation took {time.perf_counter() - start:.0f} s)")
    print()
    figures = [
        ["figure", "anchor/target", "ours", "reached?", "frames", "gradient steps", "train s"],
        [
            f"greedy return, {args.episodes} games",
            f">= {GOAL_FACTOR:g} x random = {GOAL_FACTOR * random:.2f}",
            f"{mean:.2f} ± {final.std() / np.sqrt(len(final)):.2f}",
            "yes" if mean >= GOAL_FACTOR * random else "no",
            f"{experiment.frames:,}",
            f"{experiment.updates:,}",
            f"{trained:.0f}",
        ],
        ["random policy return", "about 0.5 (issue)", f"{random:.2f}", "-", "-", "-", "-"],
    ]
    print(_table(figures[0], figures[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
