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
