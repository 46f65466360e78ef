"""Document retrieval lesson: bag of words, LSA, the document autoencoder, precision–recall, maps."""

from __future__ import annotations

import numpy as np
import pytest

from unsuplab.core.payloads import Curves, Scatter
from unsuplab.core.stepping import train_steps
from unsuplab.experiments.document_retrieval import (
    RECALLS,
    DocumentRetrieval,
    cosine_ranking,
    precision_recall,
)


@pytest.fixture(scope="module")
def trained() -> DocumentRetrieval:
    experiment = DocumentRetrieval(DocumentRetrieval.Config(hidden_sizes="256,128", batch_size=64))
    experiment.build("cpu", 0)
    train_steps(experiment, 200)
    return experiment


def test_precision_recall_by_hand():
    # One query of topic 0; the database ranked: relevant, not, relevant, not.
    ranking = np.array([[0, 1, 2, 3]])
    precision, mean_ap = precision_recall(ranking, np.array([0]), np.array([0, 1, 0, 1]))
    # Half the topic is found after 1 document (precision 1), all of it after 3 (2/3).
    assert precision[list(RECALLS).index(0.5)] == pytest.approx(1.0)
    assert precision[-1] == pytest.approx(2 / 3)
    assert mean_ap == pytest.approx((1 + 2 / 3) / 2)
    assert cosine_ranking(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0], [2.0, 0.1], [1.0, 1.0]]))[
        0
    ].tolist() == [
        1,
        2,
        0,
    ]


def test_lsa_is_scikit_learns_truncated_svd_of_tfidf(trained):
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfTransformer

    counts = trained.train_counts.numpy()
    x = TfidfTransformer().fit_transform(counts)
    expected = TruncatedSVD(10, random_state=0).fit_transform(x)
    np.testing.assert_allclose(np.abs(trained.lsa["lsa"][0]), np.abs(expected), rtol=1e-4, atol=1e-6)
    assert trained.train_counts.shape[1] == 2000  # V = 2,000 words, as in the paper


def test_the_autoencoder_codes_retrieve_better_than_lsa_in_two_dimensions(trained):
    metrics = trained.evaluate()
    assert metrics["heldout_map_lsa"] > metrics["heldout_map_tfidf"] - 0.1
    # The paper's finding: a 2-D autoencoder code keeps the topics apart far better than LSA's.
    assert metrics["heldout_map_ae_map"] > metrics["heldout_map_lsa_map"] + 0.1
    assert metrics["heldout_map_ae"] > 0.5
    curves = trained.snapshot()["precision_recall"]
    assert isinstance(curves, Curves) and len(curves.series) == 5
    for recall, precision in curves.series.values():
        np.testing.assert_array_equal(recall, RECALLS)
        assert np.all((precision >= 0) & (precision <= 100))


def test_maps_show_every_document_with_its_text_and_topic_names(trained):
    panels = trained.snapshot()
    for key in ("latent", "lsa_map"):
        scatter = panels[key]
        assert isinstance(scatter, Scatter) and scatter.points.shape == (1067, 2)
        assert len(scatter.texts) == 1067 and scatter.label_names[2] == "linalg"
    first_train = trained.corpus.train_names[0].removeprefix("scipy.")
    assert panels["latent"].texts[0].startswith(first_train)


def test_clicking_a_document_makes_it_the_query(trained):
    table = trained.probe("inspect", index=0)["neighbours"]
    assert trained.corpus.train_names[0].removeprefix("scipy.") in table.title
    listed = [row[1] for row in table.rows]
    assert len(listed) == 8 and trained.corpus.train_names[0].removeprefix("scipy.") not in listed
    with pytest.raises(ValueError, match="outside the 1067 documents"):
        trained.probe("inspect", index=5000)
