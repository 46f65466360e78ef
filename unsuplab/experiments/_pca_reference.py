"""What the PCA lessons share: exact PCA of the training images, computed once at build, as the
reference a learned linear model (a linear autoencoder, Hebbian neurons) is compared with."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

from unsuplab.core.payloads import Payload
from unsuplab.experiments._image_autoencoder import ImageAutoencoderLesson
from unsuplab.models.pca import fit_pca


def subscript(number: int) -> str:
    """12 -> "₁₂", for titles like v₁ … v₆₄."""
    return str(number).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


class PCAReferenceLesson(ImageAutoencoderLesson):
    """An image lesson whose learned model is shown beside exact PCA: reconstructions come in
    three rows (input | the model's reconstruction | PCA's), and held-out MSE has PCA's value as
    a reference line.

    Subclasses name their model (`model_name`, for titles) and say how many components PCA's
    reconstruction uses (`pca_rank`).
    """

    model_name: ClassVar[str] = "model"
    #: The rows of the "reconstructions" panel and of the drawing probe's answer, in order: the
    #: same names as every autoencoder lesson, PCA's row last as in the deep autoencoder's.
    reconstruction_row_labels: ClassVar[tuple[str, ...]] = ("input", "reconstruction", "PCA")

    @property
    def pca_rank(self) -> int:
        """Components in PCA's reconstruction row."""
        return self.config.code_size

    def build(self, device: str, seed: int) -> None:
        super().build(device, seed)
        self.pca = fit_pca(self.train_x)
        # PCA with as many components as the model has code units: the best any linear code
        # of that width can do on the training set, drawn as a flat line beside the model's loss.
        with torch.no_grad():
            reference = self.pca.reconstruct(self.test_x, self.config.code_size)
            self.pca_heldout_loss = float(F.mse_loss(reference, self.test_x))

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        return {**super().evaluate(), "heldout_pca_loss": self.pca_heldout_loss}

    @torch.no_grad()
    def reconstruction_rows(self, index: np.ndarray) -> dict[str, np.ndarray]:
        return self.rows_for(self.test_x[index])

    @torch.no_grad()
    def rows_for(self, x: torch.Tensor) -> dict[str, np.ndarray]:
        """Input | the model's reconstruction | PCA's, as images clipped to [0, 1] for display
        (a linear reconstruction may overshoot the pixel range a little)."""
        x_hat, _ = self.model(x)
        rows = (x, x_hat, self.pca.reconstruct(x, self.pca_rank))
        return {
            label: images.clamp(0, 1).cpu().numpy().reshape(-1, *self.image_shape)
            for label, images in zip(self.reconstruction_row_labels, rows, strict=True)
        }

    def _reconstruct_drawing(self, image: Any) -> dict[str, Payload]:
        drawing = super()._reconstruct_drawing(image)["drawing"]  # checks the shape and range
        drawing.rows = self.rows_for(
            torch.as_tensor(drawing.rows["input"].reshape(1, -1), device=self.device)
        )
        drawing.title = (
            f"Your drawing, rebuilt by the {self.model_name} and by PCA from k = {self.pca_rank} components"
        )
        return {"drawing": drawing}
