"""The minibatch standard deviation lets the digit GAN's discriminator see a collapsed batch:
the feature is ~0 for identical inputs, and D(x) of one image then depends on its batch."""

from __future__ import annotations

import pytest
import torch

from unsuplab.models.gan import DCDiscriminator, DCGenerator, MLPDiscriminator, MLPGenerator, minibatch_std


def test_minibatch_std_is_zero_for_identical_rows_and_the_mean_spread_otherwise():
    same = torch.ones(8, 5).mul(3.0)
    assert float(minibatch_std(same)) == pytest.approx(0.0, abs=1e-3)
    # Two rows ±1 apart in every feature: each feature's batch standard deviation is 1.
    spread = torch.tensor([[0.0, 2.0, 5.0], [2.0, 0.0, 3.0]])
    assert float(minibatch_std(spread)) == pytest.approx(1.0, rel=1e-4)


def _one_image_in_two_batches(discriminator: MLPDiscriminator) -> tuple[float, float]:
    """D's logit for one image in a batch of its copies, and in a batch of varied images."""
    gen = torch.Generator().manual_seed(0)
    image = torch.rand(1, 784, generator=gen)
    varied = torch.cat([image, torch.rand(15, 784, generator=gen)])
    with torch.no_grad():
        return float(discriminator(image.expand(16, 784))[0]), float(discriminator(varied)[0])


def test_with_minibatch_std_d_judges_a_collapsed_batch_differently():
    torch.manual_seed(0)
    collapsed, varied = _one_image_in_two_batches(MLPDiscriminator(784, [64, 32], minibatch_std=True))
    assert collapsed != pytest.approx(varied, abs=1e-4)


def test_without_minibatch_std_d_judges_each_image_alone():
    torch.manual_seed(0)
    collapsed, varied = _one_image_in_two_batches(MLPDiscriminator(784, [64, 32]))
    assert collapsed == pytest.approx(varied, abs=1e-6)


@pytest.mark.parametrize(
    "player",
    [
        lambda: MLPGenerator(8, [16], 784, batch_norm=True, classes=10),
        lambda: DCGenerator(8, width=4, classes=10),
        lambda: MLPDiscriminator(784, [16], minibatch_std=True, classes=10),
        lambda: DCDiscriminator(width=4, classes=10),
    ],
    ids=["mlp G", "dcgan G", "mlp D", "dcgan D"],
)
def test_conditional_players_read_the_label_and_refuse_to_guess_it(player):
    network = player().eval()
    inputs = torch.rand(4, 784) if "Discriminator" in type(network).__name__ else torch.randn(4, 8)
    three, seven = (network(inputs, torch.full((4,), k)) for k in (3, 7))
    assert three.shape[0] == 4 and not torch.equal(three, seven)
    with pytest.raises(ValueError, match="conditional"):
        network(inputs)
