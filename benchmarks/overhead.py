"""What the lab costs on top of bare PyTorch: samples/s of the autoencoder lesson three ways.

1. bare: a hand-written PyTorch loop over the same model, data and batch size;
2. core: the lab's run loop (`unsuplab.core.loop.run`) with snapshots ~10 times a second;
3. gui:  the real window, its worker thread and live views, driven as a user would.

Also the GUI's worst event-loop stall while training (a 10 ms timer; the largest gap between
ticks) and the time from Train to the first snapshot on screen. Prints figures; never fails on time.

    python benchmarks/overhead.py [--samples 1000000] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

from unsuplab.core.loop import RunControl, StateChanged, run
from unsuplab.experiments._image_autoencoder import weight_decay_term
from unsuplab.experiments.autoencoder import Autoencoder, Config
from unsuplab.models.devices import device_label, resolve_device


def bare(samples: int, device: str, batch: int) -> float:
    """Samples/s of a plain loop: the lesson's model, objective and optimiser, nothing else."""
    experiment = Autoencoder(Config(batch_size=batch))
    experiment.build(device, 0)  # the same data on the device, the same network and Adam
    model, optimizer, data = experiment.model, experiment.optimizer, experiment.train_x
    decay = experiment.config.weight_decay
    generator = torch.Generator(device=data.device).manual_seed(0)
    steps = samples // batch
    start = time.perf_counter()
    for _ in range(steps):
        x = data[torch.randint(len(data), (batch,), device=data.device, generator=generator)]
        x_hat, _ = model(x)
        loss = F.binary_cross_entropy(x_hat, x) + weight_decay_term(model, decay)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    float(loss.detach())  # wait for the device
    return steps * batch / (time.perf_counter() - start)


def core(samples: int, device: str, batch: int) -> float:
    """Samples/s through the lab's run loop, snapshots and held-out evaluation included."""
    steps = samples // batch
    control = RunControl(step_limit=steps)
    experiment = Autoencoder(Config(batch_size=batch))
    start = None
    for event in run(experiment, control, device=device):
        if isinstance(event, StateChanged):
            if event.state == "running":
                start = time.perf_counter()
            elif event.state == "finished":
                control.stop()
    return steps * batch / (time.perf_counter() - start)


def gui(samples: int, device: str, batch: int) -> tuple[float, float, float]:
    """(samples/s, worst event-loop stall in ms, seconds from Train to the first snapshot shown)."""
    from window_driver import measure_window_run  # beside this script

    return measure_window_run("autoencoder", samples // batch, device, {"batch_size": str(batch)})


def measure_in_subprocess(way: str, args: argparse.Namespace) -> list[float]:
    """Run one way in a fresh interpreter. Each needs its own: once a thread has run parallel torch
    work, its idle OpenMP helpers spin on this 2-core CPU and slow a training thread started later
    (measured here: a worker thread trains at 0.6 of the main thread's speed after the main thread
    has trained, at 1.0 when it has not). The window never trains on its own thread, so its worker
    runs at full speed; measuring it after the bare loop in one process would hide that."""
    command = [
        sys.executable,
        __file__,
        "--way",
        way,
        "--samples",
        str(args.samples),
        "--batch",
        str(args.batch),
        "--device",
        args.device,
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return [float(v) for v in output.strip().splitlines()[-1].split()]


def run_one_way(args: argparse.Namespace) -> None:
    device = resolve_device(args.device)
    if args.way == "bare":
        bare(args.samples // 10, device, args.batch)  # warm-up: allocator, kernels, data load
        print(bare(args.samples, device, args.batch))
    elif args.way == "core":
        print(core(args.samples, device, args.batch))
    else:
        print(*gui(args.samples, device, args.batch))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--way", choices=("bare", "core", "gui"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if args.way:
        run_one_way(args)
        return
    print(
        f"device: {device_label(resolve_device(args.device))}; autoencoder 784-32-784, "
        f"batch {args.batch}, {args.samples:,} samples per way, each way in its own process"
    )
    (bare_rate,) = measure_in_subprocess("bare", args)
    print(f"bare PyTorch loop : {bare_rate:12,.0f} samples/s")
    (core_rate,) = measure_in_subprocess("core", args)
    print(f"core run loop     : {core_rate:12,.0f} samples/s  ({core_rate / bare_rate:.3f} of bare)")
    gui_rate, stall_ms, first_s = measure_in_subprocess("gui", args)
    print(f"window + worker   : {gui_rate:12,.0f} samples/s  ({gui_rate / bare_rate:.3f} of bare)")
    print(f"worst GUI event-loop stall while training: {stall_ms:.1f} ms (timer every 10 ms)")
    print(f"first snapshot on screen after Train (pressed 2 s after the window opened): {first_s:.3f} s")
    print(f"gui/bare ratio: {gui_rate / bare_rate:.3f}")


if __name__ == "__main__":
    main()
