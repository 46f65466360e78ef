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
    #: When set, clicking tile i sends this probe with `index=i` (pick a query, an endpoint).
    click_command: str | None = None
    #: Tiles drawn framed in the accent colour (the chosen ends of an interpolation).
    marked: tuple[int, ...] = ()


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
    #: Text shown on hover, one per point (a document's opening lines); None: no text.
    texts: list[str] | None = None
    #: The legend's name of each label (label k is label_names[k]); None: the numbers.
    label_names: list[str] | None = None
    #: When set, clicking or dragging on empty plane sends this probe with `x=`, `y=` in data
    #: coordinates (decode the latent point under the mouse, say).
    plane_command: str | None = None
    #: A chooser beside the plane (a conditional decoder's digit y): the names of its values,
    #: titled `plane_choice_title`; every plane request then also carries `choice=` the chosen
    #: index, and choosing another asks again about the last point. None: no chooser.
    plane_choices: list[str] | None = None
    plane_choice_title: str = ""
    plane_choice: int = 0  # the index the model holds, shown when the chooser first appears


@dataclass
class Table:
    """A small table of text and numbers."""

    kind: ClassVar[str] = "table"
    title: str
    columns: list[str]
    rows: list[list[object]] = field(default_factory=list)


@dataclass
class Bars:
    """One bar per category, for one or more named series side by side (Q-value per action,
    uses per code, predicted rating per movie)."""

    kind: ClassVar[str] = "bars"
    title: str
    categories: list[str]
    values: dict[str, np.ndarray]  # series name -> (len(categories),)
    highlight: int | None = None  # index of the category drawn emphasised (the chosen action)
    y_label: str = ""
    y_range: tuple[float, float] | None = None  # None: fit the values
    #: When set, clicking bar i sends this probe with `index=i` (toggle a movie as liked, say).
    click_command: str | None = None


@dataclass
class Histogram:
    """Distributions of values as histograms on shared bins, with optional vertical markers
    (a threshold, a mean)."""

    kind: ClassVar[str] = "histogram"
    title: str
    edges: np.ndarray  # (bins + 1,) increasing
    counts: dict[str, np.ndarray]  # series name -> (bins,) counts or densities
    x_label: str = ""
    y_label: str = "count"
    markers: dict[str, float] = field(default_factory=dict)  # label -> x
    log_y: bool = False


@dataclass
class Matrix:
    """A small matrix drawn as coloured cells with their numbers (a confusion matrix, say)."""

    kind: ClassVar[str] = "matrix"
    title: str
    values: np.ndarray  # (rows, columns)
    row_labels: list[str]
    column_labels: list[str]
    row_title: str = ""  # e.g. "true digit"
    column_title: str = ""  # e.g. "predicted digit"
    number_format: str = "{:.0f}"


@dataclass
class Field:
    """Points in a plane over a heat field, with optional arrows on some points: a 2-D GAN's
    real and generated samples over the discriminator's D(x), with the generator's gradients."""

    kind: ClassVar[str] = "field"
    title: str
    heat: np.ndarray  # (ny, nx) values on a regular lattice; row 0 is the lowest y
    extent: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max of the lattice
    points: dict[str, np.ndarray]  # series name -> (n, 2)
    arrows: tuple[np.ndarray, np.ndarray] | None = None  # (origins (n, 2), vectors (n, 2))
    heat_label: str = ""
    heat_range: tuple[float, float] = (0.0, 1.0)
    #: When set, the view offers "draw points": a stroke of mouse drags sends this probe with
    #: `points=` a list of (x, y) in data coordinates.
    draw_command: str | None = None


@dataclass
class Frame:
    """One colour picture (a game screen), shown enlarged with crisp pixels; optionally playable:
    while "play" is on, the view sends `play_command` with `action=` every `tick_ms`, the action
    being the one bound to the held key (`key_actions`: key name -> action index, e.g. "Left")
    or `idle_action` when no bound key is held."""

    kind: ClassVar[str] = "frame"
    title: str
    image: np.ndarray  # (h, w, 3) in [0, 1]
    caption: str = ""
    play_command: str | None = None
    key_actions: dict[str, int] = field(default_factory=dict)
    idle_action: int = 0
    tick_ms: int = 120


Payload = Curves | ImageGrid | PairedRows | Scatter | Table | Bars | Histogram | Matrix | Field | Frame
