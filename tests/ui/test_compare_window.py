"""Compare in the window: the dialog's presets and refusals, a 2-variant comparison whose panels
show every variant, steered by the usual controls, and the drawing pad answered by each variant."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog
from window_waits import wait_for_state, wait_for_step

from unsuplab.ui import compare_dialog
from unsuplab.ui.compare_dialog import CompareDialog


def wait_for_panels(qtbot, window, keys: set[str]) -> None:
    """A comparison's panels are built over a few event-loop turns after its first snapshot."""
    qtbot.waitUntil(lambda: keys <= set(window.views.views), timeout=10_000)


def test_the_dialog_offers_presets_and_names_a_bad_setting(qtbot):
    from unsuplab.core.registry import lesson

    cls = lesson("denoising-autoencoder")
    dialog = CompareDialog(cls, cls.Config())
    qtbot.addWidget(dialog)
    assert list(dialog.preset_buttons) == list(cls.comparisons)
    assert dialog.summary.text().startswith("3 variants: corruption_level = 0;")  # the first preset
    dialog.values[0].setText("0, 2")
    assert not dialog.compare_button.isEnabled()
    assert "corruption_level" in dialog.summary.text() and "maximum" in dialog.summary.text()
    dialog.set_vary({"corruption_level": (0.1,)})
    dialog.add_form.setChecked(True)  # the form's 0.3 and the 0.1: two variants
    assert dialog.compare_button.isEnabled()
    assert [c.corruption_level for c in dialog.configs()] == [0.3, 0.1]


def test_a_two_variant_comparison_shows_each_variant_and_obeys_the_controls(window, qtbot):
    dialog = compare_dialog.ask_comparison(window)
    assert isinstance(dialog, QDialog)
    dialog.set_vary({"learning_rate": (0.001, 0.01)})
    dialog.compare_button.click()
    wait_for_step(qtbot, window, 3, timeout=30_000)  # two lessons to build: slow on a busy machine
    wait_for_panels(
        qtbot,
        window,
        {"filters@learning_rate=0.001", "filters@learning_rate=0.01"}
        | {"latent@learning_rate=0.001", "latent@learning_rate=0.01"},
    )
    assert window.views.titles["filters@learning_rate=0.01"].endswith("— learning_rate = 0.01")
    curves = window.last_snapshot.payloads["curves:Binary cross-entropy per pixel"]
    assert {"bce · learning_rate = 0.001", "heldout_bce · learning_rate = 0.01"} <= set(curves.series)
    window.pause()
    wait_for_state(qtbot, window, "paused")
    step = window.last_snapshot.progress.step
    window.step_once()
    qtbot.waitUntil(lambda: window.rendered_step == step + 1, timeout=10_000)
    # The drawing pad: one reconstruction per variant, the drawing itself once.
    window.pad.canvas.stroke([(70, 60), (200, 60)])
    qtbot.waitUntil(lambda: len(window.pad.result.labels) == 3, timeout=10_000)
    assert window.pad.result.labels == [
        "input",
        "reconstruction · learning_rate = 0.001",
        "reconstruction · learning_rate = 0.01",
    ]
    window.stop()
    wait_for_state(qtbot, window, "stopped")


def test_a_saved_comparison_reopens_paused_with_every_variant(window, qtbot, tmp_path):
    from unsuplab.core.checkpoint import save_run
    from unsuplab.core.compare import Comparison
    from unsuplab.core.history import MetricHistory
    from unsuplab.core.registry import lesson
    from unsuplab.core.stepping import train_steps

    cls = lesson("denoising-autoencoder")
    comparison = Comparison(cls, [cls.Config(batch_size=16, corruption_level=v) for v in (0.0, 0.5)])
    comparison.build("cpu", 0)
    train_steps(comparison, 3)
    save_run(tmp_path / "c.pt", comparison, 3, MetricHistory())
    assert window.open_run(tmp_path / "c.pt")
    wait_for_step(qtbot, window, 3)
    assert window.lesson_name == "denoising-autoencoder" and window.worker.control.paused
    wait_for_panels(qtbot, window, {"filters@corruption_level=0", "filters@corruption_level=0.5"})


def test_a_live_change_aimed_at_one_variant_reaches_only_its_optimizer(window, qtbot):
    from unsuplab.core.compare import vary_configs

    base = window.form.config()
    assert window.start_comparison(vary_configs(base, {"code_size": ("8", "16")}))
    wait_for_step(qtbot, window, 1, timeout=30_000)
    form, (first, second) = window.form, window.worker.experiment.variants
    assert form.variant_choice.isVisible() and form.live_variant is None  # "all variants" first
    form.variant_choice.setCurrentIndex(2)
    assert form.live_variant == "code_size = 16"
    form.editors["learning_rate"].setValue(0.005)
    qtbot.waitUntil(lambda: second.optimizer.param_groups[0]["lr"] == 0.005, timeout=10_000)
    assert first.optimizer.param_groups[0]["lr"] == base.learning_rate
    assert (first.config.learning_rate, second.config.learning_rate) == (base.learning_rate, 0.005)
    # Each variant's own values in the form; "all variants" reaches both.
    form.variant_choice.setCurrentIndex(1)
    assert form.raw_value("learning_rate") == base.learning_rate
    form.variant_choice.setCurrentIndex(0)
    form.editors["learning_rate"].setValue(0.002)
    rates = lambda: [v.optimizer.param_groups[0]["lr"] for v in (first, second)]  # noqa: E731
    qtbot.waitUntil(lambda: rates() == [0.002, 0.002], timeout=10_000)
    window.stop()
    wait_for_state(qtbot, window, "stopped")
    assert not form.variant_choice.isVisible()


def test_the_tsne_button_maps_each_variant(window, qtbot, monkeypatch):
    from unsuplab.core.compare import vary_configs
    from unsuplab.experiments import _image_autoencoder

    monkeypatch.setattr(_image_autoencoder, "LATENT_POINTS", 120)  # t-SNE of 500 takes seconds
    assert window.start_comparison(vary_configs(window.form.config(), {"code_size": ("8", "16")}))
    wait_for_step(qtbot, window, 1, timeout=30_000)
    wait_for_panels(qtbot, window, {"latent@code_size=8", "latent@code_size=16"})
    assert set(window.tsne.buttons) == {"latent@code_size=8", "latent@code_size=16"}
    assert all(button.isVisible() and button.isEnabled() for button in window.tsne.buttons.values())
    window.tsne.buttons["latent@code_size=16"].click()
    assert window.views.views["latent@code_size=8"].busy_label.isVisible()  # every variant is mapped
    maps = ["latent_tsne@code_size=8", "latent_tsne@code_size=16"]
    qtbot.waitUntil(lambda: all(key in window.views.views for key in maps), timeout=60_000)
    for key, label in zip(maps, ("code_size = 8", "code_size = 16"), strict=True):
        view = window.views.views[key]
        assert view.kind == "scatter" and view.points.shape == (120, 2)
        assert f"— {label} (step " in view.title_label.text()
    assert not window.tsne.busy and window.tsne.button.isEnabled()


def test_a_comparisons_new_panels_are_built_over_several_turns(qtbot, monkeypatch):
    """Four variants' panels built in one go held the window for a third of a second."""
    import numpy as np

    from unsuplab.core.payloads import Curves, ImageGrid
    from unsuplab.ui import draw_queue
    from unsuplab.ui.view_area import ViewArea

    monkeypatch.setattr(draw_queue, "TIME_SLICE_S", 0.0)  # one panel per event-loop turn
    area = ViewArea()
    qtbot.addWidget(area)
    area.resize(900, 700)
    area.show()
    qtbot.waitExposed(area)
    added = []
    area.view_added.connect(lambda key, _view: added.append(key))
    payloads = {f"filters@v{i}": ImageGrid(f"Filters — v{i}", np.zeros((4, 8, 8))) for i in range(1, 5)}
    payloads["curves:Loss"] = Curves("Loss", {"loss · v1": (np.arange(3.0), np.ones(3))})
    area.show_payloads(payloads)
    assert area.views == {}  # nothing built yet: the window answers first
    qtbot.waitUntil(lambda: len(area.views) == 5, timeout=5000)
    assert list(area.views) == added == list(payloads)
    qtbot.waitUntil(lambda: all(view.isVisible() for view in area.views.values()), timeout=5000)
    assert area.titles["filters@v3"] == "Filters — v3"
