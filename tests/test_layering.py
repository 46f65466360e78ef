"""The house rules: nothing outside unsuplab/ui/ imports Qt, unsuplab.core needs no torch, and each
room imports only what DESIGN.md's "Rooms" table allows (the import-linter contracts)."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "unsuplab"
QT_ROOTS = ("PySide6", "shiboken6", "pyqtgraph")
# Importing unsuplab.ui from outside it would bring Qt in just the same.
FORBIDDEN = (*QT_ROOTS, "unsuplab.ui")
# The only Qt-bound imports outside ui/: the CLI's window and screenshot commands, made lazily
# inside the function that needs them (file, enclosing function, module imported).
ALLOWED = {
    ("cli.py", "_cmd_gui", "unsuplab.ui.app"),
    ("cli.py", "_cmd_shot", "unsuplab.ui.shot"),
    ("cli.py", "_cmd_film", "unsuplab.ui.film"),
}


def _non_ui_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "ui" not in p.relative_to(PACKAGE).parts)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


class _ImportFinder(ast.NodeVisitor):
    """Every import in a module, with the function (if any) it sits in."""

    def __init__(self, module: str, is_package: bool):
        self.package = module if is_package else module.rpartition(".")[0]
        self.function: list[str] = []
        self.found: list[tuple[str, str, int]] = []  # (function or "", module, line)

    def _visit_function(self, node: ast.AST) -> None:
        self.function.append(node.name)
        self.generic_visit(node)
        self.function.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function  # noqa: N815 - ast.NodeVisitor names

    def _add(self, name: str, node: ast.AST) -> None:
        self.found.append((self.function[-1] if self.function else "", name, node.lineno))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:  # a relative import: resolve it against this module's package
            anchor = self.package.split(".")
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        self._add(base, node)
        for alias in node.names:  # `from unsuplab import ui` imports the ui package too
            self._add(f"{base}.{alias.name}", node)


def _is_forbidden(module: str) -> bool:
    return any(module == root or module.startswith(root + ".") for root in FORBIDDEN)


def test_no_module_outside_ui_imports_qt_except_the_listed_lazy_ones():
    violations, allowed_seen = [], set()
    for path in _non_ui_files():
        finder = _ImportFinder(_module_name(path), path.name == "__init__.py")
        finder.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        relative = path.relative_to(PACKAGE).as_posix()
        for function, module, line in finder.found:
            if not _is_forbidden(module):
                continue
            # `from unsuplab.ui.app import run_app` is found as ...ui.app and ...ui.app.run_app.
            key = next(
                (
                    k
                    for k in ALLOWED
                    if k[:2] == (relative, function) and (module == k[2] or module.startswith(k[2] + "."))
                ),
                None,
            )
            if key is not None:
                allowed_seen.add(key)
            else:
                where = f"in {function}()" if function else "at module level"
                violations.append(f"unsuplab/{relative}:{line} imports {module} {where}")
    assert violations == []
    assert allowed_seen == ALLOWED, "update ALLOWED when the CLI's lazy imports move"


def _run_blocked(blocked: tuple[str, ...], body: str) -> dict:
    """Run `body` in a fresh interpreter where importing any of `blocked` raises ImportError."""
    script = textwrap.dedent("""
        import importlib, importlib.abc, json, pkgutil, sys
        BLOCKED = {blocked!r}

        class Blocker(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is blocked in this test")
                return None

        sys.meta_path.insert(0, Blocker())

        def modules(package, skip):
            # pkgutil.walk_packages would import unsuplab.ui to look inside it; walk by hand.
            for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
                if info.name in skip:
                    continue
                yield info.name
                if info.ispkg:
                    yield from modules(importlib.import_module(info.name), skip)

        def import_all(root, skip):
            failures = {{}}
            for name in modules(importlib.import_module(root), skip):
                try:
                    importlib.import_module(name)
                except Exception as exc:
                    failures[name] = f"{{type(exc).__name__}}: {{exc}}"
            return failures
    """).format(blocked=blocked) + textwrap.dedent(body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=240, cwd=PACKAGE.parent
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_non_ui_module_imports_and_the_cli_trains_without_qt(tmp_path):
    result = _run_blocked(
        QT_ROOTS,
        f"""
        failures = import_all("unsuplab", skip={{"unsuplab.ui", "unsuplab.__main__"}})
        from unsuplab.cli import main
        import contextlib, io
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            listed = main(["list"])
            trained = main(["train", "autoencoder", "--steps", "2", "--set", "batch_size=16",
                            "--device", "cpu", "--out", {str(tmp_path / "run")!r}])
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
        print(json.dumps({{"failures": failures, "list": listed, "train": trained,
                          "loaded": loaded, "count": len([m for m in sys.modules
                                                          if m.startswith("unsuplab.")])}}))
    """,
    )
    assert result["failures"] == {}
    assert result["loaded"] == []
    assert (result["list"], result["train"]) == (0, 0)
    assert result["count"] >= 15  # the walk really imported the package, not an empty set
    assert (tmp_path / "run" / "checkpoint.pt").exists()


def test_core_imports_without_torch():
    result = _run_blocked(
        ("torch", *QT_ROOTS),
        """
        failures = import_all("unsuplab.core", skip=set())
        core = sorted(m for m in sys.modules if m.startswith("unsuplab.core."))
        print(json.dumps({"failures": failures, "core": core,
                          "torch": "torch" in sys.modules}))
    """,
    )
    assert result["failures"] == {}
    assert not result["torch"]
    assert {"unsuplab.core.loop", "unsuplab.core.checkpoint", "unsuplab.core.config"} <= set(result["core"])


def test_every_room_imports_only_what_the_design_allows():
    """The import-linter contracts in pyproject.toml: DESIGN.md's "may import" column."""
    assert importlib.util.find_spec("importlinter"), "install the dev extra: pip install -e '.[dev]'"
    root = PACKAGE.parent
    # This checkout's package, not another one installed in editable mode.
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True))",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=root,
        env={**os.environ, "PYTHONPATH": path},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
