"""How well the autoencoder lessons learn: held-out figures beside the course's and the papers'.

Each lesson is trained through its public experiment class (the same code the window runs) on
what a user trains on, the bundled mnist-sample (4,500 train / 500 held out), for a fixed budget
of training seconds per model. Every few seconds the held-out figures are measured, so the table
can say when each target was first reached. Where the official MNIST test set lies in
../shared/data/mnist/ (t10k-images-idx3-ubyte.gz), each final model is also measured on its
10,000 digits. Prints a table; never fails on time or on a missed target.

    python benchmarks/quality.py [--budget 70] [--device cpu] [--eval-every 2] [--threads N]

The other lesson families have their own suites, each a `quality_<suite>.py` beside this file:

    python benchmarks/quality.py SUITE [its options]     # SUITE: vae, gan, rbm, sparse-coding,
                                                         # applications (see --help of each)
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from tables import print_table  # this folder's own helper: the scripts run from here

from unsuplab.core.config import with_overrides
from unsuplab.core.experiment import Experiment
from unsuplab.core.registry import lesson
from unsuplab.data.readers import read_idx
from unsuplab.models.devices import device_label, resolve_device

QUALITY_HEADER = [
    "model",
    "metric",
    "ours: sample held-out",
    "ours: official 10k",
    "anchor / target",
    "reached?",
    "samples seen",
    "epochs",
    "seconds",
]

REPO = Path(__file__).resolve().parents[1]
OFFICIAL_TEST = REPO.parent / "shared" / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"
CHUNK = 1000  # images per forward pass when measuring: 10k conv feature maps would take GBs
# Keras' L1 activity regulariser adds α·Σ_i |a_i| to the per-pixel mean squared error; our sparse
# cost is ½·Σ_j (x̂_j − x_j)² + β·Σ_i a_i per image, 392 = 784/2 times the MSE, so the same
# balance of the two terms is β = 392·α (Adam does not care about the overall scale).
KERAS_L1 = 1e-5
SPARSE_BETA = 784 / 2 * KERAS_L1

Measure = Callable[[Experiment, torch.Tensor, torch.Tensor], float]


@dataclass
class Metric:
    """One row of the table: a figure of a trained model and the target it is held against.

    `threshold` is a number, or "run/metric" naming the final held-out figure of an earlier run
    (the convolutional autoencoder against the dense one, sparse against plain).
    """

    name: str
    measure: Measure  # (experiment, clean images, the images as the network sees them) -> figure
    anchor: str
    threshold: float | str | None = None
    below: bool = True
    on_test: bool = True  # False: the figure does not depend on the images (a subspace angle)


@dataclass
class Run:
    """One lesson trained with some overrides, and the figures read off it."""

    key: str
    lesson: str
    overrides: dict[str, Any]
    metrics: list[Metric]
    note: str = ""
    #: This model's share of --budget: slow learners (conv, deep) get more, models that reach
    #: their targets in seconds get less, so the default run stays near 10 minutes on 2 cores.
    budget_scale: float = 1.0


@dataclass
class Outcome:
    """What a run gave: the figures over time, and the final ones."""

    history: dict[str, list[tuple[float, int, float]]] = field(default_factory=dict)
    heldout: dict[str, float] = field(default_factory=dict)
    test: dict[str, float] = field(default_factory=dict)
    samples: int = 0
    seconds: float = 0.0
    train_size: int = 0
    missing: str = ""  # why the run has no figures ("not available", an error)


# --- figures -------------------------------------------------------------------------------------


@torch.no_grad()
def outputs(experiment: Experiment, x_in: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The model's (reconstruction, code) for flattened images, in chunks."""
    parts = [experiment.model(x_in[i : i + CHUNK]) for i in range(0, len(x_in), CHUNK)]
    return torch.cat([p[0] for p in parts]), torch.cat([p[1].flatten(1) for p in parts])


def bce(experiment: Experiment, x: torch.Tensor, x_in: torch.Tensor) -> float:
    """Binary cross-entropy per pixel, −mean_j [x_j log x̂_j + (1 − x_j) log(1 − x̂_j)]."""
    return float(F.binary_cross_entropy(outputs(experiment, x_in)[0], x))


