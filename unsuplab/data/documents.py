"""A labelled text corpus for document retrieval: the docstrings of SciPy's subpackages, bundled in
`sample_data/scipy_docs.json.gz` (see its README), each document's topic its subpackage."""

from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unsuplab.data.types import DataError
from unsuplab.paths import sample_data_dir

CORPUS_FILE = "scipy_docs.json.gz"
HELD_OUT_SHARE = 0.2  # of every topic's documents, held out as queries
SPLIT_SEED = 0


@dataclass(frozen=True)
class DocumentCorpus:
    """Texts with integer topics, split into a training part (the database) and a held-out part."""

    topics: tuple[str, ...]
    train_names: tuple[str, ...]
    train_texts: tuple[str, ...]
    train_labels: np.ndarray
    test_names: tuple[str, ...]
    test_texts: tuple[str, ...]
    test_labels: np.ndarray
    source: str


def corpus_path() -> Path:
    return sample_data_dir() / CORPUS_FILE


@functools.cache
def load_documents(path: Path | None = None) -> DocumentCorpus:
    """The corpus at `path` (default: the bundled one), a fixed share of each topic held out."""
    path = Path(path) if path is not None else corpus_path()
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            corpus = json.load(f)
        topics = tuple(str(t) for t in corpus["topics"])
        documents = corpus["documents"]
        names = [str(d["name"]) for d in documents]
        texts = [str(d["text"]) for d in documents]
        labels = np.array([int(d["topic"]) for d in documents], dtype=np.int64)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{path}: cannot read the document corpus ({exc})") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(
            f"{path}: not a document corpus (topics, and documents with name, topic and text; {exc!r})"
        ) from None
    if not documents or labels.min() < 0 or labels.max() >= len(topics):
        raise DataError(f"{path}: needs documents whose topic numbers index its {len(topics)} topics")
    held_out = _held_out(labels)
    train, test = np.flatnonzero(~held_out), np.flatnonzero(held_out)
    return DocumentCorpus(
        topics,
        tuple(names[i] for i in train),
        tuple(texts[i] for i in train),
        labels[train],
        tuple(names[i] for i in test),
        tuple(texts[i] for i in test),
        labels[test],
        str(corpus.get("source", path)),
    )


def _held_out(labels: np.ndarray) -> np.ndarray:
    """A fixed random HELD_OUT_SHARE of each topic (at least one document of every topic that has
    two), the same on every run and machine."""
    rng = np.random.default_rng(SPLIT_SEED)
    held_out = np.zeros(len(labels), dtype=bool)
    for topic in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == topic))
        count = max(1, round(HELD_OUT_SHARE * len(members))) if len(members) > 1 else 0
        held_out[members[:count]] = True
    return held_out
