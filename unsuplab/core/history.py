"""The metric history of a run: named scalar series against step, bounded in memory, saved as CSV."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable

import numpy as np

from unsuplab.atomic import atomic_write


class MetricHistory:
    """Scalar metrics recorded at steps; thinned (every other point dropped) past `max_points`."""

    def __init__(self, max_points: int = 4000):
        self.max_points = max_points
        self._steps: dict[str, list[int]] = {}
        self._values: dict[str, list[float]] = {}

    def record(self, step: int, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            steps = self._steps.setdefault(name, [])
            values = self._values.setdefault(name, [])
            if steps and steps[-1] == step:
                values[-1] = float(value)
                continue
            steps.append(step)
            values.append(float(value))
            if len(steps) > self.max_points:
                # Keep the first and the newest point; drop every other one in between.
                self._steps[name] = steps[:-1:2] + [steps[-1]]
                self._values[name] = values[:-1:2] + [values[-1]]

    def truncate(self, last_step: int) -> None:
        """Forget every point recorded after `last_step` (the run went back to that step)."""
        for name, steps in self._steps.items():
            keep = sum(1 for s in steps if s <= last_step)
            del steps[keep:]
            del self._values[name][keep:]

    @property
    def names(self) -> list[str]:
        return list(self._steps)

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        steps = np.asarray(self._steps.get(name, []), dtype=np.int64)
        values = np.asarray(self._values.get(name, []), dtype=np.float64)
        return steps, values

    def latest(self) -> dict[str, float]:
        return {name: values[-1] for name, values in self._values.items() if values}

    def to_dict(self) -> dict[str, dict[str, list]]:
        return {n: {"steps": list(self._steps[n]), "values": list(self._values[n])} for n in self._steps}

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, Iterable]]) -> MetricHistory:
        history = cls()
        for name, columns in data.items():
            history._steps[name] = [int(s) for s in columns["steps"]]
            history._values[name] = [float(v) for v in columns["values"]]
        return history

    def write_csv(self, path) -> None:
        """One row per step, one column per metric; empty where a metric was not recorded."""
        names = self.names
        table: dict[int, dict[str, float]] = {}
        for name in names:
            for step, value in zip(self._steps[name], self._values[name], strict=True):
                table.setdefault(step, {})[name] = value
        with atomic_write(path, "w", newline="", encoding="utf-8") as f:  # whole or not at all
            writer = csv.writer(f)
            writer.writerow(["step", *names])
            for step in sorted(table):
                row = table[step]
                writer.writerow([step, *(_fmt(row.get(n)) for n in names)])

    @classmethod
    def read_csv(cls, path) -> MetricHistory:
        """A history written by `write_csv`; empty cells are steps where a metric was not recorded."""
        history = cls()
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header or header[0] != "step":
                raise ValueError(f"{path}: not a metric history (the first column must be 'step')")
            names = header[1:]
            for row in reader:
                cells = zip(names, row[1:], strict=True)
                history.record(int(row[0]), {n: float(v) for n, v in cells if v != ""})
        return history


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return repr(value) if math.isfinite(value) else str(value)