def mse(experiment: Experiment, x: torch.Tensor, x_in: torch.Tensor) -> float:
    """Mean squared error per pixel (Keras' "mse")."""
    return float(F.mse_loss(outputs(experiment, x_in)[0], x))


def mean_activation(experiment: Experiment, x: torch.Tensor, x_in: torch.Tensor) -> float:
    """Mean code activation over images and units (Keras' encoded_imgs.mean())."""
    return float(outputs(experiment, x_in)[1].mean())


def squared_error(experiment: Experiment, x: torch.Tensor, x_in: torch.Tensor) -> float:
    """Σ_j (x̂_j − x_j)² per image, averaged over images."""
    return float((outputs(experiment, x_in)[0] - x).pow(2).sum(dim=1).mean())


@torch.no_grad()
def pca_squared_error(experiment: Experiment, x: torch.Tensor, x_in: torch.Tensor) -> float:
    """The same error for PCA with as many components as the code (fitted on the training set)."""
    x_hat = experiment.pca.reconstruct(x, experiment.config.code_size)
    return float((x_hat - x).pow(2).sum(dim=1).mean())


def deep_over_pca(experiment: Experiment, x: torch.Tensor, x_in: torch.Tensor) -> float:
    return squared_error(experiment, x, x_in) / pca_squared_error(experiment, x, x_in)


def principal_angle(experiment: Experiment, x: torch.Tensor, x_in: torch.Tensor) -> float:
    """Largest principal angle (degrees) between the linear AE's decoder span and PCA's."""
    return experiment.evaluate()["principal_angle"]


def pca_mse(experiment: Experiment, x: torch.Tensor, x_in: torch.Tensor) -> float:
    with torch.no_grad():
        return float(F.mse_loss(experiment.pca.reconstruct(x, experiment.config.code_size), x))


# --- what is measured ----------------------------------------------------------------------------


def runs() -> list[Run]:
    sparse_like_keras = {
        "code_size": 32,
        "activation": "relu",
        "penalty": "l1",
        "weight_decay": 0.0,
        "learning_rate": 1e-3,
        "batch_size": 128,
    }
    return [
        Run(
            "dense",
            "autoencoder",
            {},
            [
                Metric("held-out BCE/pixel", bce, "0.11 Keras 2016", 0.11),
                Metric("held-out BCE/pixel", bce, "~0.09 Keras+Adam", 0.09),
            ],
            "784-32-784 relu/sigmoid, lesson defaults (batch 256, Adam 1e-3, λ 1e-5)",
        ),
        Run(
            "conv",
            "conv-autoencoder",
            {},
            [
                Metric("held-out BCE/pixel", bce, "0.094 slide", 0.094),
                Metric("BCE below dense AE's", bce, "0.094 < 0.11", "dense/held-out BCE/pixel"),
            ],
            "Keras conv AE (8x4x4 code), lesson defaults (batch 128, Adam 1e-3)",
            2.0,
        ),
        Run(
            "plain",
            "sparse-autoencoder",
            {**sparse_like_keras, "sparsity_beta": 0.0},
            [
                Metric("held-out MSE/pixel", mse, "0.0318 simple", 0.0318),
                Metric("mean activation", mean_activation, "7.30 Keras blog"),
            ],
            "sparse-autoencoder with beta=0: 784-32 relu, batch 128, Adam 1e-3, no weight decay",
            0.5,
        ),
        Run(
            "sparse",
            "sparse-autoencoder",
            {**sparse_like_keras, "sparsity_beta": SPARSE_BETA},
            [
                Metric("held-out MSE/pixel", mse, "0.0301 sparse", 0.0301),
                Metric("MSE vs plain AE's", mse, "0.0301 < 0.0318", "plain/held-out MSE/pixel"),
                Metric("mean activation", mean_activation, "3.33 Keras blog", "plain/mean activation"),
            ],
            f"same, L1 penalty beta = 392 x {KERAS_L1:g} = {SPARSE_BETA:g} "
            f"(Keras activity_regularizer l1({KERAS_L1:g}) per pixel-mean MSE)",
            0.5,
        ),
        Run(
            "deep",
            "deep-autoencoder",
            {"activation": "relu", "batch_size": 128},
            [
                Metric("Σ(x̂−x)²/image, deep", squared_error, "3.00 (2006, 60k)"),
                Metric("Σ(x̂−x)²/image, PCA-30", pca_squared_error, "13.87 (2006, 60k)"),
                Metric("deep / PCA-30", deep_over_pca, "≤ 0.333 (2006: 0.22)", 1 / 3),
            ],
            "784-1000-500-250-30 with relu units (the paper's sigmoid units creep without "
            "RBM pretraining), batch 128 (the lesson's default is 32), Adam 1e-3",
            3.0,
        ),
        Run(
            "linear",
            "pca",
            {},
            [
                Metric("largest angle to PCA (°)", principal_angle, "< 5°", 5.0, on_test=False),
                Metric("held-out MSE/pixel, lin. AE", mse, "PCA-16 (next row)"),
                Metric("held-out MSE/pixel, PCA-16", pca_mse, "optimum of rank 16"),
            ],
            "pca lesson: linear AE with a 16-unit code vs exact PCA-16, batch 256, Adam 2e-3",
            0.5,
        ),
    ]


