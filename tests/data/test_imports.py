"""The modules of unsuplab.data import one another in one direction only (no import circle)."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "unsuplab" / "data"


def _data_imports(path: Path) -> set[str]:
    """The unsuplab.data modules `path` imports, at its top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "unsuplab.data":
            # `from unsuplab.data import local` names a module; anything else runs __init__.
            found |= {a.name if (DATA / f"{a.name}.py").is_file() else "__init__" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("unsuplab.data."):
            found.add(node.module.removeprefix("unsuplab.data."))
        elif isinstance(node, ast.Import):
            found |= {
                a.name.removeprefix("unsuplab.data.")
                for a in node.names
                if a.name.startswith("unsuplab.data.")
            }
    return found


def test_data_modules_import_each_other_without_a_circle():
    graph = {p.stem: _data_imports(p) for p in DATA.glob("*.py")}
    assert graph["types"] == set()  # the shared types depend on nothing else in data/
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        raise AssertionError(f"import circle in unsuplab.data: {' -> '.join(exc.args[1])}") from None
    assert order.index("types") < order.index("datasets")
