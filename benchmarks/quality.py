"""How well the autoencoder lessons learn: held-out figures beside the course's and the papers'.

Each lesson is trained through its public experiment class (the same code the window runs) on
what a user trains on, the bundled mnist-sample (4,500 train / 500 held out), for a fixed budget
of training seconds per model. Every few seconds the held-out figures are measured, so the table
can say when each target was first reached. Where the official MNIST test set lies in
../shared/data/mnist/ (t10k-images-idx3-ubyte.gz), each final model is also measured on its
10,000 digits. Prints one table per family; never fails on time or on a missed target.

    python benchmarks/quality.py [--budget 70] [--device cpu] [--eval-every 2] [--threads N]

With `--dataset mnist` (the 60,000 training digits, found offline through UNSUPLAB_DATA) the
figures are measured on the official 10,000 test digits and the budget is in epochs (each run's
own, the course's where it has one, or --epochs), so the result does not depend on how loaded the
machine is; the tables give the CPU minutes (process time) each model took. `--validate` trains
on 90 % of the training set and measures on the other 10 % instead: settings are chosen there,
never on the test digits.

    python benchmarks/quality.py --dataset mnist --threads 1 [--epochs N] [--eval-epochs 2] [--validate]

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
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tables import print_table  # this folder's own helper: the scripts run from here

from unsuplab.core.config import with_overrides
from unsuplab.core.experiment import Experiment
from unsuplab.core.registry import lesson
from unsuplab.data import load_dataset
from unsuplab.data.readers import read_idx
from unsuplab.data.splits import validation_split
from unsuplab.models.devices import device_label, resolve_device

FULL_MNIST = "mnist"

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
    family: str  # runs of one family share a table (sparse beside plain)
    lesson: str
    overrides: dict[str, Any]
    metrics: list[Metric]
    note: str = ""
    #: This model's share of --budget: slow learners (conv, deep) get more, models that reach
    #: their targets in seconds get less, so the default run stays near 10 minutes on 2 cores.
    budget_scale: float = 1.0
    #: Its budget on full MNIST, in epochs of 60,000 digits: the course's where it gives one.
    epochs: float = 10.0


@dataclass(frozen=True)
class Budget:
    """How long every run trains and how often it is measured: seconds of training (a quick
    look on the bundled sample), or epochs (full MNIST: a figure that does not depend on the
    machine's load). `amount` None: each run's own number of epochs."""

    amount: float | None
    every: float
    in_epochs: bool

    def total(self, run: Run) -> float:
        if not self.in_epochs:
            return self.amount * run.budget_scale
        return run.epochs if self.amount is None else self.amount


@dataclass(frozen=True)
class Point:
    """One measurement: training spent so far (wall and CPU seconds, samples) and the figure."""

    seconds: float
    cpu_seconds: float
    samples: int
    value: float


@dataclass
class Outcome:
    """What a run gave: the figures over time, and the final ones."""

    history: dict[str, list[Point]] = field(default_factory=dict)
    heldout: dict[str, float] = field(default_factory=dict)
    test: dict[str, float] = field(default_factory=dict)
    samples: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # process time: honest on a machine other jobs are using
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
            "dense",
            "autoencoder",
            {},
            [
                Metric("held-out BCE/pixel", bce, "0.11 Keras 2016", 0.11),
                Metric("held-out BCE/pixel", bce, "≤ 0.092 (~0.09 Keras+Adam)", 0.092),
            ],
            "784-32-784 relu/sigmoid, lesson defaults (batch 256, Adam 1e-3, λ 1e-5)",
            epochs=50,  # the course's Keras run
        ),
        Run(
            "dense-keras",
            "dense",
            "autoencoder",
            {"weight_decay": 0.0},
            [Metric("held-out BCE/pixel", bce, "≤ 0.092 (~0.09 Keras+Adam)", 0.092)],
            "the course's Keras model exactly: lesson defaults without weight decay (λ = 0)",
            epochs=50,
        ),
        Run(
            "conv",
            "conv",
            "conv-autoencoder",
            {},
            [
                Metric("held-out BCE/pixel", bce, "0.094 slide", 0.094),
                Metric("BCE below dense AE's", bce, "0.094 < 0.11", "dense/held-out BCE/pixel"),
            ],
            "Keras conv AE (8x4x4 code), lesson defaults (batch 128, Adam 1e-3)",
            2.0,
            epochs=10,  # the course's 50 would take about 20 CPU minutes
        ),
        Run(
            "plain",
            "sparse vs plain",
            "sparse-autoencoder",
            {**sparse_like_keras, "sparsity_beta": 0.0},
            [
                Metric("held-out MSE/pixel", mse, "0.0318 simple", 0.0318),
                Metric("mean activation", mean_activation, "7.30 Keras blog"),
            ],
            "sparse-autoencoder with beta=0: 784-32 relu, batch 128, Adam 1e-3, no weight decay",
            0.5,
            epochs=50,
        ),
        Run(
            "sparse",
            "sparse vs plain",
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
            epochs=50,
        ),
        Run(
            "deep",
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
            epochs=10,
        ),
        Run(
            "linear",
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
            epochs=5,
        ),
    ]


# --- training ------------------------------------------------------------------------------------


def sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def train(run: Run, device: str, budget: Budget, seed: int, official: torch.Tensor | None) -> Outcome:
    """Train for the run's budget, measuring the held-out figures every `budget.every` seconds or
    epochs (measuring is not counted in the time)."""
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
    total, done, steps = budget.total(run), 0.0, 0
    while done < total:
        segment = min(budget.every, total - done)
        sync(device)
        start, cpu_start = time.perf_counter(), time.process_time()
        if budget.in_epochs:
            segment_steps = round((done + segment) * outcome.train_size / per_step)
            while steps < segment_steps:
                experiment.train_step()
                steps += 1
        else:
            while time.perf_counter() < start + segment:
                experiment.train_step()
                steps += 1
        sync(device)
        outcome.seconds += time.perf_counter() - start
        outcome.cpu_seconds += time.process_time() - cpu_start
        outcome.samples = steps * per_step
        done = done + segment if budget.in_epochs else outcome.seconds
        for name, measure in {m.name: m.measure for m in run.metrics}.items():  # one per figure
            value = measure(experiment, experiment.test_x, experiment.test_input)
            point = Point(outcome.seconds, outcome.cpu_seconds, outcome.samples, value)
            outcome.history.setdefault(name, []).append(point)
            if budget.in_epochs:  # long runs: a line per measurement, so a cut-off run still tells
                print(
                    f"  {run.key} epoch {point.samples / outcome.train_size:.3g}: {name} {fmt(value)} "
                    f"(CPU {point.cpu_seconds / 60:.1f} min, wall {point.seconds:.0f} s)",
                    flush=True,
                )
    outcome.heldout = {name: points[-1].value for name, points in outcome.history.items()}
    if official is not None:
        x = official.to(experiment.device)
        x_in = experiment.corrupt(x, torch.Generator(device=experiment.device).manual_seed(seed + 1))
        outcome.test = {m.name: m.measure(experiment, x, x_in) for m in run.metrics if m.on_test}
    return outcome


def validation_file(dataset: str, folder: Path) -> Path:
    """The data set's training part split into a part to fit and a validation part
    (`splits.validation_split`), written as a Keras mnist.npz: with it as their `data_file` the
    lessons train on the first and are measured on the second, and the test digits stay unseen."""
    fit, val_images, val_labels = validation_split(load_dataset(dataset))
    path = folder / f"{dataset}-validation.npz"
    np.savez(
        path,
        x_train=as_bytes(fit.train_images),
        y_train=fit.train_labels,
        x_test=as_bytes(val_images),
        y_test=val_labels,
    )
    return path


def as_bytes(images: np.ndarray) -> np.ndarray:
    """Grey levels 0–255 of images stored as level / 255 (exactly the bytes they were read from)."""
    return np.round(images * 255).astype(np.uint8)


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


def first_reached(points: list[Point], threshold: float, below: bool) -> Point | None:
    return next((point for point in points if meets(point.value, threshold, below)), None)


def fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.4f}" if abs(value) < 1 else f"{value:.2f}"


def table_header(heldout: str, official: bool) -> list[str]:
    figures = [f"ours: {heldout}", *(["ours: official 10k"] if official else [])]
    return ["model", "metric", *figures, "anchor / target", "reached?", "epochs", "CPU min", "wall s"]


def table_rows(run: Run, outcome: Outcome, outcomes: dict[str, Outcome], official: bool) -> list[list[str]]:
    rows = []
    for metric in run.metrics:
        model = f"{run.key} ({run.lesson})"
        figures_width = 2 if official else 1
        if outcome.missing:
            rows.append(
                [model, metric.name, outcome.missing, *[""] * figures_width, metric.anchor, *[""] * 4]
            )
            continue
        threshold = threshold_of(metric, outcomes)
        reached = "—"
        end = Point(outcome.seconds, outcome.cpu_seconds, outcome.samples, outcome.heldout[metric.name])
        at = end
        anchor = metric.anchor
        if threshold is not None:
            hit = first_reached(outcome.history[metric.name], threshold, metric.below)
            if isinstance(metric.threshold, str):
                anchor += f" [{'≤' if metric.below else '≥'} {fmt(threshold)}]"
            if hit is None:
                reached = "no"
            else:
                # "lost": reached once, then drifted back (overfitting 4,500 digits) by the end.
                reached = "yes" if meets(end.value, threshold, metric.below) else "lost"
                at = hit
        figures = [fmt(end.value), *([fmt(outcome.test.get(metric.name))] if official else [])]
        epochs = at.samples / outcome.train_size
        rows.append(
            [
                model,
                metric.name,
                *figures,
                anchor,
                reached,
                f"{epochs:.1f}",
                f"{at.cpu_seconds / 60:.1f}",
                f"{at.seconds:.0f}",
            ]
        )
    return rows


def curve(run: Run, outcome: Outcome) -> str:
    """The run's first figure at every measurement: "dense: held-out BCE/pixel at epochs 2: 0.15, …"."""
    name = run.metrics[0].name
    points = outcome.history.get(name, [])
    values = ", ".join(f"{p.samples / outcome.train_size:.3g}: {fmt(p.value)}" for p in points)
    return f"{run.key}: {name} at epochs {values}"


def print_family_table(
    runs_of_family: list[Run], outcomes: dict[str, Outcome], heldout: str, official: bool
) -> None:
    """One family's table (sparse beside plain), then its runs' curves and settings."""
    print(f"\n{runs_of_family[0].family}")
    rows = [row for run in runs_of_family for row in table_rows(run, outcomes[run.key], outcomes, official)]
    print_table(table_header(heldout, official), rows)
    for run in runs_of_family:
        if not outcomes[run.key].missing:
            print(curve(run, outcomes[run.key]))
        print(f"{run.key}: {run.note}", flush=True)


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


def parse_args(available: dict[str, Path]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=f"other suites: {', '.join(available) or 'none'} (python benchmarks/quality.py SUITE --help)",
    )
    parser.add_argument(
        "--budget", type=float, default=70.0, help="training seconds per model (measuring excluded)"
    )
    parser.add_argument(
        "--epochs",
        type=float,
        help="training epochs per model instead of seconds (default with --dataset mnist: each "
        "model's own, the course's where it gives one)",
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    parser.add_argument(
        "--eval-every", type=float, default=2.0, help="training seconds between held-out measurements"
    )
    parser.add_argument(
        "--eval-epochs", type=float, default=2.0, help="epochs between measurements of an epoch budget"
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
        help="data set every run trains on: mnist-sample (bundled), or mnist (the 60,000 training "
        "digits; offline from the folder named by UNSUPLAB_DATA, or the download cache)",
    )
    parser.add_argument(
        "--validate",
        action="store_true",
        help="train on 90 %% of the training set and measure on the other 10 %% (for choosing "
        "settings: the test digits are never used)",
    )
    return parser.parse_args()


def main() -> None:
    available = suites()
    if len(sys.argv) > 1 and sys.argv[1] in available:
        run_suite(available[sys.argv[1]], sys.argv[2:])
        return
    args = parse_args(available)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    started, cpu_started = time.perf_counter(), time.process_time()
    in_epochs = args.epochs is not None or args.dataset == FULL_MNIST
    budget = Budget(
        args.epochs if in_epochs else args.budget,
        args.eval_epochs if in_epochs else args.eval_every,
        in_epochs,
    )
    # Full MNIST's held-out part is the official test set already; the validation part is not it.
    official = load_official_test() if args.dataset != FULL_MNIST and not args.validate else None
    heldout = (
        "validation" if args.validate else "test 10k" if args.dataset == FULL_MNIST else "sample held-out"
    )
    print(
        f"device: {device_label(device)}; {os.cpu_count()} cores; torch threads "
        f"{torch.get_num_threads()}; load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}"
        f"{' (busy: try --threads 1)' if not args.threads and os.getloadavg()[0] > 1.5 else ''}"
    )
    if args.validate:
        measured_on = "measured on 10 % of its training part set aside (the test digits unused)"
    elif args.dataset == FULL_MNIST:
        measured_on = "measured on its official 10,000 test digits"
    else:
        found = f"{len(official):,} digits from {OFFICIAL_TEST}" if official is not None else "absent"
        measured_on = f"measured on its held-out part; official test: {found}"
    print(f"data: {args.dataset}, {measured_on}")
    if in_epochs:
        amount = f"{args.epochs:g} epochs" if args.epochs is not None else "each model's own epochs"
        print(f"budget: {amount} of training, measured every {args.eval_epochs:g} epochs")
    else:
        print(
            f"budget {args.budget:g} s of training per model (x0.5 for plain, sparse and linear, "
            f"x2 conv, x3 deep), held-out measured every {args.eval_every:g} s"
        )
    print(
        "epochs, CPU min (process time, measuring excluded) and wall s are when the target was "
        "first reached, else at the end of the budget; reached? yes: met at the end; lost: met "
        "once but not at the end; no: never",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as folder:
        data = {"data_file": str(validation_file(args.dataset, Path(folder)))} if args.validate else {}
        chosen = [
            dataclasses.replace(r, overrides={**r.overrides, "dataset": args.dataset, **data})
            for r in runs()
            if not args.only or r.key in args.only
        ]
        outcomes: dict[str, Outcome] = {}
        for family in dict.fromkeys(run.family for run in chosen):
            members = [run for run in chosen if run.family == family]
            for run in members:
                try:
                    outcomes[run.key] = train(run, device, budget, args.seed, official)
                except Exception as exc:  # noqa: BLE001 - a lesson still landing must not take the other rows down
                    outcomes[run.key] = Outcome(missing=f"failed: {type(exc).__name__}: {exc}"[:60])
            print_family_table(members, outcomes, heldout, official is not None)
    print(
        f"\ntotal wall time {time.perf_counter() - started:.0f} s, CPU "
        f"{(time.process_time() - cpu_started) / 60:.1f} min; load average now "
        f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
