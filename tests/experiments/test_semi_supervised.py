"""Semi-supervised lesson: stage 1 then classifier runs for each label count, the slider, refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unsuplab.core.config import ConfigError
from unsuplab.core.payloads import Curves, ImageGrid, Matrix
from unsuplab.core.stepping import restore, train_steps
from unsuplab.experiments._feature_lessons import first_per_class
from unsuplab.experiments.semi_supervised import Config, SemiSupervised

TINY = Config(
    feature_model="autoencoder", pretrain_steps=20, classifier_steps=10, fine_tune_steps=5, batch_size=32
)


@pytest.fixture(scope="module")
def trained() -> SemiSupervised:
    experiment = SemiSupervised(TINY)
    experiment.build("cpu", 0)
    train_steps(experiment, 20 + 7 * 10 + 5)  # stage 1, the seven label counts, fine-tuning
    return experiment


def test_every_label_count_is_fitted_and_drawn_against_labels_per_class(trained):
    assert sorted(trained.fitted) == [1, 2, 5, 10, 20, 50, 100]
    assert list(trained.fine_tuned) == [10]
    panels = trained.snapshot()
    curves = panels["accuracy"]
    assert isinstance(curves, Curves) and curves.x_label == "labels per class"
    x, codes = curves.series["codes (autoencoder)"]
    assert list(x) == [1, 2, 5, 10, 20, 50, 100] and np.all((codes >= 0) & (codes <= 100))
    # Labels help: the pixel baseline with 100 per class beats it with one per class.
    pixels = curves.series["raw pixels"][1]
    assert pixels[-1] > pixels[0] + 10
    metrics = trained.evaluate()
    assert {"heldout_accuracy_codes", "heldout_accuracy_pixels", "heldout_accuracy_fine_tuned"} <= set(
        metrics
    )


def test_confusion_matrix_and_misclassified_digits_agree(trained):
    panels = trained.snapshot()
    matrix, wrong = panels["confusion"], panels["misclassified"]
    assert isinstance(matrix, Matrix) and matrix.values.shape == (10, 10)
    assert matrix.values.sum() == len(trained.test_x)
    errors = matrix.values.sum() - np.trace(matrix.values)
    assert isinstance(wrong, ImageGrid) and len(wrong.images) == min(40, errors)
    accuracy = trained.evaluate()["heldout_accuracy_codes"]
    assert accuracy == pytest.approx(100 * np.trace(matrix.values) / matrix.values.sum(), abs=1e-3)


def test_the_slider_fits_a_new_count_first(trained):
    trained.set_live("labels_per_class", 3)
    assert (trained.tasks[0].kind, trained.tasks[0].count) == ("fit", 3)
    train_steps(trained, 10)
    assert 3 in trained.fitted
    assert trained.snapshot()["confusion"].title.endswith("3 labels per class")


def test_more_labels_than_the_data_holds_is_refused_with_the_count(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "few.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (300, 28, 28), dtype=np.uint8),
        y_train=np.repeat(np.arange(10), 30),
        x_test=rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
        y_test=np.repeat(np.arange(10), 5),
    )
    experiment = SemiSupervised(Config(data_file=str(path), feature_model="autoencoder"))
    experiment.build("cpu", 0)
    with pytest.raises(ConfigError, match="only 30 images"):
        experiment.set_live("labels_per_class", 31)
    assert experiment.config.labels_per_class == 10
    experiment.set_live("labels_per_class", 30)
    with pytest.raises(ConfigError, match="only 30 images"):
        SemiSupervised(Config(data_file=str(path), labels_per_class=50)).build("cpu", 0)


def test_a_run_reloads_mid_task_to_the_same_results(trained):
    fresh = SemiSupervised(trained.config)
    fresh.build("cpu", 1)
    restore(fresh, trained.state_dict(), trained.step)
    assert fresh.snapshot()["results"].rows == trained.snapshot()["results"].rows
    np.testing.assert_array_equal(
        fresh.snapshot()["confusion"].values, trained.snapshot()["confusion"].values
    )


def test_with_jitter_the_autoencoder_reads_moved_digits_and_is_asked_for_the_clean_ones(trained):
    assert trained.config.jitter == 0.5
    assert trained.features.input_corruption == ("jitter", 0.5)
    rows = trained.snapshot()["reconstructions"].rows
    assert list(rows) == ["jittered input", "reconstruction", "target"]
    assert not np.array_equal(rows["jittered input"], rows["target"])
    index = first_per_class(trained.test_labels, 1)[:, 0]  # one held-out digit of each class
    np.testing.assert_array_equal(rows["target"], trained.data.test_images[index])


def test_without_jitter_the_autoencoder_is_a_plain_one():
    experiment = SemiSupervised(Config(feature_model="autoencoder", jitter=0.0))
    experiment.build("cpu", 0)
    assert experiment.features.input_corruption is None
    assert list(experiment.snapshot()["reconstructions"].rows) == ["input", "reconstruction"]


@pytest.mark.parametrize("jitter", [0.0, 0.5])
def test_fine_tuning_sees_the_labelled_digits_jittered_as_stage_1_did(jitter):
    experiment = SemiSupervised(
        Config(
            feature_model="autoencoder",
            pretrain_steps=2,
            classifier_steps=1,
            fine_tune_steps=3,
            batch_size=32,
            jitter=jitter,
        )
    )
    experiment.build("cpu", 0)
    train_steps(experiment, 2 + 7)  # stage 1, then one step for each of the seven label counts
    assert experiment.tasks[0].kind == "fine-tune"
    seen = []
    codes = experiment.fine_tuned_codes
    experiment.fine_tuned_codes = lambda x: (seen.append(x), codes(x))[1]
    train_steps(experiment)
    labelled = experiment.pool_x[experiment.labelled(experiment.config.labels_per_class)]
    assert torch.equal(seen[0], labelled) is (jitter == 0.0)


def test_stage_1_previews_accuracies_early_and_stage_2_replaces_them():
    experiment = SemiSupervised(
        Config(
            feature_model="autoencoder",
            pretrain_steps=40,
            preview_from=10,
            classifier_steps=10,
            fine_tune_steps=0,
            batch_size=32,
        )
    )
    experiment.build("cpu", 0)
    train_steps(experiment, 9)
    assert not experiment.fitted and "accuracy" not in experiment.snapshot()
    train_steps(experiment)  # step 10: the first preview, every label count on the codes so far
    assert sorted(experiment.fitted) == [1, 2, 5, 10, 20, 50, 100]
    panels = experiment.snapshot()
    assert "after 10 of 40 stage-1 steps" in panels["results"].title
    assert "after 10 of 40" in panels["accuracy"].title and "confusion" in panels
    first = experiment.evaluate()["heldout_accuracy_codes"]
    train_steps(experiment, 20)  # the previews at 20; none at 30 (N, 2N, 4N, ...)
    assert {entry["preview_step"] for entry in experiment.fitted.values()} == {20}
    assert experiment.evaluate()["heldout_accuracy_codes"] != first
    assert [(t.kind, t.count) for t in experiment.tasks] == [("fit", n) for n in [10, 1, 2, 5, 20, 50, 100]]
    train_steps(experiment, 10 + 7 * 10)  # the end of stage 1, then a fit on the final codes per count
    assert not experiment.tasks or experiment.tasks[0].count == 10
    assert all("preview_step" not in entry for entry in experiment.fitted.values())
    assert "preview" not in experiment.snapshot()["results"].title
