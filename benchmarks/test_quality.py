"""The quality benchmark's plumbing on the bundled sample: epoch budgets, the validation file, tables."""

from __future__ import annotations

import numpy as np
from quality import Budget, print_family_table, runs, train, validation_file

from unsuplab.data import load_dataset, load_files


def dense_run(**overrides):
    run = next(r for r in runs() if r.key == "dense")
    run.overrides = {**run.overrides, "batch_size": 45, **overrides}
    return run


def test_an_epoch_budget_trains_that_many_epochs_and_measures_at_each_step_of_it():
    outcome = train(dense_run(), "cpu", Budget(0.1, 0.05, in_epochs=True), seed=0, official=None)
    assert outcome.train_size == 4500
    assert outcome.samples == 450  # 0.1 epochs of 4,500 digits: 10 steps of 45
    points = outcome.history["held-out BCE/pixel"]
    assert [p.samples for p in points] == [225, 450]  # one point per measurement, not per row
    assert outcome.cpu_seconds > 0 and outcome.seconds > 0
    assert 0 < outcome.heldout["held-out BCE/pixel"] < 1


def test_the_validation_file_splits_the_training_part_and_leaves_the_test_part_out(tmp_path):
    path = validation_file("mnist-sample", tmp_path)
    split, full = load_files(path), load_dataset("mnist-sample")
    assert (len(split.train_images), len(split.test_images)) == (4050, 450)
    together = np.concatenate([split.train_images, split.test_images]).reshape(4500, -1)
    assert sorted(map(bytes, (together * 255).round().astype(np.uint8))) == sorted(
        map(bytes, (full.train_images.reshape(4500, -1) * 255).round().astype(np.uint8))
    )


def test_a_family_table_gives_the_figure_the_anchor_epochs_and_cpu_minutes(capsys):
    run = dense_run()
    outcome = train(run, "cpu", Budget(0.05, 0.05, in_epochs=True), seed=0, official=None)
    print_family_table([run], {"dense": outcome}, "test 10k", official=False)
    out = capsys.readouterr().out
    assert "ours: test 10k" in out and "CPU min" in out and "0.11 Keras 2016" in out
    assert "dense: held-out BCE/pixel at epochs 0.05: " in out
