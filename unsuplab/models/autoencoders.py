"""Dense autoencoders: x -> h = f(W x + b) -> x_hat = sigmoid(W' h + b')."""

from __future__ import annotations

from itertools import pairwise

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "linear": nn.Identity}


class _FlatAutoencoder(nn.Module):
    """An `encoder` and a `decoder` on flattened images, the first encoder layer a Linear."""

    encoder: nn.Sequential
    decoder: nn.Sequential

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.flatten(1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction, code) for a batch of flattened or image-shaped inputs."""
        h = self.encode(x)
        return self.decoder(h), h


class DenseAutoencoder(_FlatAutoencoder):
    """One hidden code layer; the encoder's rows w_i are the filters the lessons show."""

    def __init__(self, inputs: int, code: int, activation: str = "relu"):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(inputs, code), ACTIVATIONS[activation]())
        self.decoder = nn.Sequential(nn.Linear(code, inputs), nn.Sigmoid())

    @property
    def filters(self) -> torch.Tensor:
        """The encoder weights W, one row per hidden unit."""
        return self.encoder[0].weight


class ConvAutoencoder(nn.Module):
    """The convolutional autoencoder of Chollet's "Building Autoencoders in Keras" for 28x28 images.

    Shapes (channels x height x width), exactly those of the Keras example's summary:

        input                                    1 x 28 x 28
        Conv 3x3 'same' ReLU, MaxPool 2         16 x 28 x 28 -> 16 x 14 x 14
        Conv 3x3 'same' ReLU, MaxPool 2          8 x 14 x 14 ->  8 x  7 x  7
        Conv 3x3 'same' ReLU, MaxPool 2 'same'   8 x  7 x  7 ->  8 x  4 x  4   the 128-number code
        Conv 3x3 'same' ReLU, Upsample 2         8 x  4 x  4 ->  8 x  8 x  8
        Conv 3x3 'same' ReLU, Upsample 2         8 x  8 x  8 ->  8 x 16 x 16
        Conv 3x3 'valid' ReLU, Upsample 2       16 x 14 x 14 -> 16 x 28 x 28   'valid' trims 16 to 14
        Conv 3x3 'same' sigmoid                  1 x 28 x 28

    Keras pools 7 to 4 with padding='same'; `ceil_mode=True` is the same window rule. The decoder's
    third convolution is 'valid' in the Keras example (16 -> 14), which is how 4 -> 8 -> 16 ends at
    28 rather than 32; it is reproduced here.
    """

    def __init__(self, image_shape: tuple[int, int] = (28, 28)):
        super().__init__()
        if tuple(image_shape) != (28, 28):
            raise ValueError(
                f"the Keras convolutional autoencoder takes 28x28 images, not "
                f"{image_shape[0]}x{image_shape[1]}"
            )
        self.image_shape = (28, 28)
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding="same"),
            nn.ReLU(),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.Conv2d(16, 8, 3, padding="same"),
            nn.ReLU(),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.Conv2d(8, 8, 3, padding="same"),
            nn.ReLU(),
            nn.MaxPool2d(2, ceil_mode=True),
        )
        self.decoder = nn.Sequential(
            nn.Conv2d(8, 8, 3, padding="same"),
            nn.ReLU(),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(8, 8, 3, padding="same"),
            nn.ReLU(),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(8, 16, 3),
            nn.ReLU(),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(16, 1, 3, padding="same"),
            nn.Sigmoid(),
        )
        # PyTorch's CPU convolutions and max-pooling run about 1.5x faster channels-last.
        self.to(memory_format=torch.channels_last)

    def _as_images(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(len(x), 1, *self.image_shape).contiguous(memory_format=torch.channels_last)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The 8 x 4 x 4 code of a batch of flattened or image-shaped inputs."""
        return self.encoder(self._as_images(x))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(flattened reconstruction, 8 x 4 x 4 code), so the loss compares it with flat x."""
        h = self.encode(x)
        return self.decoder(h).flatten(1), h

    def feature_maps(self, x: torch.Tensor) -> torch.Tensor:
        """The first layer's 16 maps relu(k_c ⋆ x + b_c), each 28 x 28, before pooling."""
        return self.encoder[1](self.encoder[0](self._as_images(x)))

    @property
    def filters(self) -> torch.Tensor:
        """The first layer's 16 kernels, (16, 1, 3, 3)."""
        return self.encoder[0].weight


def _dense_stack(sizes: list[int], hidden: type[nn.Module], last: nn.Module) -> nn.Sequential:
    """Linear layers between consecutive `sizes`, `hidden()` after each but the last, then `last`."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(pairwise(sizes)):
        layers.append(nn.Linear(fan_in, fan_out))
        layers.append(hidden() if i < len(sizes) - 2 else last)
    return nn.Sequential(*layers)


class DeepAutoencoder(_FlatAutoencoder):
    """Hinton & Salakhutdinov's deep autoencoder, e.g. 784-1000-500-250-30 and back.

    Logistic hidden layers (the paper's; `activation="relu"` swaps them), a linear code layer,
    and a mirrored decoder with a logistic output:
        h = W₄ σ(W₃ σ(W₂ σ(W₁ x + b₁) + b₂) + b₃) + b₄,   x̂ = σ(W′₁ σ(W′₂ σ(W′₃ σ(W′₄ h …))))
    """

    def __init__(self, inputs: int, hidden: tuple[int, ...], code: int, activation: str = "sigmoid"):
        super().__init__()
        sizes = [inputs, *hidden, code]
        unit = ACTIVATIONS[activation]
        self.encoder = _dense_stack(sizes, unit, nn.Identity())
        self.decoder = _dense_stack(sizes[::-1], unit, nn.Sigmoid())

    @property
    def filters(self) -> torch.Tensor:
        """The first layer's weights W₁, one row per unit of the widest layer."""
        return self.encoder[0].weight


class StackedAutoencoder(nn.Module):
    """Autoencoders stacked for greedy layer-wise training: layer k encodes layer k−1's code.

    Each layer is a `DenseAutoencoder` with logistic units, h_k = σ(W_k h_{k−1} + b_k) and
    ĥ_{k−1} = σ(W′_k h_k + b′_k). `depth` says how many layers the whole stack uses: encoding goes
    up through layers 1..depth, decoding comes back down through their decoders.
    """

    def __init__(self, inputs: int, sizes: tuple[int, ...]):
        super().__init__()
        widths = [inputs, *sizes]
        self.layers = nn.ModuleList(DenseAutoencoder(a, b, "sigmoid") for a, b in pairwise(widths))
        self.depth = len(self.layers)

    def encode(self, x: torch.Tensor, depth: int | None = None) -> torch.Tensor:
        """The code after `depth` layers (default: the stack's current depth)."""
        h = x.flatten(1)
        for layer in self.layers[: self.depth if depth is None else depth]:
            h = layer.encode(h)
        return h

    def decode(self, h: torch.Tensor, depth: int | None = None) -> torch.Tensor:
        """Back down from the code of layer `depth` to pixels, through the decoders in reverse."""
        for layer in reversed(self.layers[: self.depth if depth is None else depth]):
            h = layer.decoder(h)
        return h

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(reconstruction, code) through the first `depth` layers."""
        h = self.encode(x)
        return self.decode(h), h

    @property
    def filters(self) -> torch.Tensor:
        """Layer 1's weights W₁, one row per unit."""
        return self.layers[0].filters

    def filters_in_pixels(self, layer: int) -> torch.Tensor:
        """Rows of W_k ⋯ W₂ W₁ for layer k (1-based): each unit of layer k drawn as the pixel
        pattern its weights add up to when the logistic units in between are taken as linear."""
        projection = self.layers[0].filters
        for deeper in self.layers[1:layer]:
            projection = deeper.filters @ projection
        return projection
