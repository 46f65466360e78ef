"""take_shot: the real window, trained a few steps, saved as a PNG of the window's size."""

import pytest
from PySide6.QtGui import QImage

from unsuplab.core.config import ConfigError
from unsuplab.ui.shot import take_shot


def test_take_shot_writes_a_png_of_the_window(qapp, tmp_path):
    out = take_shot(
        "sparse-autoencoder",
        steps=5,
        overrides={"batch_size": "16"},
        out=tmp_path / "shots" / "sae.png",
        size=(1280, 800),
        theme="light",
    )
    assert out == tmp_path / "shots" / "sae.png"
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    # not a blank window: the panels drew something with more than a couple of colours
    colours = {image.pixel(x, y) for x in range(0, 1280, 37) for y in range(0, 800, 23)}
    assert len(colours) > 20


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"code_size": "0"}, "code_size"),
        ({"code_size": "many"}, "code_size"),
        ({"no_such_setting": "1"}, "no_such_setting"),
        ({"activation": "relu", "penalty": "kl"}, "penalty"),
    ],
)
def test_take_shot_refuses_bad_settings_before_training(qapp, tmp_path, overrides, field):
    with pytest.raises(ConfigError) as caught:
        take_shot("sparse-autoencoder", steps=5, overrides=overrides, out=tmp_path / "x.png")
    assert caught.value.field == field
    assert not (tmp_path / "x.png").exists()


def test_take_shot_in_presenter_mode_then_leaves_the_mode(qapp, tmp_path):
    from unsuplab.ui.views import _style

    normal = take_shot("autoencoder", steps=2, overrides={"batch_size": "16"}, out=tmp_path / "n.png")
    large = take_shot(
        "autoencoder", steps=2, overrides={"batch_size": "16"}, out=tmp_path / "p.png", presenter=2.0
    )
    assert QImage(str(large)).size() == QImage(str(normal)).size()
    assert QImage(str(large)) != QImage(str(normal))
    assert _style.scale() == 1.0  # closing the shot's window left presenter mode


def test_the_shot_command_refuses_a_presenter_scale_out_of_range(capsys, tmp_path):
    from unsuplab.cli import EXIT_USAGE, main

    out = tmp_path / "x.png"
    assert main(["shot", "autoencoder", "--presenter", "3", "--out", str(out)]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "--presenter" in error and "1.25 and 2.5" in error
    assert not out.exists()
