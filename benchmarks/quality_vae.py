"""How well the `vae` lesson models binarised MNIST: held-out negative ELBO and an importance-weighted
negative log-likelihood, in nats per image, for latent sizes 2, 10 and 20.

Each model is the lesson's own (784-512-d-512-784, Adam 1e-3, batch 128) trained through its public
experiment class for a budget of seconds on `--data` (the bundled mnist-sample by default: 4,500
training digits). Binarisation is the lesson's "dynamic" protocol: every training minibatch draws
x_j ~ Bernoulli(grey_j) afresh; the 500 held-out digits, and the official 10,000 test digits when
../shared/data/mnist/t10k-images-idx3-ubyte.gz is present (read in place, for evaluation only), are
binarised once with a fixed seed. The figures are per image, summed over the 784 pixels:

    −ELBO = −Σ_j log p(x_j | z) + KL(q(z|x) ‖ N(0, I)),   averaged over --elbo-samples draws of z
    NLL_K = −log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x),    K = --iw-samples (Burda et al. 2016)

NLL_K ≤ −ELBO and is the figure comparable to the anchor: about 86.8 nats for a VAE with 50 latent
units trained on all 60,000 digits for ~3,300 epochs (Burda, Grosse & Salakhutdinov 2016, table 1,
"VAE, 1 stochastic layer", k = 1 training, NLL estimated with k = 5000). A model trained for a
minute on 4,500 digits will not reach it; the table says how far it is.

Conditional (unless --no-conditional): the lesson with conditional on (q(z|x, y), p(x|z, y), d = 2
by default) is trained for the same budget; --samples digits are decoded from z ~ N(0, I) with
y = 0, 1, …, 9 in turn and the small LeNet of benchmarks/digit_classifier.py (trained once on the
bundled digits, cached outside the repository) reads each: the asked digit hit rate is the share
read as the digit asked for, beside the same classifier's accuracy on real held-out digits as the
reference (target: ¾ of it; chance is 0.1). Never fails.

    python benchmarks/quality.py vae [--budget 50] [--latents 2 10 20] [--iw-samples 1000]
    python benchmarks/quality_vae.py [--budget 50] [--dataset mnist-sample] [--threads 1] [--device cpu]
                                     [--conditional-latent 2] [--samples 2000] [--no-conditional]

With `--dataset mnist` (the 60,000 training digits, found offline through UNSUPLAB_DATA) the
figures are on the official 10,000 test digits (the lesson's own held-out part), the budget is in
epochs (`--epochs`, default 30) so it does not depend on the machine's load, the target is
NLL_K ≤ 95 nats, and the curve of NLL_K (K = --curve-iw-samples, the first --iw-images test
digits) is printed every --eval-epochs epochs with the CPU minutes (process time) spent so far.

    python benchmarks/quality.py vae --dataset mnist --latents 20 --threads 1 [--epochs 30] [--eval-epochs 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tables import print_table  # this folder's own helper: the scripts run from here

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digit_classifier import accuracy, load_classifier

from unsuplab.core.config import with_overrides
from unsuplab.core.registry import lesson
from unsuplab.data import load_dataset
from unsuplab.data.readers import read_idx
from unsuplab.experiments.vae import BINARISE_SEED
from unsuplab.models.devices import device_label, resolve_device
from unsuplab.models.vae import bernoulli_nll, gaussian_kl, importance_weighted_nll, reparameterise

VAE_HEADER = [
    "figure",
    "ours (nats)",
    "anchor / target",
    "reached?",
    "train digits",
    "epochs / steps",
    "CPU min",
    "wall s",
]

REPO = Path(__file__).resolve().parents[1]
OFFICIAL_TEST = REPO.parent / "shared" / "data" / "mnist" / "t10k-images-idx3-ubyte.gz"
ANCHOR = 86.76  # nats, Burda et al. 2016, VAE with one stochastic layer of 50 units
FULL_MNIST = "mnist"
FULL_MNIST_TARGET = 95.0  # nats: the target for 60,000 digits and 30 CPU minutes
CHUNK = 1000


def load_official_test() -> torch.Tensor | None:
    """The official 10,000 MNIST test digits, binarised once with the lesson's fixed seed."""
    if not OFFICIAL_TEST.exists():
        return None
    grey = read_idx(OFFICIAL_TEST).reshape(-1, 784).astype(np.float32) / 255.0
    rng = np.random.default_rng(BINARISE_SEED)
    return torch.as_tensor((rng.random(grey.shape, dtype=np.float32) < grey).astype(np.float32))


