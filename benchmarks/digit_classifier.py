"""A small digit classifier for judging generated digits, trained once on the bundled data.

A LeNet-style network (two 5x5 convolutions, 16 and 32 maps, max-pooling, a 128-unit layer) is
trained for a few epochs on the 4,500 training digits of mnist-sample and cached under the user's
cache folder (never in the repository), so quality_gan.py can score samples by its confidence and
compare its 128-number features of real and generated digits (the "Fréchet LeNet distance").

    python benchmarks/digit_classifier.py [--epochs 5] [--retrain]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from unsuplab.data import load_dataset
from unsuplab.data.readers import read_idx

REPO = Path(__file__).resolve().parents[1]
OFFICIAL = REPO.parent / "shared" / "data" / "mnist"


def cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    folder = Path(base) / "unsuplab" / "benchmarks"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        folder = Path(tempfile.gettempdir()) / "unsuplab-benchmarks"
        folder.mkdir(parents=True, exist_ok=True)
    return folder / "digit_classifier.pt"


class DigitClassifier(nn.Module):
    """28x28 digit -> conv 5x5 (16) -> pool -> conv 5x5 (32) -> pool -> 128 features -> 10 logits."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 128),
            nn.ReLU(),
        )
        self.head = nn.Linear(128, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The 128 penultimate activations of flattened or image-shaped digits in [0, 1]."""
        return self.body(x.reshape(-1, 1, 28, 28))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@torch.no_grad()
def in_chunks(fn, x: torch.Tensor, size: int = 1000) -> torch.Tensor:
    return torch.cat([fn(x[i : i + size]) for i in range(0, len(x), size)])


def train(epochs: int = 5, seed: int = 0) -> DigitClassifier:
    """Adam, batches of 64, random shifts of up to 2 pixels so it reads off-centre samples too."""
    torch.manual_seed(seed)
    data = load_dataset("mnist-sample")
    x = torch.as_tensor(data.train_images).unsqueeze(1)
    y = torch.as_tensor(data.train_labels)
    model = DigitClassifier()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(epochs):
        for idx in torch.randperm(len(x)).split(64):
            dx, dy = torch.randint(-2, 3, (2,)).tolist()
            batch = torch.roll(x[idx], shifts=(dy, dx), dims=(2, 3))
            loss = F.cross_entropy(model(batch), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()


def load_classifier(retrain: bool = False, epochs: int = 5) -> DigitClassifier:
    """The cached classifier, trained first when there is none (or when asked)."""
    path = cache_path()
    if path.exists() and not retrain:
        model = DigitClassifier()
        try:
            model.load_state_dict(torch.load(path, weights_only=True))
            return model.eval()
        except (OSError, RuntimeError):
            pass  # an older or damaged cache: train afresh
    model = train(epochs)
    torch.save(model.state_dict(), path)
    return model


def accuracy(model: DigitClassifier, images: torch.Tensor, labels: torch.Tensor) -> float:
    """The share of `images` classified as their `labels`: on samples drawn for asked digits,
    the conditional models' "asked digit hit rate"."""
    return float((in_chunks(model, images).argmax(1) == labels).float().mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--retrain", action="store_true", help="train again even if cached")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    model = load_classifier(args.retrain, args.epochs)
    seconds = time.perf_counter() - start
    data = load_dataset("mnist-sample")
    rows = [
        (
            "held-out (mnist-sample)",
            len(data.test_labels),
            accuracy(model, torch.as_tensor(data.test_images), torch.as_tensor(data.test_labels)),
        )
    ]
    if (OFFICIAL / "t10k-images-idx3-ubyte.gz").exists():
        images = torch.as_tensor(read_idx(OFFICIAL / "t10k-images-idx3-ubyte.gz")).float() / 255
        labels = torch.as_tensor(read_idx(OFFICIAL / "t10k-labels-idx1-ubyte.gz")).long()
        rows.append(("official MNIST test", len(labels), accuracy(model, images, labels)))
    print(f"digit classifier: {cache_path()}  ({seconds:.1f} s to train or load)")
    print(f"{'set':<26}{'images':>8}{'accuracy':>10}")
    for name, count, value in rows:
        print(f"{name:<26}{count:>8}{value:>10.4f}")


if __name__ == "__main__":
    main()
