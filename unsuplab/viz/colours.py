"""Colours a viewer can tell apart: the digit palette and marker shapes, colour difference
(sRGB → CIELAB → CIEDE2000), colour-blindness simulation, and the named colour maps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# -- the categorical palette -----------------------------------------------------------------------

#: Colour k is digit k's (and run, variant or player k's): Matthew Petroff's ten-colour set from
#: "Accessible Color Sequences for Data Visualization" (arXiv:2107.02270, 2021; matplotlib's
#: "petroff10"), chosen there to keep every pair apart under simulated colour-blindness. It
#: replaced Okabe & Ito's seven without black plus Paul Tol's grey, wine and teal, whose grey and
#: teal fall together under deuteranopia (CIEDE2000 3.1; this set's worst pair under any of the
#: three dichromacies is 11.9 apart: tests/viz/test_colours.py).
DIGIT_COLOURS = (
    "#3F90DA",  # blue
    "#FFA90E",  # orange
    "#BD1F01",  # red
    "#94A4A2",  # grey
    "#832DB6",  # purple
    "#A96B59",  # brown
    "#E76300",  # dark orange
    "#B9AC70",  # tan
    "#717581",  # slate
    "#92DADD",  # light blue
)

#: Marker shape k doubles colour k on scatters (pyqtgraph's symbol names), so the classes stay
#: apart in grey scale, in print and on a washed-out projector.
DIGIT_SYMBOLS = ("o", "s", "t", "d", "+", "x", "star", "p", "h", "t1")


# -- sRGB, CIELAB and CIEDE2000 --------------------------------------------------------------------


def hex_to_rgb(colours: str | tuple[str, ...] | list[str]) -> np.ndarray:
    """'#rrggbb' colours as an (n, 3) array of sRGB values in [0, 1] ((3,) for one colour)."""
    single = isinstance(colours, str)
    rows = [
        [int(c.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)] for c in ([colours] if single else colours)
    ]
    rgb = np.asarray(rows, dtype=np.float64) / 255.0
    return rgb[0] if single else rgb


def srgb_to_linear(rgb: np.ndarray) -> np.ndarray:
    """The sRGB transfer function undone (IEC 61966-2-1): light intensities in [0, 1]."""
    rgb = np.asarray(rgb, dtype=np.float64)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear light back to sRGB values, clipped to the displayable [0, 1]."""
    linear = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    return np.where(linear <= 0.0031308, linear * 12.92, 1.055 * linear ** (1 / 2.4) - 0.055)


