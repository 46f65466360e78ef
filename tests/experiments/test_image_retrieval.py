"""Image retrieval lesson: three distances, precision@k, picked and drawn queries, binary codes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from unsuplab.core.stepping import train_steps
from unsuplab.experiments.image_retrieval import ImageRetrieval, nearest

SETTINGS = {"feature_model": "autoencoder", "code_bits": 8, "batch_size": 32}


@pytest.fixture(scope="module")
def trained() -> ImageRetrieval:
    experiment = ImageRetrieval(ImageRetrieval.Config(**SETTINGS))
    experiment.build("cpu", 0)
    train_steps(experiment, 30)
    return experiment


def test_nearest_is_exact_and_breaks_ties_by_order():
    database = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [3.0, 3.0]])
    found = nearest(torch.tensor([[0.1, 0.0], [0.5, 0.5]]), database, 3)
    assert found[0].tolist() == [0, 1, 2]
    assert found[1].tolist() == [0, 1, 2]  # three at the same distance: database order


def test_precision_at_k_for_three_distances(trained):
    metrics = trained.evaluate()
    for name in ("pixels", "codes", "bits"):
        assert 0 <= metrics[f"heldout_precision_{name}"] <= 100
    assert metrics["heldout_precision_pixels"] > 80  # raw pixels already find most digits
    table = trained.snapshot()["precision"]
    assert [row[0] for row in table.rows] == ["pixels (Euclidean)", "codes (Euclidean)", "8 bits (Hamming)"]
    assert table.rows[0][1] == round(metrics["heldout_precision_pixels"], 1)


def test_hash_codes_are_bits_of_the_logistic_code(trained):
    bits = trained.hashing.bits(trained.test_x[:20])
    assert bits.shape == (20, 8) and set(bits.unique().tolist()) <= {0.0, 1.0}


def test_clicking_a_query_shows_its_neighbours_three_ways(trained):
    answer = trained.probe("query", index=3)
    rows = answer["neighbours"].rows
    assert len(rows) == 3
    query = trained.test_x[trained.query_choices[3]].reshape(28, 28).numpy()
    for images in rows.values():
        assert images.shape == (11, 28, 28)
        np.testing.assert_array_equal(images[0], query)  # the first column is the query
    with pytest.raises(ValueError, match="outside"):
        trained.probe("query", index=999)


def test_a_drawn_query_is_checked_and_searched(trained):
    drawn = np.zeros((28, 28), dtype=np.float32)
    drawn[4:24, 13:16] = 1.0
    answer = trained.probe("reconstruct", image=drawn)
    assert {"drawing", "neighbours", "precision"} <= set(answer)
    assert "your drawing" in answer["neighbours"].title
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        trained.probe("reconstruct", image=drawn * 3)
    trained.probe("query", index=0)  # back to a held-out query for the other tests


def test_neighbours_slider_changes_k(trained):
    trained.set_live("neighbours", 5)
    assert all(len(images) == 6 for images in trained.snapshot()["neighbours"].rows.values())
    trained.set_live("neighbours", 10)
