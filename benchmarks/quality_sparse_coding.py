"""Sparse coding beside scikit-learn: the lesson's dictionary learning and MiniBatchDictionaryLearning
on the same patches, atoms and λ, measured with the same coder on the same held-out patches.

Both minimise ½‖x − a D‖² + λ‖a‖₁ per patch with unit-norm atoms (scikit-learn's alpha is our λ;
its fit_algorithm="cd" codes the minibatches by coordinate descent, "lars" by LARS). Both see
the same sequence of random minibatches of the lesson's training patches (12x12, 1/f-whitened,
unit variance per pixel; 20,000 patches), ours through the lesson's public class (the code the
window runs). Every `--eval-every` training seconds (measuring excluded from the clock) both
dictionaries code the first `--eval-patches` held-out patches with one coder — FISTA run to
convergence (`--coder fista`, 500 steps; the tests check it matches LARS) or scikit-learn's
`sparse_encode(algorithm="lasso_lars")` (`--coder lars`, slower) — and the reconstruction MSE per
pixel and the non-zeros per patch are printed (and more often early on: at ¼, ½, 1, 2 … s). Both
of our dictionary updates race ("gradient", the lesson's default, and "block"-coordinate, the
update scikit-learn uses). The figure: the training time each needs to reach scikit-learn's
final held-out MSE; the target is ours in at most a fifth of scikit-learn's time.

    python benchmarks/quality_sparse_coding.py [--budget 45] [--eval-every 5] [--threads 1]
        [--device cpu] [--atoms 144] [--lam 1.2] [--batch 256] [--coder fista] [--fit-algorithm cd]
        [--updates gradient block-coordinate]
    python benchmarks/quality.py sparse-coding [the same options]

A full run with the defaults (3 x 45 training seconds) takes about 3 minutes on a quiet 2-core
CPU. Never fails on a missed target.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from unsuplab.experiments.sparse_coding import Config, SparseCoding
from unsuplab.models.devices import device_label, resolve_device
from unsuplab.models.sparse_coding import fista

CONVERGED_STEPS = 500  # FISTA steps of the common coder: converged to ~1e-4 on these patches


@dataclass
class Trace:
    """Held-out figures of one learner at increasing training times."""

    name: str
    seconds: list[float] = field(default_factory=list)
    mse: list[float] = field(default_factory=list)
    nonzeros: list[float] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)

    def first_reaching(self, mse: float) -> int | None:
        """Index of the first measurement at or below `mse`, None if never."""
        return next((i for i, m in enumerate(self.mse) if m <= mse), None)


def held_out_figures(
    dictionary: np.ndarray, patches: np.ndarray, lam: float, coder: str
) -> tuple[float, float]:
    """Reconstruction MSE per pixel and mean non-zeros per patch, the codes from `coder`."""
    if coder == "lars":
        from sklearn.decomposition import sparse_encode

        codes = sparse_encode(
            patches.astype(np.float64), dictionary.astype(np.float64), algorithm="lasso_lars", alpha=lam
        )
    else:
        codes = fista(
            torch.from_numpy(patches), torch.from_numpy(dictionary).float(), lam, CONVERGED_STEPS
        ).numpy()
    residual = patches - codes @ dictionary
    return float(np.mean(residual**2)), float(np.mean(np.count_nonzero(codes, axis=1)))


def checkpoints(eval_every: float, budget: float) -> list[float]:
    """Training times to measure at: 0, ¼, ½, 1, 2 … seconds (doubling) below `eval_every`,
    then every `eval_every` seconds, and the end of the budget."""
    times, t = [0.0], 0.25
    while t < min(eval_every, budget):
        times.append(t)
        t *= 2
    times += list(np.arange(eval_every, budget, eval_every))
    return [*times, budget]


def race(
    name: str,
    step: Callable[[int], None],
    dictionary: Callable[[], np.ndarray],
    moments: list[float],
    measure: Callable[[np.ndarray], tuple[float, float]],
    sync: Callable[[], None] = lambda: None,
) -> Trace:
    """Call `step(i)` until the last of `moments` (training seconds), measuring once as each
    moment is passed; measurement i belongs to moment i."""
    trace, trained, steps = Trace(name), 0.0, 0
    for moment in moments:
        while trained < moment:
            started = time.perf_counter()
            step(steps)
            sync()
            trained += time.perf_counter() - started
            steps += 1
        mse, nonzeros = measure(dictionary())
        trace.seconds.append(trained)
        trace.mse.append(mse)
        trace.nonzeros.append(nonzeros)
        trace.steps.append(steps)
        print(
            f"  {name:<8} {trained:7.2f} s  {steps:6d} steps  MSE {mse:.4f}  non-zeros {nonzeros:5.1f}",
            flush=True,
        )
    return trace


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--budget", type=float, default=45.0, help="training seconds per learner (measuring excluded)"
    )
    parser.add_argument(
        "--eval-every", type=float, default=5.0, help="training seconds between held-out measurements"
    )
    parser.add_argument("--eval-patches", type=int, default=500, help="held-out patches coded")
    parser.add_argument("--atoms", type=int, default=Config.atoms)
    parser.add_argument(
        "--lam", type=float, default=Config.sparsity_lambda, help="λ, and scikit-learn's alpha"
    )
    parser.add_argument("--batch", type=int, default=Config.batch_size)
    parser.add_argument("--dataset", default=Config.dataset)
    parser.add_argument(
        "--updates",
        nargs="+",
        default=["gradient", "block-coordinate"],
        choices=("gradient", "block-coordinate"),
        help="our dictionary updates to race (default: both)",
    )
    parser.add_argument(
        "--fit-algorithm", default="cd", choices=("cd", "lars"), help="scikit-learn's minibatch coder"
    )
    parser.add_argument(
        "--coder", default="fista", choices=("fista", "lars"), help="the common held-out coder"
    )
    parser.add_argument("--device", default="cpu", help="ours: cpu, cuda, mps or auto")
    parser.add_argument(
        "--threads", type=int, default=1, help="CPU threads for torch and for scikit-learn's BLAS (default 1)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from sklearn.decomposition import MiniBatchDictionaryLearning
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    # Its coordinate descent stops at max_iter on some minibatches; that is part of its speed.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    config = dataclasses.replace(
        Config(), dataset=args.dataset, atoms=args.atoms, sparsity_lambda=args.lam, batch_size=args.batch
    )
    lessons = {
        update: SparseCoding(dataclasses.replace(config, dictionary_update=update)) for update in args.updates
    }
    for lesson in lessons.values():
        lesson.build(device, args.seed)
    data = next(iter(lessons.values())).data
    train, held_out = data.train, data.test[: args.eval_patches]
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"sparse coding vs scikit-learn: {args.dataset}, {len(train)} training patches of "
        f"{train.shape[1]} pixels, {args.atoms} atoms, λ = alpha = {args.lam:g}, batch "
        f"{args.batch}; held-out coder {args.coder}; ours on {device_label(device)}; "
        f"{args.threads} thread(s); load average {load}"
    )

    def measure(dictionary: np.ndarray) -> tuple[float, float]:
        return held_out_figures(dictionary, held_out, args.lam, args.coder)

    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    with threadpool_limits(args.threads):
        moments = checkpoints(args.eval_every, args.budget)
        ours = [
            race(
                update.split("-")[0],
                lambda i, lesson=lesson: lesson.train_step(),
                lambda lesson=lesson: lesson.dictionary.cpu().numpy(),
                moments,
                measure,
                sync,
            )
            for update, lesson in lessons.items()
        ]
        theirs = MiniBatchDictionaryLearning(
            n_components=args.atoms,
            alpha=args.lam,
            batch_size=args.batch,
            fit_algorithm=args.fit_algorithm,
            random_state=args.seed,
        )
        batches = np.random.default_rng(args.seed)
        order: list[np.ndarray] = []

        def their_step(i: int) -> None:
            while len(order) <= i:
                order.append(batches.integers(len(train), size=args.batch))
            theirs.partial_fit(train[order[i]])

        # Before its first partial_fit scikit-learn has no dictionary; its first measurement
        # is taken after one step.
        their_step(0)
        sklearn_trace = race(
            "sklearn",
            lambda i: their_step(i + 1),
            lambda: theirs.components_.astype(np.float32),
            moments,
            measure,
        )
    report(ours, sklearn_trace, moments, len(train), args.batch)


def report(ours: list[Trace], theirs: Trace, moments: list[float], data_size: int, batch: int) -> None:
    """The aligned tables: checkpoints side by side, then the figures."""
    traces = [*ours, theirs]
    print("\nheld-out MSE per pixel / non-zeros per patch at training-time checkpoints:")
    print(f"  {'seconds':>8}" + "".join(f"  {t.name + ' MSE':>14}  {t.name + ' nnz':>12}" for t in traces))
    for i, moment in enumerate(moments):
        print(f"  {moment:8.2f}" + "".join(f"  {t.mse[i]:14.4f}  {t.nonzeros[i]:12.1f}" for t in traces))

    target = theirs.mse[-1]
    theirs_at = theirs.first_reaching(target)
    theirs_seconds = theirs.seconds[theirs_at]
    rows = [["figure", "anchor / target", "reached?", "data size", "steps (epochs)", "seconds"]]

    def when(trace: Trace, at: int | None) -> tuple[str, str]:
        index = at if at is not None else len(trace.seconds) - 1
        steps = trace.steps[index]
        suffix = "" if at is not None else " (end)"
        return (f"{steps} ({steps * batch / data_size:.1f})", f"{trace.seconds[index]:.2f}{suffix}")

    rows.append(
        [f"sklearn reaches its final MSE {target:.4f}", "-", "yes", str(data_size), *when(theirs, theirs_at)]
    )
    for trace in ours:
        at = trace.first_reaching(target)
        reached = at is not None and trace.seconds[at] <= theirs_seconds / 5
        rows.append(
            [
                f"{trace.name} reaches MSE {target:.4f}",
                f"≤ {theirs_seconds / 5:.2f} s (a fifth)",
                "yes" if reached else "no",
                str(data_size),
                *when(trace, at),
            ]
        )
    for trace in traces:
        rows.append(
            [
                f"{trace.name} final MSE / non-zeros",
                f"{trace.mse[-1]:.4f} / {trace.nonzeros[-1]:.1f}",
                "-",
                str(data_size),
                *when(trace, None),
            ]
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    print()
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
