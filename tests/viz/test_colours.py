"""The digit palette stays distinguishable for colour-blind viewers and in grey, measured with a
colour-difference formula and a colour-blindness model that are themselves checked here."""

from __future__ import annotations

import numpy as np
import pytest

from unsuplab.viz.colours import (
    COLOUR_MAP_CHOICES,
    DEFAULT_COLOUR_MAPS,
    DIGIT_COLOURS,
    DIGIT_SYMBOLS,
    MACHADO_2009,
    contrast_ratio,
    delta_e_2000,
    grey_lightness,
    hex_to_rgb,
    min_pairwise_delta_e,
    simulate_deficiency,
    srgb_to_lab,
)

#: Sharma, Wu & Dalal (2005), Table 1: pairs (L*, a*, b*) and their published ΔE00. Chosen to
#: cover the formula's traps: a hue angle crossing 0°/360° (9-16), a neutral colour (7, 8), the
#: blue region's rotation term (1-6), large differences (17-20) and very dark colours (33, 34).
SHARMA_PAIRS = [
    (1, (50.0000, 2.6772, -79.7751), (50.0000, 0.0000, -82.7485), 2.0425),
    (4, (50.0000, -1.3802, -84.2814), (50.0000, 0.0000, -82.7485), 1.0000),
    (7, (50.0000, 0.0000, 0.0000), (50.0000, -1.0000, 2.0000), 2.3669),
    (8, (50.0000, -1.0000, 2.0000), (50.0000, 0.0000, 0.0000), 2.3669),
    (9, (50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0009), 7.1792),
    (12, (50.0000, 2.4900, -0.0010), (50.0000, -2.4900, 0.0012), 7.2195),
    (13, (50.0000, -0.0010, 2.4900), (50.0000, 0.0009, -2.4900), 4.8045),
    (15, (50.0000, -0.0010, 2.4900), (50.0000, 0.0011, -2.4900), 4.7461),
    (17, (50.0000, 2.5000, 0.0000), (73.0000, 25.0000, -18.0000), 27.1492),
    (19, (50.0000, 2.5000, 0.0000), (56.0000, -27.0000, -3.0000), 31.9030),
    (25, (60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    (29, (22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    (33, (6.7747, -0.2908, -2.4247), (5.8714, -0.0985, -2.2286), 0.6377),
    (34, (2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]

#: The ten colours the lab used before (Okabe & Ito's seven without black, then Paul Tol's grey,
#: wine and teal).
PREVIOUS_COLOURS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#999999",
    "#AA4499",
    "#44AA99",
)

#: Smallest allowed CIEDE2000 difference between two digit colours. About 1-2 is just noticeable
#: between large patches side by side; small scattered markers need several times that (the
#: threshold grows as marks shrink: Stone, Albers Szafir & Setlur, "An engineering model for
#: color difference as a function of size", CIC 2014). So: 15 with normal vision, 10 under each
#: simulated dichromacy, the most severe case of each kind.
MIN_DELTA_E_NORMAL = 15.0
MIN_DELTA_E_DEFICIENT = 10.0
#: Two greys closer than this in L* pass for the same on a projector.
GREY_TOLD_APART = 5.0

VISIONS = ("normal", *MACHADO_2009)


def minima(colours) -> dict[str, float]:
    """The smallest pairwise ΔE00 of `colours` under normal vision and each deficiency."""
    rgb = hex_to_rgb(colours)
    return {
        vision: min_pairwise_delta_e(rgb if vision == "normal" else simulate_deficiency(rgb, vision))
        for vision in VISIONS
    }


def threshold(vision: str) -> float:
    return MIN_DELTA_E_NORMAL if vision == "normal" else MIN_DELTA_E_DEFICIENT


def report(found: dict[str, float]) -> str:
    return ", ".join(f"{vision} {value:.1f}" for vision, value in found.items())


# -- the measuring instruments ----------------------------------------------------------------
@pytest.mark.parametrize(("pair", "lab1", "lab2", "published"), SHARMA_PAIRS)
def test_ciede2000_reproduces_sharma_wu_dalal(pair, lab1, lab2, published):
    # Published to 4 decimals: half a unit in the last place is the honest tolerance.
    assert float(delta_e_2000(np.array(lab1), np.array(lab2))) == pytest.approx(published, abs=5e-5)
    assert float(delta_e_2000(np.array(lab2), np.array(lab1))) == pytest.approx(published, abs=5e-5)


def test_ciede2000_takes_whole_arrays_of_pairs():
    lab1 = np.array([pair[1] for pair in SHARMA_PAIRS])
    lab2 = np.array([pair[2] for pair in SHARMA_PAIRS])
    np.testing.assert_allclose(delta_e_2000(lab1, lab2), [pair[3] for pair in SHARMA_PAIRS], atol=5e-5)


def test_srgb_to_lab_puts_white_black_and_grey_where_cielab_does():
    lab = srgb_to_lab(hex_to_rgb(["#FFFFFF", "#000000", "#777777", "#FF0000"]))
    np.testing.assert_allclose(lab[0], [100.0, 0.0, 0.0], atol=1e-3)
    np.testing.assert_allclose(lab[1], [0.0, 0.0, 0.0], atol=1e-6)
    assert lab[2, 0] == pytest.approx(50.0, abs=0.5) and np.abs(lab[2, 1:]).max() < 1e-3
    np.testing.assert_allclose(lab[3], [53.24, 80.09, 67.20], atol=0.02)  # sRGB red, D65


def test_contrast_ratio_runs_from_1_to_21_as_wcag_defines_it():
    black, white, grey = hex_to_rgb(["#000000", "#FFFFFF", "#767676"])
    assert float(contrast_ratio(black, white)) == pytest.approx(21.0, abs=1e-3)
    assert float(contrast_ratio(grey, grey)) == pytest.approx(1.0)
    # #767676 is the lightest grey with 4.5:1 on white, WCAG's AA level for text.
    assert float(contrast_ratio(white, grey)) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("deficiency", sorted(MACHADO_2009))
def test_deficiency_simulation_keeps_greys_and_merges_what_it_should(deficiency):
    greys = np.linspace(0.0, 1.0, 5)[:, None] * np.ones(3)
    np.testing.assert_allclose(simulate_deficiency(greys, deficiency), greys, atol=1e-5)
    # A confusion pair of each dichromacy (red / green for the red-green ones, blue / green for
    # tritanopia) comes far closer together than with normal vision.
    pair = hex_to_rgb(["#0072B2", "#009E73"] if deficiency == "tritanopia" else ["#D55E00", "#009E73"])
    seen = srgb_to_lab(simulate_deficiency(pair, deficiency))
    normal = srgb_to_lab(pair)
    assert delta_e_2000(seen[0], seen[1]) < 0.6 * delta_e_2000(normal[0], normal[1])


def test_an_unknown_deficiency_is_named():
    with pytest.raises(ValueError, match="achromatopsia"):
        simulate_deficiency(np.ones(3), "achromatopsia")


# -- the palette --------------------------------------------------------------------------------
def test_digit_colours_stay_apart_with_normal_and_colour_blind_vision():
    found = minima(DIGIT_COLOURS)
    failing = {vision: value for vision, value in found.items() if value < threshold(vision)}
    assert not failing, (
        f"digit colours too close (min ΔE00: {report(found)}; need "
        f"{MIN_DELTA_E_NORMAL} normal, {MIN_DELTA_E_DEFICIENT} colour-blind)"
    )


def test_the_palette_was_replaced_where_the_previous_one_failed():
    before, now = minima(PREVIOUS_COLOURS), minima(DIGIT_COLOURS)
    failed = [vision for vision in VISIONS if before[vision] < threshold(vision)]
    # Measured: normal 9.6 (bluish green / teal), protanopia 4.9, deuteranopia 3.1 (grey / teal),
    # tritanopia 4.8.
    assert failed, f"the previous palette passes ({report(before)}): it should have been kept"
    assert DIGIT_COLOURS != PREVIOUS_COLOURS
    for vision in failed:
        assert now[vision] >= threshold(vision) > before[vision], (report(before), report(now))


def test_in_grey_the_shapes_tell_apart_what_lightness_cannot():
    lightness = grey_lightness(hex_to_rgb(DIGIT_COLOURS))
    rows, cols = np.triu_indices(len(lightness), k=1)
    alike = [
        (int(i), int(j))
        for i, j in zip(rows, cols, strict=True)
        if abs(lightness[i] - lightness[j]) < GREY_TOLD_APART
    ]
    # Ten colours cannot all differ in lightness alone (measured: 4 pairs within 5 L*, e.g. digit
    # 0 and 6 at 58.1 and 58.0); each such pair differs in shape, and no two digits share one.
    assert alike, "every pair now differs in grey alone: the shapes are no longer needed"
    assert len(DIGIT_SYMBOLS) == len(DIGIT_COLOURS) == len(set(DIGIT_SYMBOLS)) == 10
    assert all(DIGIT_SYMBOLS[i] != DIGIT_SYMBOLS[j] for i, j in alike)


# -- colour maps --------------------------------------------------------------------------------
def test_the_colour_map_choices_name_a_sequential_and_a_diverging_map_each():
    assert DEFAULT_COLOUR_MAPS in COLOUR_MAP_CHOICES
    for choice in COLOUR_MAP_CHOICES.values():
        assert choice.title and choice.sequential and choice.diverging