# --- training ------------------------------------------------------------------------------------


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def train(
    run: Run, device: str, budget: float, eval_every: float, seed: int, official: torch.Tensor | None
) -> Outcome:
    """Train for `budget` seconds of training time, measuring the held-out figures every
    `eval_every` seconds (measuring is not counted in the time)."""
    outcome = Outcome()
    try:
        cls = lesson(run.lesson)
    except KeyError:
        outcome.missing = "not available"
        return outcome
    experiment = cls(with_overrides(cls.Config(), run.overrides))
    experiment.build(device, seed)
    outcome.train_size = len(experiment.train_x)
    per_step = experiment.samples_per_step
    steps = 0
    while outcome.seconds < budget:
        sync(device)
        start = time.perf_counter()
        segment_end = start + min(eval_every, budget - outcome.seconds)
        while time.perf_counter() < segment_end:
            experiment.train_step()
            steps += 1
        sync(device)
        outcome.seconds += time.perf_counter() - start
        outcome.samples = steps * per_step
        for metric in run.metrics:
            value = metric.measure(experiment, experiment.test_x, experiment.test_input)
            outcome.history.setdefault(metric.name, []).append((outcome.seconds, outcome.samples, value))
    outcome.heldout = {name: points[-1][2] for name, points in outcome.history.items()}
    if official is not None:
        x = official.to(experiment.device)
        x_in = experiment.corrupt(x, torch.Generator(device=experiment.device).manual_seed(seed + 1))
        outcome.test = {m.name: m.measure(experiment, x, x_in) for m in run.metrics if m.on_test}
    return outcome


def load_official_test() -> torch.Tensor | None:
    """The 10,000 official MNIST test digits, flattened in [0, 1], if they are on this disk."""
    if not OFFICIAL_TEST.exists():
        return None
    images = read_idx(OFFICIAL_TEST)
    return torch.as_tensor(images.reshape(len(images), -1), dtype=torch.float32) / 255.0


# --- the table -----------------------------------------------------------------------------------


def threshold_of(metric: Metric, outcomes: dict[str, Outcome]) -> float | None:
    if isinstance(metric.threshold, str):
        key, name = metric.threshold.split("/", 1)
        return outcomes[key].heldout.get(name) if key in outcomes else None
    return metric.threshold


def meets(value: float, threshold: float, below: bool) -> bool:
    return value <= threshold if below else value >= threshold


def first_reached(
    points: list[tuple[float, int, float]], threshold: float, below: bool
) -> tuple[float, int] | None:
    for seconds, samples, value in points:
        if meets(value, threshold, below):
            return seconds, samples
    return None


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.4f}" if abs(value) < 1 else f"{value:.2f}"


