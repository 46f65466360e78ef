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
    from unsuplab.ui.benchmark_driver import measure_window_run

    return measure_window_run("autoencoder", samples // batch, device,
                              {"batch_size": str(batch)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    device = resolve_device(args.device)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"device: {device_label(device)}; autoencoder 784-32-784, batch {args.batch}, "
          f"{args.samples:,} samples per way")
    bare(args.samples // 10, device, args.batch)  # warm-up: allocator, kernels, data load
    bare_rate = bare(args.samples, device, args.batch)
    print(f"bare PyTorch loop : {bare_rate:12,.0f} samples/s")
    core_rate = core(args.samples, device, args.batch)
    print(f"core run loop     : {core_rate:12,.0f} samples/s  ({core_rate / bare_rate:.3f} of bare)")
    gui_rate, stall_ms, first_s = gui(args.samples, device, args.batch)
    print(f"window + worker   : {gui_rate:12,.0f} samples/s  ({gui_rate / bare_rate:.3f} of bare)")
    print(f"worst GUI event-loop stall while training: {stall_ms:.1f} ms (timer every 10 ms)")
    print(f"first snapshot on screen after Train: {first_s:.3f} s")
    print(f"gui/bare ratio: {gui_rate / bare_rate:.3f}")


if __name__ == "__main__":
    main()
