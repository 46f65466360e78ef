"""The command line: list lessons, train one headless (or compare variants) and export it, open the
window, take shots and films."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import unsuplab
from unsuplab.atomic import OutputError, atomic_write, partial_path, remove_partials
from unsuplab.core.checkpoint import CheckpointError, load_run, save_run
from unsuplab.core.commands import EXPORT_METRICS, SAVE
from unsuplab.core.compare import (
    Comparison,
    parse_value_lists,
    split_history,
    split_metrics,
    vary_configs,
    write_variant_csv,
)
from unsuplab.core.config import ConfigError, field_specs, save_json, with_overrides
from unsuplab.core.experiment import Experiment
from unsuplab.core.history import MetricHistory
from unsuplab.core.loop import (
    Event,
    Notice,
    Progress,
    Restore,
    RunControl,
    RunFailed,
    RunState,
    Snapshot,
    StateChanged,
    run,
)
from unsuplab.core.registry import lesson, lessons
from unsuplab.viz.export import file_stem as _file_stem
from unsuplab.viz.export import write_pictures

EXIT_OK = 0
EXIT_FAILED = 1  # the run failed (diverged, or an exception); outputs of the last good state exist
EXIT_USAGE = 2  # bad command line, setting, checkpoint, data file, device or output folder
EXIT_INTERRUPTED = 130  # Ctrl+C, the shell's convention (128 + SIGINT)

DEFAULT_STEPS = 1000
MAX_STEPS = 1_000_000_000  # a day at 10,000 steps a second is under a tenth of it
THEMES = ("dark", "light")
DEFAULT_PRESENTER_SCALE = 1.75  # as the window's (unsuplab.ui.views._style), which cli may not import
# Nobody watches panels headless: two snapshots a second keep the bar and metrics.csv fresh
# while costing training far less than the window's ten.
SNAPSHOT_INTERVAL = 0.5
DEFAULT_FILM_STEPS = 300


class Watch(Protocol):
    """What follows a `train` run in place of the progress bar (a sweep's trial, unsuplab.sweep):
    every snapshot, and whether to stop early (the outputs are then written as after Ctrl+C)."""

    def update(self, progress: Progress, metrics: dict[str, float]) -> None: ...
    def note(self, message: str) -> None: ...
    def close(self) -> None: ...
    def stop_requested(self) -> bool: ...


class UsageError(Exception):
    """A mistake in what was asked (exit status 2); the message names the field or the file."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors in the same form as every other unsuplab error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --- the command line ----------------------------------------------------------------------------

TRAIN_EPILOG = """\
--steps N trains N more steps: a fresh run stops at step N, a run resumed from a checkpoint at
step S stops at step S+N (its history and step count carry on). --steps 0 with --resume trains
nothing and only exports the checkpoint's pictures and metrics.

DIR (default runs/<lesson>-<date>-<time>) receives:
  config.json     the settings of the run
  metrics.csv     step and every metric (held-out ones included), about two rows a second
  checkpoint.pt   the run, to continue with --resume or open in the window
  <panel>.png     every image panel of the final snapshot (filters, reconstructions, ...)
The last line on stdout is "final step=N key=value ..." with the final metrics.

exit status: 0 done; 1 the run failed (diverged or crashed; the outputs of the last good state
are still written); 2 bad lesson, setting, checkpoint, data file or device, or an output folder
that cannot hold the outputs (full or read-only; no half-written file is left); 130 stopped by
Ctrl+C (outputs written; press it twice to quit at once). Nothing is written to DIR until the
lesson has been built from the settings, data and checkpoint.
"""


FILM_EPILOG = """\
The film shows the run's recorded frames, evenly spread over its steps (a long run keeps its
frames log-spaced: dense where recent, the whole run covered); a run with fewer recorded frames
than --frames gives a shorter film. Panel names are the snapshot's keys (filters, samples,
latent, ...; curve panels are curves:<title>). exit status: 0 written; 1 the run failed; 2 bad
lesson, setting, saved run, panel or output path (nothing is left under the film's name).
"""


COMPARE_EPILOG = """\
Every variant starts from the same seed and data and trains --steps N steps, in turns.

DIR (default runs/<lesson>-<date>-<time>) receives:
  config.json            the settings the variants share (the varied ones as in the first;
                         the first lesson's, for different lessons)
  metrics.csv            step, variant and every metric, one row per variant and step
  checkpoint-<variant>.pt  each variant's run, to continue with 'train --resume' or open
  comparison.pt          the whole comparison, to open in the window (File > Open run); not
                         for different lessons, each saved in its checkpoint-<lesson>.pt
  <panel>.png            the comparison's picture panels, one per variant ("filters-beta-4.png")
The last line on stdout is "final step=N [variant] key=value ... [variant] ..." with each
variant's held-out figures.

exit status as for 'train'; a --vary naming a setting the lesson lacks, an empty or malformed
list of values, a value out of range or more than 4 variants exits 2 naming the setting, with
nothing written.
"""


def build_parser() -> argparse.ArgumentParser:
    """The `unsuplab` argument parser with its sub-commands."""
    parser = _Parser(
        prog="unsuplab",
        description="A visual lab for unsupervised deep learning. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"unsuplab {unsuplab.__version__}")
    parser.set_defaults(handler=_cmd_gui, lesson=None, theme=None)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    gui = commands.add_parser(
        "gui", help="open the window (the default)", description="Open the window, optionally on one lesson."
    )
    gui.add_argument("lesson", nargs="?", metavar="LESSON", help="lesson to open (see 'list')")
    gui.add_argument("--theme", choices=THEMES, help="colour theme (default: the saved one)")
    gui.set_defaults(handler=_cmd_gui)

    listing = commands.add_parser(
        "list",
        help="list the lessons: name, group, title",
        description="One line per lesson: name<TAB>group<TAB>title.",
    )
    listing.set_defaults(handler=_cmd_list)

    train = commands.add_parser(
        "train",
        help="train a lesson headless and export the run",
        description="Train a lesson without the window, print progress on stderr, and write\n"
        "the settings, metrics, checkpoint and pictures to DIR.",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("name", metavar="NAME", help="lesson name (see 'unsuplab list')")
    _add_run_options(train, default_steps=DEFAULT_STEPS)
    train.add_argument(
        "--data",
        metavar="PATH",
        help="train on your own images: a Keras "
        "mnist.npz or an IDX images file (sets the lesson's data_file)",
    )
    train.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help="continue a run saved as "
        "checkpoint.pt (by 'train' or the window); --set may change its settings",
    )
    train.add_argument("--out", metavar="DIR", help="output folder (default: runs/<lesson>-<date>-<time>)")
    train.set_defaults(handler=_cmd_train)

    compare = commands.add_parser(
        "compare",
        help="train 2 to 4 variants of a lesson side by side and export them",
        description="Train variants of one lesson (the same seed and data, one setting or two\n"
        "changed) in turns, each the same number of steps, and write them to DIR.",
        epilog=COMPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument(
        "name",
        metavar="NAME",
        help="lesson name (see 'unsuplab list'); or lessons that share a figure, separated by commas, "
        "e.g. autoencoder,conv-autoencoder (no --vary then)",
    )
    compare.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a setting and the values to compare, e.g. --vary corruption_level=0,0.25,0.5 "
        "(repeatable; at most 4 variants in all; separate list values with ';')",
    )
    _add_run_options(compare, default_steps=DEFAULT_STEPS)
    compare.add_argument("--out", metavar="DIR", help="output folder (default: runs/<lesson>-<date>-<time>)")
    compare.set_defaults(handler=_cmd_compare)

    shot = commands.add_parser(
        "shot",
        help="train a few steps in the window and save a screenshot",
        description="Open the lesson in an off-screen window, train it, and save the window as PNG.",
    )
    shot.add_argument("name", metavar="NAME", help="lesson name (see 'unsuplab list')")
    _add_run_options(shot, default_steps=200)
    shot.add_argument("--theme", choices=THEMES, default="dark", help="colour theme (default dark)")
    shot.add_argument("--out", metavar="FILE.png", required=True, help="where to save the picture")
    shot.add_argument(
        "--presenter",
        metavar="SCALE",
        nargs="?",
        type=float,
        const=DEFAULT_PRESENTER_SCALE,
        help=f"presenter mode: everything SCALE times larger (1.25-2.5; default {DEFAULT_PRESENTER_SCALE})",
    )
    shot.add_argument(
        "--size",
        metavar="WxH",
        type=_window_size,
        default=None,
        help="window size in pixels, e.g. 1280x720 for a projector (default 1500x950)",
    )
    shot.set_defaults(handler=_cmd_shot)

    film = commands.add_parser(
        "film",
        help="train a lesson (or open a saved run) and film its timeline as a GIF or MP4",
        description="Film a run's recorded timeline through the window's views: train NAME for\n"
        "--steps steps headless, or replay a run saved with --run. A caption gives each frame's\n"
        "step and metrics. .gif needs nothing more; .mp4 needs the extra unsuplab[video].",
        epilog=FILM_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    film.add_argument("name", nargs="?", metavar="NAME", help="lesson to train and film (see 'list')")
    _add_run_options(film, default_steps=DEFAULT_FILM_STEPS)
    film.add_argument("--run", metavar="SAVED.pt", help="film this saved run instead of training one")
    film.add_argument("--out", metavar="FILE", required=True, help="the film: .gif, or .mp4")
    film.add_argument("--panel", metavar="NAME", help="film only this panel (default: every panel)")
    film.add_argument(
        "--frames", type=_positive, default=120, metavar="N", help="frames in the film (default 120)"
    )
    film.add_argument("--fps", type=_positive, default=12, metavar="N", help="frames a second (default 12)")
    film.add_argument(
        "--width", type=_positive, default=800, metavar="PX", help="film width in pixels (default 800)"
    )
    film.add_argument("--theme", choices=THEMES, default="dark", help="colour theme (default dark)")
    film.set_defaults(handler=_cmd_film)
    _add_sweep(commands)
    return parser


def _add_run_options(parser: argparse.ArgumentParser, default_steps: int) -> None:
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="sets",
        help="change a setting, e.g. --set batch_size=64 (repeatable)",
    )
    parser.add_argument(
        "--steps",
        type=_steps,
        default=default_steps,
        metavar="N",
        help=f"training steps (default {default_steps})",
    )
    parser.add_argument(
        "--device",
        default="auto",
        metavar="D",
        help="auto (default: CUDA, then MPS, then CPU), cpu, cuda or mps",
    )
    parser.add_argument(
        "--seed",
        type=_seed,
        default=0,
        metavar="S",
        help="random seed for weights and minibatches (default 0)",
    )


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _steps(text: str) -> int:
    value = _count(text)
    if value > MAX_STEPS:
        raise argparse.ArgumentTypeError(f"{value} is too large (at most {MAX_STEPS})")
    return value


def _seed(text: str) -> int:
    value = _count(text)
    if value >= 2**32:  # what every random generator in use accepts
        raise argparse.ArgumentTypeError(f"{value} is too large (at most {2**32 - 1})")
    return value


def main(argv: list[str] | None = None, watch: Watch | None = None) -> int:
    """Run the command line; returns the exit status (see `unsuplab train --help`). `watch`
    follows a `train` run in place of its progress bar."""
    try:
        args = build_parser().parse_args(argv)
        args.watch = watch
        return args.handler(args)
    except UsageError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except SystemExit as exc:  # --help and --version end here; keep main() callable in-process
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or EXIT_OK
        print(exc.code, file=sys.stderr)
        return EXIT_FAILED


def _error(message: str) -> None:
    # One line, however the message was built: scripts grep it and people read it.
    print(f"unsuplab: error: {' '.join(message.split())}", file=sys.stderr)


def _warn(message: str) -> None:
    print(f"unsuplab: warning: {' '.join(message.split())}", file=sys.stderr)


# --- commands -------------------------------------------------------------------------------------


def _cmd_gui(args: argparse.Namespace) -> int:
    if args.lesson is not None:
        _lesson(args.lesson)
    from unsuplab.ui.app import run_app  # Qt is loaded only when a window is wanted

    return int(run_app(lesson=args.lesson, theme=args.theme) or 0)


def _cmd_list(args: argparse.Namespace) -> int:
    for cls in lessons():
        print(f"{cls.name}\t{cls.group}\t{cls.title}")
    return EXIT_OK


def _window_size(text: str) -> tuple[int, int]:
    """ "1280x720" -> (1280, 720); a window too small to lay out or not WxH is refused."""
    width, sep, height = text.lower().partition("x")
    if not (sep and width.strip().isdigit() and height.strip().isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT (e.g. 1280x720)")
    size = int(width), int(height)
    if size[0] < 640 or size[1] < 480 or max(size) > 8192:
        raise argparse.ArgumentTypeError(f"{text!r}: a window from 640x480 to 8192x8192, please")
    return size


def _cmd_shot(args: argparse.Namespace) -> int:
    cls = _lesson(args.name)
    overrides = _parse_sets(args.sets)
    _configure(cls.Config(), overrides)  # refuse a bad setting before a window is made
    _device(args.device)
    if args.steps < 1:
        raise UsageError("--steps: a screenshot needs at least 1 training step")
    if args.presenter is not None and not 1.25 <= args.presenter <= 2.5:
        raise UsageError(f"--presenter: the scale must be between 1.25 and 2.5, not {args.presenter:g}")
    from unsuplab.ui.shot import take_shot  # Qt is loaded only for the screenshot

    try:
        path = take_shot(
            cls.name,
            steps=args.steps,
            overrides=overrides or None,
            out=args.out,
            device=args.device,
            seed=args.seed,
            theme=args.theme,
            presenter=args.presenter,
            **({"size": args.size} if args.size else {}),
        )
    except ConfigError as exc:
        raise UsageError(f"setting {exc}") from None
    except OSError as exc:
        raise UsageError(f"{args.out}: cannot write the picture ({exc.strerror or exc})") from None
    except RuntimeError as exc:  # the run failed or timed out in the window
        _error(str(exc))
        return EXIT_FAILED
    print(path)
    return EXIT_OK


def _cmd_film(args: argparse.Namespace) -> int:
    from unsuplab.ui.film import FilmError, film_format, moments, write_film  # Qt, for the film only

    if (args.name is None) == (args.run is None):
        raise UsageError("film: give a lesson NAME to train, or --run SAVED.pt, not both")
    try:
        film_format(args.out)
    except FilmError as exc:
        raise UsageError(str(exc)) from None
    _check_writable(Path(args.out))
    if args.run is not None:
        timeline, curves, failure = _saved_timeline(args.run)
    else:
        timeline, curves, failure = _film_run(args)
    try:
        path = write_film(
            moments(timeline, curves),
            args.out,
            panel=args.panel,
            width=args.width,
            fps=args.fps,
            frames_wanted=args.frames,
            dark=args.theme == "dark",
            progress=_film_progress(sys.stderr),
        )
    except (FilmError, OutputError) as exc:
        raise UsageError(str(exc)) from None
    steps = timeline.steps()
    count = min(args.frames, len(steps))
    print(f"{path}: {count} frames of steps {steps[0]}-{steps[-1]}, {path.stat().st_size / 1e6:.1f} MB")
    if failure is not None:
        _error(failure.message)
        return EXIT_FAILED
    return EXIT_OK


def _check_writable(out: Path) -> None:
    """Refuse a film path that cannot be written before anything trains (nothing is left there)."""
    probe = partial_path(out)  # the temp file the film is written to, beside it
    try:
        with open(probe, "wb"):
            pass
    except OSError as exc:
        raise UsageError(str(OutputError(out, exc))) from None
    probe.unlink()


def _saved_timeline(path: str) -> tuple[Any, dict[str, Any], RunFailed | None]:
    from unsuplab.core.loop import curve_payloads

    try:
        saved = load_run(path)
    except CheckpointError as exc:
        raise UsageError(str(exc)) from None
    if saved.timeline is None:
        raise UsageError(
            saved.timeline_problem or f"{path}: the run was saved without a timeline; nothing to film"
        )
    return saved.timeline, curve_payloads(lesson(saved.lesson), saved.history), None


def _film_run(args: argparse.Namespace) -> tuple[Any, dict[str, Any], RunFailed | None]:
    """Train the lesson for --steps steps, recording its timeline; its curve panels at the end."""
    from unsuplab.core.timeline import Timeline

    cls = _lesson(args.name)
    config = _configure(cls.Config(), _parse_sets(args.sets))
    _check_data_file(config)
    device = _device(args.device)
    if args.steps < 1:
        raise UsageError("--steps: a film needs at least 1 training step")
    # Trained in stretches of single steps: each ends in a snapshot, so the timeline holds a
    # frame every `stretch` steps however fast the lesson trains.
    stretch = max(1, args.steps // args.frames)
    timeline, control = Timeline(), RunControl(paused=True, step_limit=args.steps)
    events = run(
        cls(config),
        control,
        device=device,
        seed=args.seed,
        snapshot_interval=SNAPSHOT_INTERVAL,
        timeline=timeline,
    )
    meter = _ProgressMeter(sys.stderr, 0, args.steps)
    last, failure = None, None
    for event in events:
        if isinstance(event, Snapshot):
            last = event
            meter.update(event.progress, event.metrics)
        elif isinstance(event, RunFailed):
            failure = event
        elif isinstance(event, StateChanged) and event.state == "paused":
            control.step(stretch)
        elif isinstance(event, StateChanged) and event.state in ("finished", "failed"):
            break
    events.close()
    meter.close()
    if last is None:
        raise UsageError(failure.message if failure else f"{cls.name}: the run showed nothing to film")
    curves = {key: p for key, p in last.payloads.items() if key.startswith("curves:")}
    return timeline, curves, failure


def _film_progress(stream: TextIO) -> Callable[[int, int], None]:
    def report(done: int, total: int) -> None:
        if done == total or done % max(1, total // 10) == 0:
            print(f"film: {done}/{total} frames drawn", file=stream, flush=True)

    return report


def _cmd_compare(args: argparse.Namespace) -> int:
    plan, comparison = _compare_plan(args)  # everything is checked before anything is written
    from unsuplab.models.devices import device_label

    print(
        f"Comparing {len(comparison.variants)} variants of {plan.cls.name} on {device_label(plan.device)} "
        f"({'; '.join(comparison.labels)}): {plan.limit} steps each; writing to {plan.out}",
        file=sys.stderr,
    )
    try:
        outcome = _train(plan, args.seed, comparison)
        return _report(plan, outcome, lambda step, metrics: compare_final_line(step, metrics, comparison))
    finally:
        if plan.made_out and not any(plan.out.iterdir()):
            plan.out.rmdir()


def _cmd_train(args: argparse.Namespace) -> int:
    plan = _plan(args)  # everything is checked before anything is written
    _announce(plan)
    try:
        outcome = _train(plan, args.seed, watch=args.watch)
        return _report(plan, outcome)
    finally:
        if plan.made_out and not any(plan.out.iterdir()):
            plan.out.rmdir()  # a run refused at the start leaves no empty folder behind


# --- train: checking what was asked ---------------------------------------------------------------


@dataclass
class _Plan:
    """A checked request to train: lesson, settings, device, where it starts and stops."""

    cls: type[Experiment]
    config: Any
    device: str
    restore: Restore | None
    resume_path: str | None
    start: int
    limit: int
    out: Path
    made_out: bool  # the output folder did not exist before


def _plan(args: argparse.Namespace) -> _Plan:
    cls = _lesson(args.name)
    overrides = _parse_sets(args.sets)
    if args.data is not None:
        if "data_file" not in {spec.name for spec in field_specs(cls.Config)}:
            raise UsageError(
                f"--data: the lesson {cls.name!r} reads no data file (it has no data_file setting)"
            )
        overrides["data_file"] = args.data
    base, restore = cls.Config(), None
    if args.resume is not None:
        try:
            saved = load_run(args.resume, expected_lesson=cls.name)
        except CheckpointError as exc:
            raise UsageError(str(exc)) from None
        if saved.variants:
            raise UsageError(
                f"--resume {args.resume}: a comparison of {len(saved.variants)} variants; resume one "
                "variant's checkpoint-<variant>.pt, or open the comparison in the window"
            )
        if saved.timeline_problem:
            _warn(saved.timeline_problem)
        base, restore = saved.config, saved.restore()
    config = _configure(base, overrides)
    _check_data_file(config)
    device = _device(args.device)
    start = restore.step if restore else 0
    out = _out_dir(args.out, cls.name)
    return _Plan(cls, config, device, restore, args.resume, start, start + args.steps, *_usable_folder(out))


def _compare_plan(args: argparse.Namespace) -> tuple[_Plan, Comparison]:
    if "," in args.name:
        return _lessons_plan(args)
    cls = _lesson(args.name)
    base = _configure(cls.Config(), _parse_sets(args.sets))
    try:
        comparison = Comparison(cls, vary_configs(base, _parse_vary(args.vary)))
    except ConfigError as exc:
        raise UsageError(f"--vary {exc}") from None
    _check_data_file(base)
    device = _device(args.device)
    out = _out_dir(args.out, cls.name)
    return _Plan(cls, base, device, None, None, 0, args.steps, *_usable_folder(out)), comparison


def _lessons_plan(args: argparse.Namespace) -> tuple[_Plan, Comparison]:
    """NAME,NAME...: different lessons side by side, each --set applied where the lesson has it."""
    classes = [_lesson(name.strip()) for name in args.name.split(",")]
    if args.vary:
        raise UsageError("--vary compares one lesson's settings; give one lesson NAME to vary it")
    if len({cls.name for cls in classes}) < len(classes):
        raise UsageError(f"{args.name}: a lesson is named twice")
    overrides = _parse_sets(args.sets)
    known = {spec.name for cls in classes for spec in field_specs(cls.Config)}
    unknown = next((key for key in overrides if key not in known), None)
    if unknown is not None:
        raise UsageError(f"setting {unknown}: none of {args.name} has it")
    configs = []
    for cls in classes:
        own = {spec.name for spec in field_specs(cls.Config)}
        configs.append(_configure(cls.Config(), {k: v for k, v in overrides.items() if k in own}))
    try:
        comparison = Comparison(classes, configs)
    except ConfigError as exc:
        raise UsageError(f"{args.name}: {exc}") from None
    for config in configs:
        _check_data_file(config)
    cls, base = classes[0], configs[0]
    device = _device(args.device)
    out = _out_dir(args.out, cls.name)
    return _Plan(cls, base, device, None, None, 0, args.steps, *_usable_folder(out)), comparison


def _parse_vary(items: list[str]) -> dict[str, list[str]]:
    """--vary KEY=V1,V2 ... as setting -> values (';' separates values that hold commas)."""
    try:
        vary = parse_value_lists(items, "--vary", "corruption_level=0,0.25,0.5")
    except ConfigError as exc:
        raise UsageError(f"--vary {exc}") from None
    if not vary:
        raise UsageError(
            "--vary: name a setting and the values to compare, e.g. --vary corruption_level=0,0.5"
        )
    return vary


def _lesson(name: str) -> type[Experiment]:
    try:
        return lesson(name)
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None


def _parse_sets(items: list[str]) -> dict[str, str]:
    overrides = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            raise UsageError(f"--set {item!r}: expected KEY=VALUE, e.g. --set batch_size=64")
        overrides[key.strip()] = value.strip()
    return overrides


def _configure(base: Any, overrides: dict[str, str]) -> Any:
    try:
        return with_overrides(base, overrides)
    except ConfigError as exc:
        raise UsageError(f"setting {exc}") from None


def _check_data_file(config: Any) -> None:
    """Read the user's data file now, so a bad one is a usage error and not a failed run."""
    path = getattr(config, "data_file", "")
    if not path:
        return
    from unsuplab.data import DataError, load_files

    try:
        load_files(path)
    except DataError as exc:
        raise UsageError(str(exc)) from None


def _device(choice: str) -> str:
    from unsuplab.models.devices import resolve_device

    try:
        return resolve_device(choice)
    except ValueError as exc:
        raise UsageError(f"--device: {exc}") from None


def _out_dir(given: str | None, name: str) -> Path:
    if given is not None:
        out = Path(given)
    else:
        out = Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
        for n in range(2, 1000):  # two runs started in the same second get their own folders
            if not out.exists():
                break
            out = out.with_name(f"{name}-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
    return out


def _usable_folder(out: Path) -> tuple[Path, bool]:
    """Make the output folder and check it takes files; whether it was made."""
    made = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{out}: cannot create the output folder ({exc.strerror or exc})") from None
    try:
        with tempfile.TemporaryFile(dir=out):  # a read-only folder is refused before training
            pass
    except OSError as exc:
        raise UsageError(f"{out}: cannot write in the output folder ({exc.strerror or exc})") from None
    remove_partials(out)  # temp files of an earlier run killed while writing here
    return out, made


def _announce(plan: _Plan) -> None:
    from unsuplab.models.devices import device_label

    span = f"steps {plan.start} to {plan.limit}" if plan.restore else f"{plan.limit} steps"
    print(
        f"Training {plan.cls.name} on {device_label(plan.device)}: {span}; writing to {plan.out}",
        file=sys.stderr,
    )


# --- train: driving the run loop ------------------------------------------------------------------


@dataclass
class _Outcome:
    """How a run ended: its newest snapshot, a failure, an interruption, failed exports."""

    snapshot: Snapshot | None = None
    failure: RunFailed | None = None
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    unwritten: list[str] = field(default_factory=list)  # outputs the folder could not take


def _train(
    plan: _Plan, seed: int, comparison: Comparison | None = None, watch: Watch | None = None
) -> _Outcome:
    from unsuplab.data.progress import listening, printer

    experiment = comparison or plan.cls(plan.config)
    control = RunControl(step_limit=plan.limit)
    loop = run(
        experiment,
        control,
        device=plan.device,
        seed=seed,
        restore=plan.restore,
        snapshot_interval=SNAPSHOT_INTERVAL,
    )
    outcome = _Outcome()
    events = _config_once_built(loop, plan, outcome)
    meter = watch or _ProgressMeter(sys.stderr, plan.start, plan.limit)
    with _sigint_flag() as ctrl_c, listening(printer(sys.stderr)):  # data loading's progress
        interrupted = ctrl_c if watch is None else lambda: ctrl_c() or watch.stop_requested()
        try:
            alive = _until_over(events, control, outcome, meter, interrupted)
        except OutputError as exc:
            loop.close()
            raise UsageError(str(exc)) from None
        meter.close()
        if alive and outcome.snapshot is not None and comparison is not None:
            outcome.written += _export_comparison(events, control, plan.out, outcome, comparison)
        elif alive and outcome.snapshot is not None:
            files = {EXPORT_METRICS: plan.out / "metrics.csv", SAVE: plan.out / "checkpoint.pt"}
            outcome.written += _export_through_loop(events, control, files, outcome)
        if alive and outcome.snapshot is not None:
            try:
                outcome.written += write_pictures(outcome.snapshot.payloads, plan.out)
            except OutputError as exc:
                outcome.unwritten.append(str(exc))
        else:
            loop.close()
    return outcome


def _config_once_built(events: Iterator[Event], plan: _Plan, outcome: _Outcome) -> Iterator[Event]:
    """The run's events, with config.json written at the first snapshot: a lesson that cannot
    be built from the settings, data and checkpoint leaves DIR as it was."""
    for event in events:
        if isinstance(event, Snapshot) and outcome.snapshot is None:
            path = plan.out / "config.json"
            save_json(plan.config, path)
            outcome.written.append(path)
        yield event


def _until_over(
    events: Iterator[Event],
    control: RunControl,
    outcome: _Outcome,
    meter: _ProgressMeter | Watch,
    interrupted: Callable[[], bool],
) -> bool:
    """Follow the run until it finishes, fails or pauses after Ctrl+C; False if the loop ended."""
    state = None
    for event in events:
        if interrupted() and not outcome.interrupted:
            outcome.interrupted = True
            meter.note(
                "unsuplab: stopping after this step and writing the outputs (Ctrl+C again quits at once)"
            )
            control.pause()
        if isinstance(event, Snapshot):
            outcome.snapshot = event
            meter.update(event.progress, event.metrics)
        elif isinstance(event, RunFailed):
            outcome.failure = event
        elif isinstance(event, Notice) and event.error:
            outcome.errors.append(event.message)
        elif isinstance(event, StateChanged):
            state = event.state
        if _at_rest(state, outcome):
            return True
    return False


def _at_rest(state: RunState | None, outcome: _Outcome) -> bool:
    """Finished, paused after Ctrl+C, or failed and showing the restored weights (the loop shows
    them just after it enters "failed"), so the outputs describe what is saved."""
    if state == "failed":
        shown = outcome.snapshot
        return shown is not None and shown.progress.step == outcome.failure.restored_step
    return state == "finished" or (state == "paused" and outcome.interrupted)


def _export_through_loop(
    events: Iterator[Event], control: RunControl, files: dict[str, Path], outcome: _Outcome
) -> list[Path]:
    """Write files (command -> path: metrics.csv, checkpoint.pt) with the loop's own commands,
    then stop the loop."""
    waiting = {control.submit(command, path=str(path)): path for command, path in files.items()}
    written = []
    # Stop only once both commands are answered: a command queued behind a stop is never served.
    for event in events:
        if isinstance(event, Notice) and event.request_id in waiting:
            path = waiting.pop(event.request_id)
            if event.error:  # the folder cannot take the file (full, read-only)
                outcome.unwritten.append(event.message)
            else:
                written.append(path)
            if not waiting:
                break
    control.stop()
    for _ in events:
        pass
    return written


def _export_comparison(
    events: Iterator[Event], control: RunControl, out: Path, outcome: _Outcome, comparison: Comparison
) -> list[Path]:
    """One metrics.csv with a variant column and a checkpoint per variant, each with its history."""
    merged = out / ".metrics-of-all-variants.csv"
    files = {EXPORT_METRICS: merged}
    if not comparison.mixed:  # different lessons are saved one variant at a time
        files[SAVE] = out / "comparison.pt"
    written = _export_through_loop(events, control, files, outcome)
    if merged not in written:
        return written
    written.remove(merged)
    try:
        histories = split_history(MetricHistory.read_csv(merged), comparison.labels)
    finally:
        merged.unlink(missing_ok=True)
    try:  # the loop has stopped: this thread may read the variants now
        by_key = dict(zip(comparison.keys, histories.values(), strict=True))
        write_variant_csv(by_key, out / "metrics.csv")
        written.append(out / "metrics.csv")
        for key, label, variant in zip(comparison.keys, comparison.labels, comparison.variants, strict=True):
            path = out / f"checkpoint-{_file_stem(key)}.pt"
            save_run(path, variant, comparison.step, histories[label])
            written.append(path)
    except OutputError as exc:
        outcome.unwritten.append(str(exc))
    return written


@contextmanager
def _sigint_flag() -> Iterator[Callable[[], bool]]:
    """While active, the first Ctrl+C only raises a flag; the second interrupts as usual."""
    hit = []

    def on_sigint(signum: int, frame: Any) -> None:
        hit.append(signum)  # no printing here: a signal may land in the middle of a print
        signal.signal(signal.SIGINT, previous)

    try:
        previous = signal.signal(signal.SIGINT, on_sigint)
    except ValueError:  # not the main thread: Ctrl+C is not delivered here anyway
        yield lambda: False
        return
    previous = previous if previous is not None else signal.default_int_handler
    try:
        yield lambda: bool(hit)
    finally:
        signal.signal(signal.SIGINT, previous)


class _ProgressMeter:
    """Progress on stderr: a redrawn bar on a terminal, otherwise a line every 10 %."""

    WIDTH = 24

    def __init__(self, stream: TextIO, start: int, limit: int):
        self.stream, self.start, self.limit = stream, start, limit
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last_tenth = 0
        self.drawn = False

    def update(self, progress: Progress, metrics: dict[str, float]) -> None:
        total = self.limit - self.start
        if total <= 0:
            return
        done = min(max(progress.step - self.start, 0), total)
        line = _progress_line(progress, metrics, self.limit)
        if self.tty:
            filled = round(self.WIDTH * done / total)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r\x1b[2K[{bar}] {100 * done // total:3d}%  {line}")
            self.stream.flush()
            self.drawn = True
        elif (tenth := 10 * done // total) > self.last_tenth:
            self.last_tenth = tenth
            print(f"{10 * tenth:3d}%  {line}", file=self.stream, flush=True)

    def note(self, message: str) -> None:
        self.close()
        print(message, file=self.stream, flush=True)

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


def _progress_line(progress: Progress, metrics: dict[str, float], limit: int) -> str:
    parts = [
        f"step {progress.step}/{limit}",
        f"{progress.steps_per_s:.1f} steps/s",
        f"ETA {_duration(progress.eta)}",
    ]
    name = _headline_metric(metrics)
    if name is not None:
        parts.append(f"{name} {metrics[name]:.4g}")
    return "  ".join(parts)


def _headline_metric(metrics: dict[str, float]) -> str | None:
    train = [n for n in metrics if not n.startswith("heldout_")]
    if "loss" in metrics:
        return "loss"
    return train[0] if train else next(iter(metrics), None)


def _duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# --- train: outputs -------------------------------------------------------------------------------


def final_line(step: int, metrics: dict[str, float]) -> str:
    """ "final step=N name=value ...": training metrics first, then the held-out ones."""
    names = sorted(metrics, key=lambda n: n.startswith("heldout_"))
    pairs = [f"step={step}"] + [f"{_file_stem(n)}={metrics[n]:.5g}" for n in names]
    return "final " + " ".join(pairs)


def compare_final_line(step: int, metrics: dict[str, float], comparison: Comparison) -> str:
    """ "final step=N [variant] name=value ... [variant] ...": each variant's held-out figures
    (all its figures when it has none held out)."""
    parts = [f"step={step}"]
    per_variant = split_metrics(metrics, comparison.labels)
    for key, values in zip(comparison.keys, per_variant.values(), strict=True):
        shown = {n: v for n, v in values.items() if n.startswith("heldout_")} or values
        parts += [f"[{key}]", *(f"{_file_stem(n)}={v:.5g}" for n, v in sorted(shown.items()))]
    return "final " + " ".join(parts)


def _save_traceback(out: Path, failure: RunFailed) -> str:
    """Keep a crash's traceback in the run folder (stderr gets one line); say where it is."""
    if not failure.detail:
        return ""
    path = out / "failure.txt"
    try:
        with atomic_write(path, "w", encoding="utf-8") as f:
            f.write(f"{failure.message}\n\n{failure.detail}")
    except OutputError as exc:
        return f" (the traceback could not be kept: {exc})"
    return f" (traceback in {path})"


def _report(
    plan: _Plan, outcome: _Outcome, final: Callable[[int, dict[str, float]], str] = final_line
) -> int:
    if outcome.written:
        names = ", ".join(path.name for path in outcome.written)
        print(f"wrote {plan.out}: {names}")
    for message in outcome.errors:
        _error(message)
    if outcome.unwritten:  # one line: the first file the folder refused says why
        more = len(outcome.unwritten) - 1
        _error(
            outcome.unwritten[0]
            + (f" (and {more} more output{'s' * (more > 1)} not written)" if more else "")
        )
    if outcome.failure is not None and _bad_input(outcome.failure):
        _error(outcome.failure.message)  # a file or setting to fix, not a bug: no traceback
        return EXIT_USAGE
    if outcome.failure is not None and outcome.snapshot is None and plan.restore is not None:
        # The checkpoint's weights do not fit the model these settings build: a bad request.
        why = " ".join(outcome.failure.message.split())
        _error(
            f"--resume {plan.resume_path}: the saved weights do not fit these settings "
            f"({why if len(why) <= 300 else why[:300] + '…'})"
        )
        return EXIT_USAGE
    if outcome.failure is not None:
        _error(outcome.failure.message + _save_traceback(plan.out, outcome.failure))
    if outcome.snapshot is not None:
        print(final(outcome.snapshot.progress.step, outcome.snapshot.metrics))
    if outcome.unwritten:
        return EXIT_USAGE
    if outcome.failure is not None or outcome.errors:
        return EXIT_FAILED
    return EXIT_INTERRUPTED if outcome.interrupted else EXIT_OK


def _bad_input(failure: RunFailed) -> bool:
    """True when the run stopped on a data file, setting or checkpoint the user can fix."""
    from unsuplab.data import DataError

    return failure.cause is not None and issubclass(failure.cause, (DataError, ConfigError, CheckpointError))


# --- sweep: a grid of runs on Ray Tune (unsuplab.sweep) --------------------------------------------

SWEEP_EPILOG = """\
Every combination of the --grid values, with every seed, is one trial: the run 'unsuplab train
NAME --set KEY=VALUE ... --seed S --steps N' makes, in DIR/trials/<trial>/ (config.json,
metrics.csv, checkpoint.pt, pictures, log.txt, trial.json). Ray decides how many run at once (a
CPU each; a GPU each with --device cuda). DIR also receives sweep.json (the plan), trials.csv (the
table: settings, seed, status, step, final held-out figures) and Ray Tune's records in DIR/tune.
A local sweep starts Ray on this machine, listening on 127.0.0.1 only, with its dashboard off
(--dashboard: on 127.0.0.1).
A trial that fails (diverges, crashes, or a combination the lesson refuses) is reported and the
others go on. 'sweep --report DIR' prints the table again and writes <figure>-vs-<setting>.png
(the mean and standard deviation over seeds) for each swept setting.

exit status: 0 every trial ran (to the end or stopped early); 1 some trial failed; 2 bad lesson,
setting, value, grid, address or output folder, or Ray missing (nothing is started).
"""


def _add_sweep(commands: Any) -> None:
    sweep = commands.add_parser(
        "sweep",
        help="train a lesson over a grid of settings and seeds on Ray Tune (extra: unsuplab[sweep])",
        description="Train every combination of settings as a Ray Tune trial, on this machine or a\n"
        "Ray cluster, and write each run and a table of their final figures to DIR.",
        epilog=SWEEP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sweep.add_argument("name", nargs="?", metavar="NAME", help="lesson name (see 'unsuplab list')")
    sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="a setting and its values, e.g. --grid sparsity_beta=0,0.05,0.1 (repeatable: every "
        "combination; ';' between values that hold commas)",
    )
    _add_run_options(sweep, default_steps=DEFAULT_STEPS)
    sweep.add_argument(
        "--seeds",
        type=_positive,
        default=1,
        metavar="K",
        help="seeds per combination: --seed S to S+K-1 (default 1)",
    )
    sweep.add_argument(
        "--out", metavar="DIR", help="output folder (default: runs/<lesson>-sweep-<date>-<time>)"
    )
    sweep.add_argument(
        "--address",
        metavar="ADDR",
        help="an existing Ray cluster: ray://HOST:PORT, "
        "HOST:PORT or auto (default: start Ray on this machine)",
    )
    sweep.add_argument("--cpus", type=_positive, metavar="N", help="CPUs a local Ray may use (default all)")
    sweep.add_argument(
        "--early-stop",
        action="store_true",
        help="cut bad trials short with Tune's ASHA scheduler on the lesson's held-out progress figure",
    )
    sweep.add_argument("--dashboard", action="store_true", help="start Ray's dashboard (on 127.0.0.1)")
    sweep.add_argument(
        "--report",
        metavar="DIR",
        help="print the table of a finished sweep and write its plots; trains nothing (needs no Ray)",
    )
    sweep.add_argument(
        "--figure",
        metavar="NAME",
        help="the figure --report plots (default: the lesson's held-out progress figure)",
    )
    sweep.set_defaults(handler=_cmd_sweep)


def _cmd_sweep(args: argparse.Namespace) -> int:
    from unsuplab.core.sweep import (
        DONE,
        PLAN_FILE,
        STOPPED,
        SweepError,
        make_plan,
        parse_grid,
        read_sweep,
        write_plan,
    )

    if args.report is not None:
        try:
            return _sweep_report(read_sweep(args.report), args.figure)
        except SweepError as exc:
            raise UsageError(str(exc)) from None
    if args.name is None:
        raise UsageError("sweep: give a lesson NAME and --grid, or --report DIR")
    cls = _lesson(args.name)
    base_sets = _parse_sets(args.sets)
    base = _configure(cls.Config(), base_sets)
    if args.steps < 1:
        raise UsageError("--steps: a sweep's trials need at least 1 training step")
    if args.seed + args.seeds > 2**32:
        raise UsageError(
            f"--seeds: seeds up to {args.seed + args.seeds - 1} are too large (at most {2**32 - 1})"
        )
    seeds = list(range(args.seed, args.seed + args.seeds))
    try:
        plan = make_plan(
            cls.name, cls.Config, parse_grid(args.grid), seeds, args.steps, base_sets, args.device
        )
    except ConfigError as exc:
        raise UsageError(f"--grid {exc}") from None
    _check_data_file(base)
    if args.address is None:
        _device(args.device)  # a cluster's devices are its own
    from unsuplab import sweep

    try:
        if args.address is not None:
            sweep.check_address(args.address)
        sweep.require_ray()
    except sweep.ConnectError as exc:
        raise UsageError(str(exc)) from None
    out = _out_dir(args.out, f"{cls.name}-sweep")
    if (out / PLAN_FILE).exists():
        raise UsageError(f"{out}: already holds a sweep; give a new --out (or --report {out})")
    out, made = _usable_folder(out)
    try:
        sweep.connect(args.address, cpus=args.cpus, dashboard=args.dashboard)
    except sweep.ConnectError as exc:
        if made and not any(out.iterdir()):
            out.rmdir()
        raise UsageError(str(exc)) from None
    try:
        write_plan(out, plan)
        trials = plan.trials(cls.Config)
        print(
            f"Sweeping {cls.name}: {len(trials)} trials of {plan.steps} steps; writing to {out}",
            file=sys.stderr,
        )
        early = cls.progress_metric if args.early_stop else None
        result = sweep.run_sweep(plan, cls.Config, out, early_stop=early, on_trial=sweep.print_record)
    finally:
        sweep.disconnect()
    result.write_table()
    print(result.text_table())
    return EXIT_FAILED if any(r.status not in (DONE, STOPPED) for r in result.records) else EXIT_OK


def _sweep_report(result: Any, figure: str | None) -> int:
    from unsuplab.viz.sweep_plot import write_sweep_plot

    print(result.text_table())
    figure = figure or lesson(result.plan.lesson).progress_metric[0]
    if figure not in result.figures:
        known = ", ".join(result.figures) or "none yet"
        raise UsageError(f"--figure {figure}: no trial reported it (figures: {known})")
    for setting in result.plan.grid:
        path = result.folder / f"{_file_stem(figure)}-vs-{_file_stem(setting)}.png"
        try:
            write_sweep_plot(result, figure, setting, path)
        except OutputError as exc:
            raise UsageError(str(exc)) from None
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK
