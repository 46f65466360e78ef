"""Build sample_data/scipy_docs.json.gz, the labelled corpus of the document-retrieval lesson, from
the docstrings of the installed SciPy: each public function or class of a subpackage is one
document, and its subpackage is its topic.

    python benchmarks/make_documents.py [OUT.json.gz]

What is kept of a docstring: its summary, description, Parameters, Returns and Notes; the
Examples, References and See Also sections are cut, and so are dotted names such as
`scipy.linalg.solve` (they would spell out the topic). Names that are aliases of one object, and
docstrings shorter than MIN_CHARS, are left out; a topic with more than PER_TOPIC documents keeps a
seeded random PER_TOPIC of them. The file is gzip with no time stamp, so a rebuild with the same
SciPy gives the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import inspect
import json
import random
import re
import sys
from pathlib import Path

#: Topic -> the modules whose public names are its documents.
TOPICS = {
    "fft": ("scipy.fft",),
    "interpolate": ("scipy.interpolate",),
    "linalg": ("scipy.linalg",),
    "ndimage": ("scipy.ndimage",),
    "optimize": ("scipy.optimize",),
    "signal": ("scipy.signal", "scipy.signal.windows"),
    "sparse": ("scipy.sparse", "scipy.sparse.linalg", "scipy.sparse.csgraph"),
    "spatial": ("scipy.spatial", "scipy.spatial.distance", "scipy.spatial.transform"),
    "special": ("scipy.special",),
    "stats": ("scipy.stats",),
}
MIN_CHARS = 200  # a shorter docstring says too little to be retrieved by its words
MAX_CHARS = 3000  # the rest of a long docstring adds bytes, not topics
PER_TOPIC = 200
SEED = 0
CUT_SECTIONS = ("Examples", "References", "See Also", "See also")
OUT = Path(__file__).resolve().parents[1] / "sample_data" / "scipy_docs.json.gz"


def clean(doc: str) -> str:
    """The docstring without its cut sections and dotted scipy names, whitespace tidied."""
    lines, kept, skipping = doc.splitlines(), [], False
    for i, line in enumerate(lines):
        underline = i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}
        if underline:
            skipping = line.strip() in CUT_SECTIONS
        if not skipping:
            kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"\bscipy(\.\w+)+", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return text[:MAX_CHARS]


def documents_of(module_name: str, seen: set[int]) -> list[tuple[str, str]]:
    """(qualified name, cleaned docstring) of the public functions and classes of a module."""
    module = importlib.import_module(module_name)
    found = []
    for name in sorted(getattr(module, "__all__", dir(module))):
        obj = getattr(module, name, None)
        if name.startswith("_") or obj is None or inspect.ismodule(obj) or not callable(obj):
            continue
        if id(obj) in seen:
            continue
        doc = inspect.getdoc(obj)
        if not doc:
            continue
        text = clean(doc)
        if len(text) >= MIN_CHARS:
            seen.add(id(obj))
            found.append((f"{module_name}.{name}", text))
    return found


def build() -> dict:
    import scipy

    rng = random.Random(SEED)
    seen: set[int] = set()
    documents = []
    for topic_index, modules in enumerate(TOPICS.values()):
        found = [doc for module in modules for doc in documents_of(module, seen)]
        if len(found) > PER_TOPIC:
            found = sorted(rng.sample(found, PER_TOPIC))
        documents += [{"name": name, "topic": topic_index, "text": text} for name, text in found]
    return {
        "source": f"docstrings of SciPy {scipy.__version__} (BSD-3-Clause), by benchmarks/make_documents.py",
        "topics": list(TOPICS),
        "documents": documents,
    }


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    corpus = build()
    raw = json.dumps(corpus, ensure_ascii=False, indent=0).encode("utf-8")
    with open(out, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as z:
        z.write(raw)
    counts = {t: sum(d["topic"] == i for d in corpus["documents"]) for i, t in enumerate(corpus["topics"])}
    print(out, f"{out.stat().st_size:,} bytes", hashlib.sha256(out.read_bytes()).hexdigest())
    print(len(corpus["documents"]), "documents:", ", ".join(f"{t} {n}" for t, n in counts.items()))


if __name__ == "__main__":
    main()