@torch.no_grad()
def negative_elbo(model, x: torch.Tensor, draws: int, generator: torch.Generator) -> float:
    """−ELBO per image in nats, averaged over images and `draws` samples z ~ q(z|x)."""
    total = 0.0
    for start in range(0, len(x), CHUNK):
        part = x[start : start + CHUNK]
        mean, log_variance = model.posterior(part)
        for _ in range(draws):
            eps = torch.randn(mean.shape, generator=generator, device=mean.device)
            z = reparameterise(mean, log_variance, eps)
            total += float(
                (bernoulli_nll(model.decode_logits(z), part) + gaussian_kl(mean, log_variance)).sum()
            )
    return total / (len(x) * draws)


@dataclass
class Progress:
    """The lesson after some training: steps taken, wall and CPU (process) seconds spent."""

    experiment: Any
    steps: int
    seconds: float
    cpu_seconds: float

    @property
    def epochs(self) -> float:
        return self.steps * self.experiment.config.batch_size / len(self.experiment.train_x)


def train(
    latent: int,
    data: str,
    budget: float,
    every: float,
    in_epochs: bool,
    device: str,
    seed: int,
    conditional: bool = False,
):
    """The vae lesson with latent size `latent`, trained for `budget` seconds or epochs; yields its
    `Progress` after every `every` of them (measuring in between is not counted)."""
    cls = lesson("vae")
    settings = {"code_size": latent, "dataset": data, "binarise": "dynamic", "conditional": conditional}
    experiment = cls(with_overrides(cls.Config(), settings))
    experiment.build(device, seed)
    progress = Progress(experiment, 0, 0.0, 0.0)
    steps_per_epoch = len(experiment.train_x) / experiment.config.batch_size
    done = 0.0
    while done < budget:
        segment = min(every, budget - done)
        start, cpu_start = time.perf_counter(), time.process_time()
        if in_epochs:
            end_step = round((done + segment) * steps_per_epoch)
            while progress.steps < end_step:
                experiment.train_step()
                progress.steps += 1
        else:
            while time.perf_counter() - start < segment:
                for _ in range(50):  # check the clock every 50 steps; one sync per check on a GPU
                    experiment.train_step()
                progress.steps += 50
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        progress.seconds += time.perf_counter() - start
        progress.cpu_seconds += time.process_time() - cpu_start
        done = done + segment if in_epochs else progress.seconds
        yield progress


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=50.0, help="training seconds per latent size")
    parser.add_argument(
        "--epochs",
        type=float,
        help="training epochs per latent size instead of seconds (default 30 with --dataset mnist)",
    )
    parser.add_argument("--eval-epochs", type=float, default=5.0, help="epochs between points of the curve")
    parser.add_argument("--latents", type=int, nargs="+", default=[2, 10, 20])
    parser.add_argument(
        "--dataset",
        "--data",
        default="mnist-sample",
        help="the lesson's dataset setting: mnist-sample (bundled), or mnist (the 60,000 training "
        "digits; offline from the folder named by UNSUPLAB_DATA, or the download cache)",
    )
    parser.add_argument("--elbo-samples", type=int, default=10, help="draws of z per image for −ELBO")
    parser.add_argument("--iw-samples", type=int, default=1000, help="K of the importance-weighted NLL")
    parser.add_argument(
        "--curve-iw-samples", type=int, default=100, help="K of the NLL_K on the curve (epoch budgets)"
    )
    parser.add_argument(
        "--iw-images",
        type=int,
        default=500,
        help="official test digits given the NLL_K estimate (its cost is K × images)",
    )
    parser.add_argument("--conditional-latent", type=int, default=2, help="d of the conditional VAE")
    parser.add_argument("--samples", type=int, default=2000, help="conditional samples the classifier reads")
    parser.add_argument("--no-conditional", action="store_true", help="leave out the conditional VAE")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, mps or auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    started, cpu_started = time.perf_counter(), time.process_time()
    full = args.dataset == FULL_MNIST
    in_epochs = args.epochs is not None or full
    budget = (args.epochs or 30.0) if in_epochs else args.budget
    # Full MNIST's held-out part is the official test set, binarised the same way.
    official = None if full else load_official_test()
    target = FULL_MNIST_TARGET if full else ANCHOR
    print(
        f"device: {device_label(device)}; {os.cpu_count()} cores; torch threads "
        f"{torch.get_num_threads()}; load average {', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )
    found = f"{len(official):,} digits from {OFFICIAL_TEST}" if official is not None else "not measured apart"
    print(f"data: {args.dataset}; official test: {found}")
    unit = "epochs" if in_epochs else "s"
    print(
        f"budget: {budget:g} {unit} of training per latent size; target NLL_K ≤ {target:g} nats", flush=True
    )

    rows = []
    for latent in args.latents:
        every = args.eval_epochs if in_epochs else budget
        for progress in train(latent, args.dataset, budget, every, in_epochs, device, args.seed):
            if in_epochs:
                print(curve_point(latent, progress, args), flush=True)
        experiment = progress.experiment
        generator = torch.Generator(device=experiment.device).manual_seed(args.seed)
        model = experiment.model
        train_size = len(experiment.train_x)
        done = [f"{train_size:,}", f"{progress.epochs:.0f} / {progress.steps:,}"]
        spent = [f"{progress.cpu_seconds / 60:.1f}", f"{progress.seconds:.0f}"]
        where = [("test 10k" if full else "held-out", experiment.test_x)]
        if official is not None:
            where.append(("official 10k", official.to(experiment.device)))
        for name, x in where:
            figure = f"d={latent}: −ELBO, {name} ({len(x):,})"
            value = negative_elbo(model, x, args.elbo_samples, generator)
            rows.append(
                [figure, f"{value:.1f}", f"{ANCHOR} (NLL, d=50)", _reached(value, target), *done, *spent]
            )
        x, name = where[-1][1][: args.iw_images], where[-1][0]
        value = float(importance_weighted_nll(model, x, args.iw_samples, generator).mean())
        anchor = f"{ANCHOR}" + (f"; ≤ {target:g}" if full else "")
        rows.append(
            [
                f"d={latent}: NLL_K K={args.iw_samples}, {name} (first {len(x):,})",
                f"{value:.1f}",
                anchor,
                _reached(value, target),
                *done,
                *spent,
            ]
        )
    print_table(VAE_HEADER, rows)
    print(
        "nats per image, summed over 784 pixels; −ELBO ≥ NLL_K ≥ −log p(x). Anchor: Burda et al. "
        "2016, 60,000 training digits, 3,280 epochs. CPU min: process time of training."
    )
    if not args.no_conditional:
        print_table(HIT_HEADER, conditional_rows(args, device))
        print(
            "asked digit hit rate: the share of samples the LeNet reads as the digit asked for; chance 0.1."
        )
    print(
        f"total wall time {time.perf_counter() - started:.0f} s, CPU "
        f"{(time.process_time() - cpu_started) / 60:.1f} min; load average now "
        f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )


HIT_HEADER = ["figure", "ours", "reference / target", "reached?", "train digits", "epochs / steps", "seconds"]


def conditional_rows(args, device: str) -> list[list[str]]:
    """The conditional VAE's asked digit hit rate, judged by the benchmark's digit classifier."""
    full = args.dataset == FULL_MNIST
    budget = (args.epochs or 30.0) if args.epochs is not None or full else args.budget
    *_, progress = train(
        args.conditional_latent,
        args.dataset,
        budget,
        budget,
        args.epochs is not None or full,
        device,
        args.seed,
        conditional=True,
    )  # trained to the end of its budget
    experiment, steps, seconds = progress.experiment, progress.steps, progress.seconds
    classifier = load_classifier().to(experiment.device)
    generator = torch.Generator(device=experiment.device).manual_seed(args.seed)
    asked = torch.arange(args.samples, device=experiment.device) % experiment.classes
    hit_rate = accuracy(classifier, experiment.sample(args.samples, generator, asked), asked)
    real_x = torch.as_tensor(load_dataset(args.dataset).test_images, device=experiment.device).flatten(1)
    real = accuracy(classifier, real_x, experiment.test_y)
    target = 0.75 * real
    train_size = len(experiment.train_x)
    epochs = steps * experiment.config.batch_size / train_size
    common = [f"{train_size:,}", f"{epochs:.0f} / {steps:,}", f"{seconds:.0f}"]
    return [
        [f"real held-out digits ({len(real_x)})", f"{real:.3f}", "reference", "-", "-", "-", "-"],
        [
            f"conditional d={args.conditional_latent}: asked digit hit rate ({args.samples:,})",
            f"{hit_rate:.3f}",
            f"≥ {target:.2f} (¾ of real)",
            "yes" if hit_rate >= target else "no",
            *common,
        ],
    ]


def curve_point(latent: int, progress: Progress, args: argparse.Namespace) -> str:
    """One point of the NLL-vs-epochs curve, on the first --iw-images test digits."""
    experiment = progress.experiment
    generator = torch.Generator(device=experiment.device).manual_seed(args.seed)
    x = experiment.test_x[: args.iw_images]
    part = "test" if args.dataset == FULL_MNIST else "held-out"
    nll = float(importance_weighted_nll(experiment.model, x, args.curve_iw_samples, generator).mean())
    return (
        f"d={latent} epoch {progress.epochs:.3g}: NLL_K K={args.curve_iw_samples} {nll:.1f} nats "
        f"(first {len(x):,} {part} digits); CPU {progress.cpu_seconds / 60:.1f} min, "
        f"wall {progress.seconds:.0f} s"
    )


def _reached(value: float, target: float) -> str:
    return "yes" if value <= target else f"no (+{value - target:.1f})"


if __name__ == "__main__":
    main()
