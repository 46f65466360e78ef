"""Quality of the application lessons: semi-supervised error, anomaly AUC per digit, retrieval
precision@10, each trained through its public lesson class (the code the window runs).

    python benchmarks/quality_applications.py [--budget 200] [--device cpu] [--threads 1]
        [--only semi anomaly retrieval] [--feature-model deep-autoencoder] [--jitter 0.5]

`--budget` is the total training time in seconds, shared 45 % / 30 % / 25 % by the three parts
(anomaly detection splits its share over the ten digits; the semi-supervised part trains twice
for its share, once without jitter and once with). Figures are on the 500 held-out digits
of the bundled sample and, where ../shared/data/mnist/ holds the official test set, on its 10,000
digits (read in place for evaluation only).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from unsuplab.core.registry import lesson
from unsuplab.core.stepping import train_steps

OFFICIAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"
RETRIEVAL_QUERIES = 2000  # official test digits used as queries (the database is 4,500 images)


def official_test(device: str) -> tuple[torch.Tensor, np.ndarray] | None:
    """The official MNIST test set as flattened images on `device` and labels, if present."""
    images_path = OFFICIAL / "t10k-images-idx3-ubyte.gz"
    if not images_path.exists():
        return None
    from unsuplab.data.readers import read_idx_pair

    images, labels = read_idx_pair(images_path, OFFICIAL / "t10k-labels-idx1-ubyte.gz")
    return torch.as_tensor(images.reshape(len(images), -1), device=device), labels


def train_for(experiment, seconds: float, until=lambda: False) -> int:
    """Train until `seconds` have passed or `until()` holds; the number of steps taken."""
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds and not until():
        train_steps(experiment)
        steps += 1
    return steps


def semi_supervised(args, test) -> list[list[object]]:
    """Error with 10 labels per class: pixels, then the codes of a plain autoencoder (ν = 0) and
    of a jittered one (the lesson's default), each trained for 45 % of the budget."""
    rows = []
    for jitter in (0.0, args.jitter):
        rows += semi_supervised_run(args, test, jitter, with_pixels=not rows)
    return rows


def semi_supervised_run(args, test, jitter: float, with_pixels: bool) -> list[list[object]]:
    cls = lesson("semi-supervised")
    labels = 10
    experiment = cls(
        cls.Config(
            feature_model=args.feature_model,
            labels_per_class=labels,
            jitter=jitter,
            fine_tune_steps=300,
            pretrain_steps=10_000_000,
        )
    )
    experiment.build(args.device, 0)
    start = time.perf_counter()
    # Stage 1 for the budget, then the classifier runs and fine-tuning to completion.
    steps = train_for(experiment, args.budget * 0.45)
    experiment.config.pretrain_steps = experiment.step
    train_for(experiment, 600, until=lambda: labels in experiment.fine_tuned)
    seconds = time.perf_counter() - start
    held_out = experiment.evaluate()
    official = {}
    if test is not None:
        x, y = test
        for name in ("codes", "pixels"):
            official[name] = 100 * float((experiment.predict(x, labels, name).cpu().numpy() != y).mean())
    size = f"{len(experiment.features.train_x)} unlabelled, {10 * labels} labelled"
    pixel_error = official.get("pixels", 100 - held_out["heldout_accuracy_pixels"])
    rows = []
    names = [("pixels", "pixels", "≈ 25 % (plain net, 100 labels)")] if with_pixels else []
    names.append(
        (
            "codes",
            f"codes ({args.feature_model}, jitter ν = {jitter:g})",
            "≤ 15 % and ≥ 10 points under pixels (lit. ≈ 12 %)",
        )
    )
    for name, title, target in names:
        error = 100 - held_out[f"heldout_accuracy_{name}"]
        test_error = official.get(name)
        reached = ""
        if name == "codes":
            ours = test_error if test_error is not None else error
            reached = "yes" if ours <= 15 and pixel_error - ours >= 10 else "no"
        rows.append(
            [
                f"semi-supervised error, {title}",
                f"{error:.1f} %",
                "" if test_error is None else f"{test_error:.1f} %",
                target,
                reached,
                size,
                steps,
                f"{seconds:.0f}",
            ]
        )
    tuned = 100 - held_out["heldout_accuracy_fine_tuned"]
    rows.append(
        [
            f"semi-supervised error, same codes fine-tuned (ν = {jitter:g})",
            f"{tuned:.1f} %",
            "",
            "(lower)",
            "",
            size,
            steps + 300,
            f"{seconds:.0f}",
        ]
    )
    return rows


def anomaly(args, test) -> list[list[object]]:
    """AUC for each digit left out, with both of the lesson's scores from the same autoencoder:
    squared error, then relative error (per unit of ink)."""
    from sklearn.metrics import roc_auc_score

    cls = lesson("anomaly-detection")
    rows = []
    for digit in range(10):
        experiment = cls(cls.Config(anomaly=f"digit {digit}"))
        experiment.build(args.device, 0)
        start = time.perf_counter()
        steps = train_for(experiment, args.budget * 0.30 / 10)
        seconds = time.perf_counter() - start
        held_out, official = [], []
        for score in ("squared error", "relative error"):
            experiment.set_live("score", score)
            held_out.append(experiment.evaluate()["heldout_auc"])
            if test is not None:
                x, y = test
                official.append(roc_auc_score(y == digit, experiment.score(x).cpu().numpy()))
        rows.append(
            [
                f"anomaly AUC, digit {digit} left out (squared / relative)",
                " / ".join(f"{auc:.3f}" for auc in held_out),
                " / ".join(f"{auc:.3f}" for auc in official),
                "> 0.5 (chance)",
                "yes" if held_out[0] > 0.5 else "no",
                f"{len(experiment.features.train_x)} normal",
                steps,
                f"{seconds:.0f}",
            ]
        )
    return rows


def retrieval(args, test) -> list[list[object]]:
    from unsuplab.experiments.image_retrieval import nearest

    cls = lesson("image-retrieval")
    experiment = cls(cls.Config(feature_model=args.feature_model, jitter=args.jitter))
    experiment.build(args.device, 0)
    start = time.perf_counter()
    steps = train_for(experiment, args.budget * 0.25)
    seconds = time.perf_counter() - start
    metrics = experiment.evaluate()
    official = {}
    if test is not None:
        x, y = test[0][:RETRIEVAL_QUERIES], test[1][:RETRIEVAL_QUERIES]
        with torch.no_grad():
            queries, database = experiment.represent(x), experiment.database()
        for name in ("pixels", "codes", "bits"):
            found = nearest(queries[name], database[name], 10).cpu().numpy()
            official[name] = 100 * float((experiment.database_labels[found] == y[:, None]).mean())
    rows = []
    for name, title in (
        ("pixels", "pixels"),
        ("codes", f"{args.feature_model} codes"),
        ("bits", f"{experiment.config.code_bits}-bit hash (Hamming)"),
    ):
        ours = metrics[f"heldout_precision_{name}"]
        rows.append(
            [
                f"precision@10, {title}",
                f"{ours:.1f} %",
                f"{official[name]:.1f} %" if name in official else "",
                "codes ≥ pixels" if name == "codes" else "",
                "yes" if name == "codes" and ours >= metrics["heldout_precision_pixels"] else "",
                f"{len(experiment.database_x)} in the database",
                steps,
                f"{seconds:.0f}",
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--budget", type=float, default=200.0, help="total training seconds over the three parts"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=("semi", "anomaly", "retrieval"),
        default=("semi", "anomaly", "retrieval"),
    )
    parser.add_argument(
        "--jitter",
        type=float,
        default=0.5,
        help="jitter ν of the semi-supervised lesson's second run (the first: 0)",
    )
    parser.add_argument(
        "--feature-model",
        default="deep-autoencoder",
        help="autoencoder lesson for the codes (semi-supervised, retrieval)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    test = official_test(args.device)
    print(
        f"load average {os.getloadavg()[0]:.2f}; official test set: "
        f"{'yes' if test is not None else 'not found'}; device {args.device}"
    )
    parts = {"semi": semi_supervised, "anomaly": anomaly, "retrieval": retrieval}
    rows = [row for name in args.only for row in parts[name](args, test)]
    header = [
        "figure",
        "held-out",
        "official test",
        "anchor / target",
        "reached?",
        "data size",
        "steps",
        "seconds",
    ]
    table = [header] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
