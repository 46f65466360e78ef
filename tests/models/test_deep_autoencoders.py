"""The convolutional, deep and stacked autoencoder modules: shapes, ranges and filter pictures.

(torch.allclose rather than torch.testing.assert_close, whose first call imports for seconds.)
"""

from __future__ import annotations

import torch
from torch import nn

from unsuplab.models.autoencoders import ConvAutoencoder, DeepAutoencoder, StackedAutoencoder

# The Keras example's summary, layer by layer (channels, height, width), after each
# Conv2D, MaxPooling2D and UpSampling2D.
KERAS_SHAPES = [
    (16, 28, 28),
    (16, 14, 14),
    (8, 14, 14),
    (8, 7, 7),
    (8, 7, 7),
    (8, 4, 4),
    (8, 4, 4),
    (8, 8, 8),
    (8, 8, 8),
    (8, 16, 16),
    (16, 14, 14),
    (16, 28, 28),
    (1, 28, 28),
]


def test_conv_autoencoder_has_the_keras_shapes():
    model = ConvAutoencoder()
    h = torch.rand(2, 1, 28, 28)
    shapes = []
    for layer in [*model.encoder, *model.decoder]:
        h = layer(h)
        if isinstance(layer, nn.Conv2d | nn.MaxPool2d | nn.Upsample):
            shapes.append(tuple(h.shape[1:]))
    assert shapes == KERAS_SHAPES
    # The Keras model's parameter count: 3x3 kernels and one bias per output channel.
    assert sum(p.numel() for p in model.parameters()) == 4385


def test_conv_autoencoder_maps_flat_digits_to_a_128_number_code_and_back():
    model = ConvAutoencoder()
    with torch.no_grad():
        x_hat, h = model(torch.rand(3, 784))
        maps = model.feature_maps(torch.rand(3, 784))
    assert h.shape == (3, 8, 4, 4) and h.flatten(1).shape == (3, 128)
    assert x_hat.shape == (3, 784)
    assert float(x_hat.min()) >= 0 and float(x_hat.max()) <= 1
    assert maps.shape == (3, 16, 28, 28) and float(maps.min()) >= 0
    assert model.filters.shape == (16, 1, 3, 3)


def test_conv_autoencoder_refuses_other_image_sizes():
    try:
        ConvAutoencoder((8, 8))
    except ValueError as exc:
        assert "28x28" in str(exc)
    else:
        raise AssertionError("an 8x8 conv autoencoder was built")


def test_deep_autoencoder_has_a_linear_code_and_a_mirrored_decoder():
    model = DeepAutoencoder(784, (1000, 500, 250), 30)
    linear_sizes = [(m.in_features, m.out_features) for m in model.modules() if isinstance(m, nn.Linear)]
    assert linear_sizes == [
        (784, 1000),
        (1000, 500),
        (500, 250),
        (250, 30),
        (30, 250),
        (250, 500),
        (500, 1000),
        (1000, 784),
    ]
    assert isinstance(model.encoder[-1], nn.Identity)  # the 30-unit code is linear
    assert sum(isinstance(m, nn.Sigmoid) for m in model.encoder) == 3
    assert sum(isinstance(m, nn.Sigmoid) for m in model.decoder) == 4
    with torch.no_grad():
        x_hat, h = model(torch.rand(4, 1, 28, 28))
    assert h.shape == (4, 30) and x_hat.shape == (4, 784)
    assert float(x_hat.min()) >= 0 and float(x_hat.max()) <= 1
    assert model.filters.shape == (1000, 784)


def test_stacked_autoencoder_encodes_to_its_depth():
    model = StackedAutoencoder(64, (16, 8, 4))
    x = torch.rand(5, 64)
    with torch.no_grad():
        assert model.encode(x).shape == (5, 4)
        assert model.encode(x, depth=1).shape == (5, 16)
        model.depth = 2
        x_hat, h = model(x)
        expected = model.layers[0].decoder(model.layers[1].decoder(h))
    assert h.shape == (5, 8) and x_hat.shape == (5, 64)
    assert torch.allclose(x_hat, expected)


def test_deeper_filters_are_the_weight_products():
    model = StackedAutoencoder(64, (16, 8, 4))
    w1, w2, w3 = (layer.encoder[0].weight for layer in model.layers)
    assert torch.equal(model.filters_in_pixels(1), w1)
    assert torch.allclose(model.filters_in_pixels(3), w3 @ w2 @ w1)
    assert model.filters_in_pixels(2).shape == (8, 64)


def test_deep_autoencoder_can_swap_its_logistic_units_for_relu():
    model = DeepAutoencoder(64, (32, 16), 4, activation="relu")
    assert sum(isinstance(m, nn.ReLU) for m in model.modules()) == 4
    assert isinstance(model.decoder[-1], nn.Sigmoid) and isinstance(model.encoder[-1], nn.Identity)