#: Linear sRGB → CIE XYZ (D65), and the D65 white point the Lab conversion is relative to.
_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB values in [0, 1] (…, 3) to CIELAB (L* in 0..100) under D65."""
    xyz = srgb_to_linear(rgb) @ _RGB_TO_XYZ.T / _WHITE_D65
    delta = 6.0 / 29.0
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4.0 / 29.0)
    return np.stack(
        [116.0 * f[..., 1] - 16.0, 500.0 * (f[..., 0] - f[..., 1]), 200.0 * (f[..., 1] - f[..., 2])], axis=-1
    )


def delta_e_2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference of CIELAB colours (…, 3), k_L = k_C = k_H = 1, as written out
    by Sharma, Wu & Dalal, "The CIEDE2000 color-difference formula: implementation notes,
    supplementary test data, and mathematical observations", Color Res. Appl. 30(1), 2005."""
    lab1, lab2 = np.asarray(lab1, dtype=np.float64), np.asarray(lab2, dtype=np.float64)
    l1, a1, b1 = np.moveaxis(lab1, -1, 0)
    l2, a2, b2 = np.moveaxis(lab2, -1, 0)
    # a* is stretched for near-neutral colours (G), then chroma and hue are taken from a'.
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2.0
    g = 0.5 * (1.0 - np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360.0
    neutral = (c1p * c2p) == 0.0  # a hue difference means nothing when either colour is grey

    dlp, dcp = l2 - l1, c2p - c1p
    dhp = h2p - h1p
    dhp = np.where(dhp > 180.0, dhp - 360.0, np.where(dhp < -180.0, dhp + 360.0, dhp))
    dhp = np.where(neutral, 0.0, dhp)
    dHp = 2.0 * np.sqrt(c1p * c2p) * np.sin(np.radians(dhp) / 2.0)

    lp_bar, cp_bar = (l1 + l2) / 2.0, (c1p + c2p) / 2.0
    h_sum = h1p + h2p
    hp_bar = np.where(
        np.abs(h1p - h2p) <= 180.0,
        h_sum / 2.0,
        np.where(h_sum < 360.0, (h_sum + 360.0) / 2.0, (h_sum - 360.0) / 2.0),
    )
    hp_bar = np.where(neutral, h_sum, hp_bar)
    t = (
        1.0
        - 0.17 * np.cos(np.radians(hp_bar - 30.0))
        + 0.24 * np.cos(np.radians(2.0 * hp_bar))
        + 0.32 * np.cos(np.radians(3.0 * hp_bar + 6.0))
        - 0.20 * np.cos(np.radians(4.0 * hp_bar - 63.0))
    )
    d_theta = 30.0 * np.exp(-(((hp_bar - 275.0) / 25.0) ** 2))
    r_c = 2.0 * np.sqrt(cp_bar**7 / (cp_bar**7 + 25.0**7))
    s_l = 1.0 + 0.015 * (lp_bar - 50.0) ** 2 / np.sqrt(20.0 + (lp_bar - 50.0) ** 2)
    s_c = 1.0 + 0.045 * cp_bar
    s_h = 1.0 + 0.015 * cp_bar * t
    r_t = -np.sin(np.radians(2.0 * d_theta)) * r_c
    return np.sqrt((dlp / s_l) ** 2 + (dcp / s_c) ** 2 + (dHp / s_h) ** 2 + r_t * (dcp / s_c) * (dHp / s_h))


def contrast_ratio(rgb1: np.ndarray, rgb2: np.ndarray) -> np.ndarray:
    """WCAG 2 contrast ratio of two sRGB colours, 1 (none) to 21 (black on white): the lighter's
    relative luminance plus 0.05 over the darker's plus 0.05."""
    weights = _RGB_TO_XYZ[1]  # relative luminance Y
    y1, y2 = srgb_to_linear(rgb1) @ weights, srgb_to_linear(rgb2) @ weights
    return (np.maximum(y1, y2) + 0.05) / (np.minimum(y1, y2) + 0.05)


def min_pairwise_delta_e(rgb: np.ndarray) -> float:
    """The smallest CIEDE2000 difference between any two of the (n, 3) sRGB colours."""
    lab = srgb_to_lab(rgb)
    rows, cols = np.triu_indices(len(lab), k=1)
    return float(delta_e_2000(lab[rows], lab[cols]).min())


# -- colour-vision deficiency ----------------------------------------------------------------------

#: Machado, Oliveira & Fernandes, "A physiologically-based model for simulation of color vision
#: deficiency", IEEE TVCG 15(6), 2009: their published severity-1.0 matrices (dichromacy), which
#: act on linear RGB.
MACHADO_2009 = {
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}


def simulate_deficiency(rgb: np.ndarray, deficiency: str) -> np.ndarray:
    """sRGB colours (…, 3) as seen with `deficiency` (a key of `MACHADO_2009`)."""
    if deficiency not in MACHADO_2009:
        raise ValueError(
            f"unknown colour-vision deficiency {deficiency!r}; expected one of {', '.join(MACHADO_2009)}"
        )
    return linear_to_srgb(srgb_to_linear(rgb) @ MACHADO_2009[deficiency].T)


def grey_lightness(rgb: np.ndarray) -> np.ndarray:
    """The CIE L* of each sRGB colour: what is left of it in grey scale (0 black .. 100 white)."""
    return srgb_to_lab(rgb)[..., 0]


# -- colour maps for images and fields -------------------------------------------------------------


@dataclass(frozen=True)
class ColourMaps:
    """One choice of the maps pictures are drawn with, by the names of pyqtgraph's bundled maps
    (`pyqtgraph.colormap.get` reads them from its own files, offline)."""

    title: str  # as View → Colours shows it
    sequential: str  # intensities: digits, samples, a discriminator's output
    diverging: str  # signed values with zero in the middle: weights, filters


#: The choices in View → Colours; every map is perceptually uniform (equal steps in value look
#: like equal steps in colour). The CET maps are Peter Kovesi's, "Good colour maps: how to design
#: them" (arXiv:1509.03700, 2015), with his colour-blind-safe set (CET-CB*: blue to yellow, the
#: hues protanopes and deuteranopes keep); viridis is van der Walt & Smith's (matplotlib, 2015).
COLOUR_MAP_CHOICES = {
    # Plain linear grey: the panel shows exactly the grey levels its exported PNG holds.
    "grey": ColourMaps("&Grey (signed: zero at mid-grey)", sequential="grey", diverging="grey"),
    "viridis": ColourMaps("&Viridis (signed: blue–white–red)", sequential="viridis", diverging="CET-D1"),
    "colour_blind": ColourMaps(
        "&Colour-blind safe (blue–yellow)", sequential="CET-CBL2", diverging="CET-CBD1"
    ),
}
DEFAULT_COLOUR_MAPS = "grey"
