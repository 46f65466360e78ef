"""What a snapshot carries to the views: small dataclasses of numpy arrays, one per kind of panel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

#: How an image grid maps its values to grey levels (see `unsuplab.viz.images`).
#: "unit": values already lie in [0, 1] (images, reconstructions, samples).
#: "filter": each tile is a weight vector w_i shown as x_j = w_ij / ||w_i||, scaled per tile.
#: "symmetric": one scale for all tiles, zero at mid-grey, for comparing magnitudes.
Normalisation = Literal["unit", "filter", "symmetric"]


@dataclass
class Curves:
    """Named scalar series drawn as lines in one plot: against training step, unless `x_label`
    names another axis (component index, number of labels, ...)."""

    kind: ClassVar[str] = "curves"
    title: str
    series: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (x, values)
    log_y: bool = False
    y_label: str = ""
    x_label: str = "step"


@dataclass
class ImageGrid:
    """A stack of same-sized images (filters, samples, feature maps) shown as one tiled image."""

    kind: ClassVar[str] = "image_grid"
    title: str
    images: np.ndarray  # (n, h, w) grey
    normalisation: Normalisation = "unit"
    columns: int | None = None  # None: as square as possible
    caption: str = ""


@dataclass
class PairedRows:
    """Rows of images that belong together column by column: input | reconstruction | target."""

    kind: ClassVar[str] = "paired_rows"
    title: str
    rows: dict[str, np.ndarray]  # row label -> (n, h, w) in [0, 1], same n for every row


@dataclass
class Scatter:
    """Points in a plane coloured by label, with optional thumbnails to show on hover."""

    kind: ClassVar[str] = "scatter"
    title: str
    points: np.ndarray  # (n, 2)
    labels: np.ndarray  # (n,) ints
    thumbnails: np.ndarray | None = None  # (n, h, w) in [0, 1]
    x_label: str = ""
    y_label: str = ""


@dataclass
class Table:
    """A small table of text and numbers."""

    kind: ClassVar[str] = "table"
    title: str
    columns: list[str]
    rows: list[list[object]] = field(default_factory=list)


Payload = Curves | ImageGrid | PairedRows | Scatter | Table
