"""Which torch devices this machine offers, and their names for the status bar."""

from __future__ import annotations

import importlib
import threading

import torch


def available_devices() -> list[str]:
    """Choices for the device picker: "auto", "cpu", then "cuda" / "mps" where present."""
    choices = ["auto", "cpu"]
    if torch.cuda.is_available():
        choices.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        choices.append("mps")
    return choices


def resolve_device(choice: str) -> str:
    """A concrete device for a picker choice; "auto" takes CUDA, then MPS, then the CPU."""
    present = available_devices()
    if choice == "auto":
        return next((d for d in ("cuda", "mps") if d in present), "cpu")
    if choice not in present:
        raise ValueError(f"device {choice!r} is not available here; choose from {', '.join(present)}")
    return choice


def device_label(device: str) -> str:
    """A human name: "CPU (2 threads)", "CUDA: NVIDIA H100", "Apple MPS"."""
    if device.startswith("cuda"):
        return f"CUDA: {torch.cuda.get_device_name(torch.device(device))}"
    if device == "mps":
        return "Apple MPS"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'' if threads == 1 else 's'})"


def warm_up_in_background() -> threading.Thread:
    """Import what torch loads on its first optimiser (torch._dynamo, about a second) on a
    background thread, so the first Train shows pictures at once instead of after that import.
    Only imports: no tensor work, which would leave spinning OpenMP helpers on this thread.
    Returns the thread."""
    thread = threading.Thread(
        target=importlib.import_module, args=("torch._dynamo",), name="unsuplab-warm-up", daemon=True
    )
    thread.start()
    return thread
