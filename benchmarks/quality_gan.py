"""How good the GAN lessons' samples are: digit quality by a classifier, and modes of the ring.

The digit GAN is trained through its public lesson class (the code the window runs) on the bundled
mnist-sample (4,500 digits) for `--budget` seconds per architecture; then `--samples` digits are
drawn and judged by the small classifier of benchmarks/digit_classifier.py (trained once, cached
outside the repository):

- confident: the share of samples it classifies with probability > 0.9;
- classes: how many of the 10 digits get at least 5 % of the samples (mode coverage);
- FLD: the Fréchet distance between its 128 features of the samples and of real held-out digits
  (the official MNIST test set beside the repository when present, read in place, else the 500
  bundled held-out digits) — FID with a LeNet in place of Inception.
Real digits are scored the same way as the reference row. "conditional" trains the MLP GAN with
conditional on (G(z, y), D(x, y)) for the same budget and draws the samples asking for y = 0, 1,
…, 9 in turn: besides the three figures, the asked digit hit rate is the share the classifier reads
as the digit asked for (target ¾ of its accuracy on the real digits; chance 0.1). The 2-D GAN is
trained on the ring of 8 Gaussians for `--steps-2d` steps with both generator losses and
`--seeds-2d` seeds; a mode is covered when at least 1/32 of 1,000 samples lie within 3σ of it, and
"quality" is the share of samples within 3σ of some mode.

    python benchmarks/quality_gan.py [--budget 90] [--samples 2000] [--steps-2d 3000] [--seeds-2d 3]
                                     [--threads 1] [--device cpu]
                                     [--only real mlp dcgan conditional ring]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from digit_classifier import OFFICIAL, accuracy, in_chunks, load_classifier

from unsuplab.core.registry import lesson
from unsuplab.core.stepping import train_steps
from unsuplab.data import load_dataset
from unsuplab.data.readers import read_idx
from unsuplab.models.devices import device_label, resolve_device
from unsuplab.models.gan import frechet_distance

CONFIDENT = 0.9
CLASS_SHARE = 0.05
REFERENCE_SIZE = 5000  # official test digits the features of samples are compared with


def reference_images() -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor] | None, str]:
    """(reference digits for the FLD, other real digits and their labels for the real row or
    None, description)."""
    path = OFFICIAL / "t10k-images-idx3-ubyte.gz"
    if path.exists():
        images = torch.as_tensor(read_idx(path)).float().div(255).flatten(1)
        labels = torch.as_tensor(read_idx(OFFICIAL / "t10k-labels-idx1-ubyte.gz")).long()
        return (
            images[:REFERENCE_SIZE],
            (images[REFERENCE_SIZE:], labels[REFERENCE_SIZE:]),
            "official test set",
        )
    data = load_dataset("mnist-sample")
    return torch.as_tensor(data.test_images).flatten(1), None, "500 bundled held-out digits"


def judge(classifier, images: torch.Tensor, reference: torch.Tensor) -> dict[str, float]:
    """Confident share, classes with ≥ 5 % of the images, FLD to the reference digits."""
    probabilities = in_chunks(lambda x: torch.softmax(classifier(x), dim=1), images)
    confidence, label = probabilities.max(dim=1)
    shares = torch.bincount(label, minlength=10).float() / len(images)
    fld = frechet_distance(in_chunks(classifier.features, images), in_chunks(classifier.features, reference))
    return {
        "confident": float((confidence > CONFIDENT).float().mean()),
        "classes": int((shares >= CLASS_SHARE).sum()),
        "fld": float(fld),
    }


def train_for(experiment, seconds: float | None = None, steps: int | None = None) -> tuple[int, float]:
    """Train until the budget (seconds or steps) is spent; (steps, seconds)."""
    start, done = time.perf_counter(), 0
    while (steps is None or done < steps) and (seconds is None or time.perf_counter() - start < seconds):
        train_steps(experiment)
        done += 1
    return done, time.perf_counter() - start


def digit_rows(args, device: str) -> list[tuple]:
    classifier = load_classifier().to(device)
    reference, other_real, described = reference_images()
    reference = reference.to(device)
    note = "official test digits"
    if other_real is None:  # no official set: training digits (the classifier saw them)
        bundled = load_dataset("mnist-sample")
        other_real = torch.as_tensor(bundled.train_images).flatten(1), torch.as_tensor(bundled.train_labels)
        note = "bundled training digits"
    # Real digits, as many as the samples, set the targets: FLD has a bias that grows as the
    # sample shrinks, and a quickly trained classifier is less than certain even of real digits.
    # A fixed random subset: the bundled training digits are stored sorted by label.
    pick = torch.randperm(len(other_real[1]), generator=torch.Generator().manual_seed(0))[: args.samples]
    real_x, real_y = (t[pick].to(device) for t in other_real)
    real = judge(classifier, real_x, reference)
    real["hit_rate"] = accuracy(classifier, real_x, real_y)
    rows = []
    if "real" in args.only:
        rows += _digit_table_rows(f"real ({note})", real, real, len(real_x), "-", 0.0, reference_row=True)
    cls = lesson("gan")
    variants = {"mlp": {}, "dcgan": {"architecture": "dcgan"}, "conditional": {"conditional": True}}
    for name, settings in variants.items():
        if name not in args.only:
            continue
        experiment = cls(dataclasses.replace(cls.Config(), **settings))
        experiment.build(device, 0)
        steps, seconds = train_for(experiment, seconds=args.budget)
        epochs = steps * experiment.config.batch_size / len(experiment.train_x)
        asked = experiment.asked_digits(args.samples)  # 0, 1, …, 9 in turn; None unless conditional
        samples = experiment.generate(args.samples, seed=1, labels=asked)
        scores = judge(classifier, samples, reference)
        if asked is not None:
            scores["hit_rate"] = accuracy(classifier, samples, asked)
        rows += _digit_table_rows(
            f"gan {name}", scores, real, len(experiment.train_x), f"{steps} / {epochs:.1f}", seconds
        )
    print(f"FLD reference: {described}")
    return rows


def _digit_table_rows(
    model: str,
    scores: dict,
    real: dict,
    size: int,
    progress: str,
    seconds: float,
    reference_row: bool = False,
) -> list[tuple]:
    confident, fld, hits = 0.75 * real["confident"], 4 * real["fld"], 0.75 * real["hit_rate"]
    targets = {
        "confident": (f"≥ {confident:.2f} (¾ of real)", scores["confident"] >= confident),
        "classes": ("10 of 10", scores["classes"] == 10),
        "fld": (f"≤ {fld:.0f} (4 × real)", scores["fld"] <= fld),
    }
    if "hit_rate" in scores:  # a conditional model, and the real row (its labels' accuracy)
        targets["hit_rate"] = (f"≥ {hits:.2f} (¾ of real)", scores["hit_rate"] >= hits)
    labels = {
        "confident": f"share with p > {CONFIDENT}",
        "classes": "classes with ≥ 5 %",
        "fld": "Fréchet LeNet distance",
        "hit_rate": "asked digit hit rate",
    }
    return [
        (
            model,
            labels[key],
            f"{scores[key]:.3f}" if key != "classes" else str(scores[key]),
            "reference" if reference_row else target,
            "-" if reference_row else ("yes" if ok else "no"),
            size,
            progress,
            seconds,
        )
        for key, (target, ok) in targets.items()
    ]


def ring_rows(args, device: str) -> list[tuple]:
    cls = lesson("gan-2d")
    rows = []
    for loss in ("non-saturating", "minimax"):
        covered, quality, seconds = [], [], 0.0
        for seed in range(args.seeds_2d):
            experiment = cls(dataclasses.replace(cls.Config(), generator_loss=loss))
            experiment.build(device, seed)
            _, spent = train_for(experiment, steps=args.steps_2d)
            metrics = experiment.evaluate()
            covered.append(metrics["modes_covered"])
            quality.append(metrics["high_quality"])
            seconds += spent
        mean_covered = sum(covered) / len(covered)
        size, progress = len(experiment.train_x), f"{args.steps_2d} × {args.seeds_2d} seeds"
        rows.append(
            (
                f"gan-2d ring {loss}",
                "modes covered (of 8)",
                f"{mean_covered:.2f} {tuple(covered)}",
                "8",
                "yes" if min(covered) == 8 else "no",
                size,
                progress,
                seconds,
            )
        )
        rows.append(
            (
                f"gan-2d ring {loss}",
                "share within 3σ of a mode",
                f"{sum(quality) / len(quality):.3f}",
                "≥ 0.5",
                "yes" if min(quality) >= 0.5 else "no",
                size,
                progress,
                seconds,
            )
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=90.0, help="training seconds per digit GAN")
    parser.add_argument("--samples", type=int, default=2000, help="generated digits judged")
    parser.add_argument("--steps-2d", type=int, default=3000, help="training steps per ring run")
    parser.add_argument("--seeds-2d", type=int, default=3, help="ring runs per generator loss")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--only",
        nargs="+",
        default=["real", "mlp", "dcgan", "conditional", "ring"],
        choices=["real", "mlp", "dcgan", "conditional", "ring"],
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    print(f"device: {device_label(device)}   load average: {os.getloadavg()[0]:.1f}")
    rows = digit_rows(args, device) if set(args.only) - {"ring"} else []
    if "ring" in args.only:
        rows += ring_rows(args, device)
    header = (
        "model",
        "figure",
        "value",
        "anchor / target",
        "reached?",
        "data size",
        "steps / epochs",
        "seconds",
    )
    cells = [header] + [
        tuple(str(c) if not isinstance(c, float) else f"{c:.1f}" for c in row) for row in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for row in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