def table_rows(run: Run, outcome: Outcome, outcomes: dict[str, Outcome]) -> list[list[str]]:
    rows = []
    for metric in run.metrics:
        model = f"{run.key} ({run.lesson})"
        if outcome.missing:
            rows.append([model, metric.name, outcome.missing, "", metric.anchor, "", "", "", ""])
            continue
        threshold = threshold_of(metric, outcomes)
        reached, samples, seconds = "—", outcome.samples, outcome.seconds
        if threshold is not None:
            hit = first_reached(outcome.history[metric.name], threshold, metric.below)
            anchor = metric.anchor
            if isinstance(metric.threshold, str):
                anchor += f" [{'≤' if metric.below else '≥'} {fmt(threshold)}]"
            if hit is None:
                reached = "no"
            else:
                # "lost": reached once, then drifted back (overfitting 4,500 digits) by the end.
                final = outcome.heldout[metric.name]
                reached = "yes" if meets(final, threshold, metric.below) else "lost"
                seconds, samples = hit
        else:
            anchor = metric.anchor
        epochs = samples / outcome.train_size
        rows.append(
            [
                model,
                metric.name,
                fmt(outcome.heldout[metric.name]),
                fmt(outcome.test.get(metric.name)),
                anchor,
                reached,
                f"{samples:,}",
                f"{epochs:.1f}",
                f"{seconds:.1f}",
            ]
        )
    return rows


def suites() -> dict[str, Path]:
    """Suite name -> its script: quality_sparse_coding.py is the suite "sparse-coding"."""
    here = Path(__file__).resolve().parent
    return {p.stem.removeprefix("quality_").replace("_", "-"): p for p in sorted(here.glob("quality_*.py"))}


def run_suite(path: Path, argv: list[str]) -> None:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while they are made
    sys.path.insert(0, str(path.parent))  # a suite may import a sibling (the digit classifier)
    spec.loader.exec_module(module)
    module.main(argv)


def main() -> None:
    available = suites()
    if len(sys.argv) > 1 and sys.argv[1] in available:
        run_suite(available[sys.argv[1]], sys.argv[2:])
        return
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=f"other suites: {', '.join(available) or 'none'} (python benchmarks/quality.py SUITE --help)",
    )
    parser.add_argument(
        "--budget", type=float, default=70.0, help="training seconds per model (measuring excluded)"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    parser.add_argument(
        "--eval-every", type=float, default=2.0, help="training seconds between held-out measurements"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch CPU threads; 0 keeps torch's default (one per core). On a "
        "machine other jobs are using, 1 can be many times faster",
    )
    parser.add_argument("--only", nargs="*", help="run keys to train (default: all)")
    parser.add_argument(
        "--dataset",
        default="mnist-sample",
        help="data set every run trains on: mnist-sample (bundled), or mnist "
        "(the full 60,000-digit training set, once it is in the download cache: "
        'python -c "from unsuplab.data.datasets import load_dataset; '
        "load_dataset('mnist')\" on a machine with network)",
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    started = time.perf_counter()
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    official = load_official_test()
    print(
        f"device: {device_label(device)}; {os.cpu_count()} cores; load average {load}"
        f"{' (busy: try --threads 1)' if not args.threads and os.getloadavg()[0] > 1.5 else ''}"
    )
    print(
        f"data: {args.dataset} (held out: its own test split); official test: "
        f"{f'{len(official):,} digits from {OFFICIAL_TEST}' if official is not None else 'absent'}"
    )
    print(
        f"budget {args.budget:g} s of training per model (x0.5 for plain, sparse and linear, "
        f"x2 conv, x3 deep), held-out measured every "
        f"{args.eval_every:g} s; 'seconds' and 'samples seen' are when the target was first "
        "reached, else at the end of the budget; epochs = samples seen / training images"
    )
    chosen = [
        dataclasses.replace(r, overrides={**r.overrides, "dataset": args.dataset})
        for r in runs()
        if not args.only or r.key in args.only
    ]
    outcomes: dict[str, Outcome] = {}
    rows: list[list[str]] = []
    for run in chosen:
        try:
            outcomes[run.key] = train(
                run, device, args.budget * run.budget_scale, args.eval_every, args.seed, official
            )
        except Exception as exc:  # noqa: BLE001 - a lesson still landing must not take the other rows down
            outcomes[run.key] = Outcome(missing=f"failed: {type(exc).__name__}: {exc}"[:60])
        rows.extend(table_rows(run, outcomes[run.key], outcomes))
    print()
    print_table(QUALITY_HEADER, rows)
    print()
    for run in chosen:
        print(f"{run.key} ({args.budget * run.budget_scale:g} s): {run.note}")
    print("reached? yes: met at the end; lost: met at 'seconds' but not at the end; no: never")
    print(
        f"\ntotal wall time {time.perf_counter() - started:.0f} s; load average now "
        f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
