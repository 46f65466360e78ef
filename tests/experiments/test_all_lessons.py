"""Every registered lesson trains, shows its panels, documents itself and reloads from a checkpoint;
every image autoencoder also shows filters and reconstructions and answers the drawing pad."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from unsuplab.core.config import field_specs, validate
from unsuplab.core.payloads import ImageGrid, PairedRows, Payload
from unsuplab.core.registry import lessons
from unsuplab.core.stepping import restore, train_steps
from unsuplab.experiments._image_autoencoder import ImageAutoencoderLesson
from unsuplab.paths import lesson_text_path

LESSONS = lessons()
IDS = [cls.name for cls in LESSONS]
AUTOENCODERS = [cls for cls in LESSONS if issubclass(cls, ImageAutoencoderLesson)]
DRAWABLE = [cls for cls in LESSONS if "draw" in cls.tools]


def small(cls):
    """The lesson with its quick settings (those its config has), so a test trains in seconds."""
    config = cls.Config()
    quick = {k: v for k, v in cls.quick_settings.items() if hasattr(config, k)}
    return cls(dataclasses.replace(config, **quick))


def built(cls, seed: int = 0):
    experiment = small(cls)
    experiment.build("cpu", seed)
    return experiment


@pytest.mark.parametrize("cls", LESSONS, ids=IDS)
def test_lesson_is_documented(cls):
    text = lesson_text_path(cls.name).read_text(encoding="utf-8")
    assert text.startswith(f"# {cls.title}")
    assert cls.summary
    validate(cls.Config())
    for spec in field_specs(cls.Config):
        assert len(spec.param.help) > 20, f"{cls.name}.{spec.name} needs a real help text"


@pytest.mark.parametrize("cls", LESSONS, ids=IDS)
def test_training_moves_the_progress_metric_the_right_way(cls):
    metric, direction = cls.progress_metric
    assert direction in ("down", "up")
    experiment = built(cls)
    before = experiment.evaluate()[metric]
    losses = train_steps(experiment, cls.quick_steps)
    after = experiment.evaluate()[metric]
    if direction == "down":
        assert after < before - 0.1 * abs(before), f"{metric}: {before} -> {after}"
    else:
        assert after > before + 0.1 * abs(before), f"{metric}: {before} -> {after}"
    assert all(torch.is_tensor(v) and not v.requires_grad for v in losses.values())
    assert set(cls.guarded_metrics) <= set(losses) | set(experiment.evaluate())


def _arrays(payload: Payload) -> list[np.ndarray]:
    """Every array a payload carries (nested in dicts and tuples too)."""
    found = []
    for value in vars(payload).values():
        values = (
            value.values() if isinstance(value, dict) else (value if isinstance(value, tuple) else [value])
        )
        found += [v for v in values if isinstance(v, np.ndarray)]
    return found


@pytest.mark.parametrize("cls", LESSONS, ids=IDS)
def test_snapshot_payloads_are_finite_numpy(cls):
    experiment = built(cls)
    train_steps(experiment)
    panels = experiment.snapshot()
    assert panels, "a lesson must show something"
    for key, payload in panels.items():
        assert isinstance(payload, Payload), key
        for array in _arrays(payload):
            assert np.all(np.isfinite(array)), key
        if isinstance(payload, ImageGrid) and payload.normalisation == "unit":
            assert payload.images.min() >= 0 and payload.images.max() <= 1, key


@pytest.mark.parametrize("cls", LESSONS, ids=IDS)
def test_state_reloads_to_identical_pictures(cls):
    trained = built(cls)
    train_steps(trained, 5)
    fresh = built(cls, seed=1)
    restore(fresh, trained.state_dict(), trained.step)
    # A reloaded checkpoint shows exactly what the saved run showed.
    before, after = trained.snapshot(), fresh.snapshot()
    assert before.keys() == after.keys()
    for key in before:
        for a, b in zip(_arrays(before[key]), _arrays(after[key]), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=key)


@pytest.mark.parametrize("cls", AUTOENCODERS, ids=[cls.name for cls in AUTOENCODERS])
def test_snapshot_has_filters_and_reconstructions(cls):
    experiment = built(cls)
    train_steps(experiment)
    panels = experiment.snapshot()
    filters, rows = panels["filters"], panels["reconstructions"]
    assert isinstance(filters, ImageGrid) and filters.normalisation == "filter"
    # One 28x28 tile per code unit, unless the lesson shows other first-layer filters (3x3
    # kernels, the first of a 1000-unit layer) and declares their shape from its config.
    expected_filters = getattr(experiment, "filter_panel_shape", None)
    assert filters.images.shape == (expected_filters or (experiment.config.code_size, 28, 28))
    assert np.std(filters.images) > 0
    assert isinstance(rows, PairedRows)
    # A lesson that shows more than input and reconstruction (a denoiser: the clean digit too)
    # declares its rows; every lesson must show exactly the rows it declares, in that order.
    expected_rows = getattr(cls, "reconstruction_row_labels", ("input", "reconstruction"))
    assert list(rows.rows) == list(expected_rows) and "reconstruction" in expected_rows
    shapes = {images.shape for images in rows.rows.values()}
    assert shapes == {(10, 28, 28)}
    assert all(images.min() >= 0 and images.max() <= 1 for images in rows.rows.values())


@pytest.mark.parametrize("cls", AUTOENCODERS, ids=[cls.name for cls in AUTOENCODERS])
def test_state_reloads_to_identical_outputs(cls):
    trained = built(cls)
    train_steps(trained, 5)
    fresh = built(cls, seed=1)
    restore(fresh, trained.state_dict(), trained.step)
    a = trained.snapshot()["reconstructions"].rows["reconstruction"]
    b = fresh.snapshot()["reconstructions"].rows["reconstruction"]
    np.testing.assert_array_equal(a, b)
    # The optimiser's moments travel too: the same minibatch gives the same next step.
    fresh.generator.set_state(trained.generator.get_state())
    train_steps(trained)
    train_steps(fresh)
    np.testing.assert_array_equal(trained.snapshot()["filters"].images, fresh.snapshot()["filters"].images)


@pytest.mark.parametrize("cls", DRAWABLE, ids=[cls.name for cls in DRAWABLE])
def test_drawing_probe_validates_the_image(cls):
    experiment = built(cls)
    drawn = np.zeros((28, 28), dtype=np.float32)
    drawn[5:23, 13:15] = 1.0
    rows = experiment.probe("reconstruct", image=drawn)["drawing"].rows
    assert rows["reconstruction"].shape == (1, 28, 28)
    with pytest.raises(ValueError, match="28, 28"):
        experiment.probe("reconstruct", image=np.zeros((8, 8)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        experiment.probe("reconstruct", image=drawn * 255)
