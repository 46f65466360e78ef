"""How well the RBM family learns, side by side with scikit-learn in the same run on the same data.

    python benchmarks/quality_rbm.py [--threads 1] [--our-batch 10] [--our-lr 0.06]
                                     [--dbn-sizes 500,500,1000] [--dbn-pretrain-steps 800]
                                     [--classifier-steps 400] [--skip-dbn] [--device cpu]
    python benchmarks/quality.py rbm [the same options]

1. RBM vs sklearn.neural_network.BernoulliRBM on scikit-learn's 8x8 digits scaled to [0, 1], and
   on the 5x "nudged" set of sklearn's example "Restricted Boltzmann Machine features for digit
   classification" (80 % of it, as the example trains): pseudo-likelihood (sklearn's definition,
   one flipped bit per sample, on the whole training set) after each of 10 iterations, and wall
   time. sklearn: the example's 100 components, learning rate 0.06, batch 10, 10 iterations.
   Ours: the models.rbm code the lessons run, persistent CD-1 (as sklearn), no momentum and no
   weight decay, visible biases started at the data's log-odds; batch and rate per --our-batch
   and --our-lr (default 50 and 0.3: fewer, larger steps suit torch; 10 and 0.06 is sklearn's).
2. RBM features + logistic regression (C = 6000, the example's) vs raw pixels (C = 100) on the
   nudged test part, against the example's reported 0.93 and 0.78 accuracy.
3. DBN (the `dbn` lesson): held-out accuracy of the classifier started from the stack and of the
   one started at random, for 100 and 1000 labels, on the bundled mnist-sample's 500 held-out
   digits, and on the official MNIST 10k test set when ../shared/data/mnist/ holds it.

Prints one aligned table; never fails on a missed target. A full run takes about 3-4 minutes on a
quiet 2-core CPU with --threads 1.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
OFFICIAL_TEST = REPO.parent / "shared" / "data" / "mnist"
ITERATIONS = 10
COMPONENTS = 100
SKLEARN_LR = 0.06
SKLEARN_BATCH = 10


@dataclasses.dataclass
class Row:
    figure: str
    ours: str
    anchor: str
    reached: str
    data: str
    epochs: str
    seconds: str


def nudged_digits() -> tuple[np.ndarray, np.ndarray]:
    """sklearn's example: every digit plus its four one-pixel shifts, then min-max scaled."""
    from scipy.ndimage import convolve
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import minmax_scale

    digits = load_digits()
    x, y = np.asarray(digits.data, "float32"), digits.target
    shifts = [
        [[0, 1, 0], [0, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [1, 0, 0], [0, 0, 0]],
        [[0, 0, 0], [0, 0, 1], [0, 0, 0]],
        [[0, 0, 0], [0, 0, 0], [0, 1, 0]],
    ]
    moved = [
        np.apply_along_axis(lambda v, w=w: convolve(v.reshape(8, 8), w, mode="constant").ravel(), 1, x)
        for w in shifts
    ]
    x = np.concatenate([x, *moved])
    y = np.concatenate([y] * 5)
    return minmax_scale(x, feature_range=(0, 1)).astype("float32"), y


def sklearn_rbm(x: np.ndarray) -> tuple[list[float], float, object]:
    """Pseudo-likelihood after each iteration (from sklearn's verbose report) and the wall time
    of a fit without that report."""
    from sklearn.neural_network import BernoulliRBM

    settings = dict(
        n_components=COMPONENTS,
        learning_rate=SKLEARN_LR,
        batch_size=SKLEARN_BATCH,
        n_iter=ITERATIONS,
        random_state=0,
    )
    start = time.perf_counter()
    rbm = BernoulliRBM(**settings).fit(x)
    seconds = time.perf_counter() - start
    report = io.StringIO()
    with contextlib.redirect_stdout(report):
        BernoulliRBM(**settings, verbose=1).fit(x)
    curve = [float(v) for v in re.findall(r"pseudo-likelihood = (-?[\d.]+)", report.getvalue())]
    return curve, seconds, rbm


def our_rbm(x: np.ndarray, batch: int, lr: float, device: str):
    """Our RBM by the lessons' trainer: PL per iteration (epoch) and training seconds."""
    from unsuplab.models.rbm import BernoulliRBM, ContrastiveDivergence

    torch.manual_seed(0)
    data = torch.as_tensor(x, device=device)
    rbm = BernoulliRBM(data.shape[1], COMPONENTS).to(device)
    rbm.init_visible_bias(data)
    trainer = ContrastiveDivergence(rbm, k=1, persistent=True, chains=batch)
    generator = torch.Generator(device=device).manual_seed(0)
    curve, seconds = [], 0.0
    for _ in range(ITERATIONS):
        start = time.perf_counter()
        order = torch.randperm(len(data), device=device, generator=generator)
        for begin in range(0, len(data), batch):
            trainer.step(data[order[begin : begin + batch]], generator, lr, 0.0, 0.0)
        if device != "cpu":
            torch.cuda.synchronize()
        seconds += time.perf_counter() - start
        with torch.no_grad():
            curve.append(float(rbm.pseudo_likelihood(data, generator).mean()))
    return curve, seconds, rbm


def rbm_rows(name: str, x: np.ndarray, args) -> tuple[list[Row], object, object]:
    sk_curve, sk_seconds, sk_model = sklearn_rbm(x)
    curve, seconds, model = our_rbm(x, args.our_batch, args.our_lr, args.device)
    target = sk_curve[-1]
    first = next((i + 1 for i, v in enumerate(curve) if v >= target), None)
    ours_at = seconds * (first or ITERATIONS) / ITERATIONS
    size = f"{len(x)}x{x.shape[1]}"
    print(f"  {name}: sklearn PL per iteration {', '.join(f'{v:.2f}' for v in sk_curve)}")
    print(f"  {name}: ours    PL per iteration {', '.join(f'{v:.2f}' for v in curve)}")
    rows = [
        Row(
            f"{name}: sklearn BernoulliRBM PL",
            f"{target:.2f}",
            "(reference)",
            "",
            size,
            f"{ITERATIONS}",
            f"{sk_seconds:.1f}",
        ),
        Row(
            f"{name}: our RBM PL",
            f"{curve[-1]:.2f}",
            f"≥ {target:.2f} in ≤ {sk_seconds / 3:.1f} s",
            "yes" if first and ours_at <= sk_seconds / 3 else "no",
            size,
            f"{first or ITERATIONS}",
            f"{ours_at:.1f}",
        ),
    ]
    return rows, sk_model, model


def feature_rows(x: np.ndarray, y: np.ndarray, args) -> list[Row]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from threadpoolctl import threadpool_limits

    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    rows, sk_model, model = rbm_rows("nudged digits (train 80 %)", x_train, args)
    with threadpool_limits(args.threads):

        def accuracy(train, test, c):
            start = time.perf_counter()
            clf = LogisticRegression(C=c, max_iter=1000).fit(train, y_train)
            return clf.score(test, y_test), time.perf_counter() - start

        with torch.no_grad():
            ours = [
                model.hidden_probs(torch.as_tensor(part, device=args.device)).cpu().numpy()
                for part in (x_train, x_test)
            ]
        size = f"{len(x_train)} train / {len(x_test)} test"
        for label, (train, test), c, anchor, low in [
            ("our RBM features + logistic (C=6000)", ours, 6000, "≈ 0.93 (example)", 0.90),
            (
                "sklearn RBM features + logistic (C=6000)",
                (sk_model.transform(x_train), sk_model.transform(x_test)),
                6000,
                "≈ 0.93 (example)",
                0.90,
            ),
            ("raw pixels + logistic (C=100)", (x_train, x_test), 100, "≈ 0.78 (example)", 0.0),
        ]:
            score, seconds = accuracy(train, test, c)
            rows.append(
                Row(
                    label, f"{score:.3f}", anchor, "yes" if score >= low else "no", size, "", f"{seconds:.1f}"
                )
            )
    return rows


def official_test() -> tuple[torch.Tensor, torch.Tensor] | None:
    images = OFFICIAL_TEST / "t10k-images-idx3-ubyte.gz"
    if not images.is_file():
        return None
    from unsuplab.data.readers import read_idx_pair

    x, y = read_idx_pair(images, OFFICIAL_TEST / "t10k-labels-idx1-ubyte.gz")
    return torch.as_tensor(x.reshape(len(x), -1)), torch.as_tensor(y)


def dbn_rows(args) -> list[Row]:
    from unsuplab.core.config import with_overrides
    from unsuplab.core.registry import lesson
    from unsuplab.core.stepping import restore, train_steps

    cls = lesson("dbn")
    base = with_overrides(
        cls.Config(),
        {
            "layer_sizes": args.dbn_sizes,
            "pretrain_steps": args.dbn_pretrain_steps,
            "classifier_steps": args.classifier_steps,
        },
    )
    pretrain = len(base.layer_sizes.split(",")) * base.pretrain_steps
    stack = cls(base)
    stack.build(args.device, 0)
    start = time.perf_counter()
    train_steps(stack, pretrain)
    pretrain_seconds = time.perf_counter() - start
    pretrained_state = stack.state_dict()
    official = official_test()
    rows = [
        Row(
            f"DBN {base.layer_sizes}: greedy pretraining",
            f"{pretrain} steps",
            "",
            "",
            f"{len(stack.train_x)} images",
            f"{pretrain * base.batch_size / len(stack.train_x):.0f}",
            f"{pretrain_seconds:.1f}",
        )
    ]
    for labels in (100, 1000):
        run = cls(dataclasses.replace(base, labels=labels))
        run.build(args.device, 0)
        restore(run, pretrained_state, pretrain)
        start = time.perf_counter()
        train_steps(run, base.classifier_steps)
        seconds = time.perf_counter() - start
        metrics = run.evaluate()
        for name in ("pretrained", "random"):
            figure = f"{metrics[f'heldout_accuracy_{name}']:.3f}"
            if official is not None:
                with torch.no_grad():
                    x, y = (t.to(args.device) for t in official)
                    correct = run.classifiers[name](x).argmax(dim=1) == y
                figure += f" / {float(correct.float().mean()):.3f}"
            rows.append(
                Row(
                    f"DBN classifier, {labels} labels, {name} start",
                    figure,
                    "pretrained > random" if name == "random" else "",
                    "",
                    "500 held-out" + (" / 10k official" if official is not None else ""),
                    f"{base.classifier_steps} steps",
                    f"{seconds:.1f}",
                )
            )
        better = metrics["heldout_accuracy_pretrained"] > metrics["heldout_accuracy_random"]
        rows[-1].reached = "yes" if better else "no"
    return rows


def print_table(rows: list[Row]) -> None:
    header = Row("figure", "ours", "anchor / target", "reached?", "data", "epochs/steps", "seconds")
    table = [header, *rows]
    names = [f.name for f in dataclasses.fields(Row)]
    widths = [max(len(getattr(r, name)) for r in table) for name in names]
    for r in table:
        print("  ".join(getattr(r, name).ljust(w) for name, w in zip(names, widths, strict=True)))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads (default 1)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--our-batch", type=int, default=50)
    parser.add_argument("--our-lr", type=float, default=0.3)
    parser.add_argument("--dbn-sizes", default="500,500,1000")
    parser.add_argument("--dbn-pretrain-steps", type=int, default=800)
    parser.add_argument("--classifier-steps", type=int, default=400)
    parser.add_argument("--skip-dbn", action="store_true")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    from sklearn.datasets import load_digits
    from threadpoolctl import threadpool_limits

    print(
        f"RBM quality on {args.device}, {args.threads} thread(s); our batch {args.our_batch}, "
        f"learning rate {args.our_lr}"
    )
    with threadpool_limits(args.threads):
        digits = (load_digits().data / 16).astype("float32")
        rows, _, _ = rbm_rows("digits /16", digits, args)
        x, y = nudged_digits()
        rows += feature_rows(x, y, args)
        if not args.skip_dbn:
            rows += dbn_rows(args)
    print_table(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
