"""The lesson registry: every module in `unsuplab.experiments` registers its Experiment class."""

from __future__ import annotations

import importlib
import pkgutil

from unsuplab.core.experiment import GROUPS, Experiment

_REGISTRY: dict[str, type[Experiment]] = {}


def register(cls: type[Experiment]) -> type[Experiment]:
    """Class decorator: make a lesson known by its `name`."""
    if cls.group not in GROUPS:
        raise ValueError(f"{cls.__name__}.group {cls.group!r} is not one of {GROUPS}")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"two lessons are named {cls.name!r}")
    _REGISTRY[cls.name] = cls
    return cls


def _discover() -> None:
    import unsuplab.experiments as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")


def lessons() -> list[type[Experiment]]:
    """All lessons, ordered by group (as in GROUPS) then title."""
    _discover()
    return sorted(_REGISTRY.values(), key=lambda c: (GROUPS.index(c.group), c.title))


def lesson(name: str) -> type[Experiment]:
    """The lesson called `name`; a KeyError listing the known names when there is none."""
    _discover()
    if name not in _REGISTRY:
        raise KeyError(f"no lesson named {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[name]
