"""The bundled document corpus: SciPy's docstrings with their subpackage as topic, split per topic."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from unsuplab.data import DataError
from unsuplab.data.documents import load_documents


def test_the_bundled_corpus_has_ten_topics_and_a_stratified_split():
    corpus = load_documents()
    assert corpus.topics == (
        "fft",
        "interpolate",
        "linalg",
        "ndimage",
        "optimize",
        "signal",
        "sparse",
        "spatial",
        "special",
        "stats",
    )
    total = len(corpus.train_texts) + len(corpus.test_texts)
    assert total == 1067 and len(corpus.train_names) == len(corpus.train_labels)
    for topic in range(10):
        held_out = (corpus.test_labels == topic).sum()
        share = held_out / (held_out + (corpus.train_labels == topic).sum())
        assert 0.15 < share < 0.25
    # Real prose, and the dotted names that would spell out the topic are gone.
    assert all(len(text) >= 200 for text in corpus.train_texts)
    assert not any("scipy." in text for text in corpus.train_texts + corpus.test_texts)
    assert not set(corpus.train_names) & set(corpus.test_names)


def test_the_split_is_the_same_every_time(tmp_path):
    again = load_documents.__wrapped__()
    np.testing.assert_array_equal(again.test_labels, load_documents().test_labels)
    assert again.test_names == load_documents().test_names


def test_a_broken_corpus_file_is_named(tmp_path):
    bad = tmp_path / "docs.json.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(DataError, match="docs.json.gz: cannot read"):
        load_documents(bad)
    with gzip.open(bad, "wt", encoding="utf-8") as f:
        json.dump({"topics": ["a"], "documents": [{"name": "x", "topic": 3, "text": "words"}]}, f)
    with pytest.raises(DataError, match="docs.json.gz: needs documents whose topic"):
        load_documents(bad)
    with gzip.open(bad, "wt", encoding="utf-8") as f:
        json.dump({"documents": []}, f)
    with pytest.raises(DataError, match="not a document corpus"):
        load_documents(bad)
