"""Shared CLI fixtures: one short autoencoder run, and a tiny fake lesson that can fail on purpose."""

from __future__ import annotations

import contextlib
import io
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from unsuplab.cli import main
from unsuplab.core import registry
from unsuplab.core.config import param
from unsuplab.core.experiment import Experiment
from unsuplab.core.payloads import ImageGrid


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def last_line(self) -> str:
        return self.out.strip().splitlines()[-1]


def run_cli(*argv: str) -> CliResult:
    """main() in-process with its output captured (usable from fixtures of any scope)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def cli():
    """`cli("train", ...)` runs main() in-process and returns its exit status and output."""
    return run_cli


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> tuple[CliResult, Path]:
    """`unsuplab train autoencoder --steps 30 --set batch_size=32`, run once for several tests."""
    out = tmp_path_factory.mktemp("cli") / "run"
    result = run_cli(
        "train",
        "autoencoder",
        "--steps",
        "30",
        "--set",
        "batch_size=32",
        "--device",
        "cpu",
        "--out",
        str(out),
    )
    assert result.code == 0, result.err
    return result, out


@dataclass
class TickConfig:
    nan_at: int = param(0, "The step whose loss is NaN (0: never).", low=0, high=10**9)
    interrupt_at: int = param(0, "The step that presses Ctrl+C (0: never).", low=0, high=10**9)


class Tick(Experiment):
    """A lesson with no data file and no torch model: a counter whose loss is 1/step."""

    name = "test-tick"
    title = "Tick"
    group = "Classical"
    Config = TickConfig

    def build(self, device: str, seed: int) -> None:
        self.steps = 0

    def train_step(self) -> dict[str, float]:
        self.steps += 1
        if self.steps == self.config.interrupt_at:
            os.kill(os.getpid(), signal.SIGINT)
        return {"loss": float("nan") if self.steps == self.config.nan_at else 1.0 / self.steps}

    def evaluate(self) -> dict[str, float]:
        return {"heldout_loss": 1.0 / (1 + self.steps)}

    def snapshot(self) -> dict[str, Any]:
        ramp = np.linspace(0, 1, 4 * 6 * 6, dtype=np.float32).reshape(4, 6, 6)
        return {"ramp": ImageGrid("Ramp", ramp)}

    def state_dict(self) -> dict[str, Any]:
        return {"steps": self.steps}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.steps = state["steps"]


@pytest.fixture
def tick(monkeypatch) -> type[Tick]:
    """Make the fake lesson known for one test only."""
    registry.lessons()  # register the real lessons first, so the fake is not the only one
    monkeypatch.setitem(registry._REGISTRY, Tick.name, Tick)
    return Tick
