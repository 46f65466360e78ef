"""The conditional lessons' "asked digit hit rate": the share of samples drawn for digit y that a
judge reads as y. The judge is quick and plain, the nearest class mean of the training images,

    judge(x) = argmin_k ‖x − m_k‖,   m_k = the mean training image of class k,

and is right on about 80 % of real held-out MNIST digits; the curve shows that figure beside the
samples' rate: what samples as good as real digits would score. Blurry samples sit near the class
means and can score more. (The benchmarks judge with a trained LeNet instead.)
"""

from __future__ import annotations

import torch

#: The curve panel and its two metrics: the samples' hit rate, and the judge's on real digits.
HIT_RATE_CURVE = "Asked digit hit rate (judge: nearest class mean)"
HIT_RATE_METRICS = ("samples_hit_rate", "real_digits_hit_rate")


class NearestMeanJudge:
    """Reads flattened images as the class whose mean training image is nearest."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, classes: int):
        sums = torch.zeros(classes, images.shape[1], device=images.device).index_add_(0, labels, images)
        counts = torch.bincount(labels, minlength=classes).clamp(min=1)
        self.means = sums / counts[:, None]

    def hit_rate(self, images: torch.Tensor, asked: torch.Tensor) -> float:
        """The share of `images` read as the label `asked` of each."""
        return float((torch.cdist(images, self.means).argmin(dim=1) == asked).float().mean())
