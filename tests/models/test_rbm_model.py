"""The RBM module computes the slide's formulas: conditionals, free energy, CD update, pseudo-likelihood."""

from __future__ import annotations

import itertools

import numpy as np
import torch

from unsuplab.models.rbm import (
    BernoulliRBM,
    ContrastiveDivergence,
    DeepBeliefNet,
    classifier_like,
    initialise_from_stack,
)


def small_rbm(visible: int = 4, hidden: int = 3, seed: int = 0) -> BernoulliRBM:
    torch.manual_seed(seed)
    rbm = BernoulliRBM(visible, hidden)
    with torch.no_grad():
        rbm.weight.normal_(0, 1)
        rbm.visible_bias.normal_(0, 1)
        rbm.hidden_bias.normal_(0, 1)
    return rbm


def test_free_energy_is_minus_log_sum_over_hidden_states():
    rbm = small_rbm()
    v = torch.tensor([[1.0, 0, 1, 1], [0, 0, 1, 0]])
    states = torch.tensor(list(itertools.product([0.0, 1.0], repeat=3)))
    for row in v:
        energies = rbm.energy(row.expand(len(states), -1), states)
        expected = -torch.logsumexp(-energies, dim=0)
        torch.testing.assert_close(rbm.free_energy(row[None])[0], expected)


def test_conditionals_are_the_sigmoids_of_the_slide():
    rbm = small_rbm()
    v = torch.tensor([[1.0, 0, 1, 1]])
    h = torch.tensor([[0.0, 1, 1]])
    w, a, b = rbm.weight, rbm.visible_bias, rbm.hidden_bias
    torch.testing.assert_close(rbm.hidden_probs(v), torch.sigmoid(b + v @ w))
    torch.testing.assert_close(rbm.visible_probs(h), torch.sigmoid(a + h @ w.T))


def test_free_energy_matches_scikit_learn():
    from sklearn.neural_network import BernoulliRBM as SkRBM

    rbm = small_rbm(6, 5)
    sk = SkRBM(n_components=5)
    sk.components_ = rbm.weight.T.double().numpy()
    sk.intercept_visible_ = rbm.visible_bias.double().numpy()
    sk.intercept_hidden_ = rbm.hidden_bias.double().numpy()
    v = (np.random.default_rng(0).random((10, 6)) < 0.5).astype(np.float64)
    ours = rbm.free_energy(torch.as_tensor(v, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(ours, sk._free_energy(v), rtol=1e-5)


def test_pseudo_likelihood_flips_one_bit_per_row():
    rbm = small_rbm(1, 3)  # one visible unit: the flipped bit is always unit 0
    v = torch.tensor([[1.0], [0.0]])
    flipped = 1 - v
    expected = torch.nn.functional.logsigmoid(rbm.free_energy(flipped) - rbm.free_energy(v))
    got = rbm.pseudo_likelihood(v, torch.Generator().manual_seed(0))
    torch.testing.assert_close(got, expected)


def test_cd1_update_is_data_minus_reconstruction_statistics():
    rbm = small_rbm()
    before = [p.clone() for p in (rbm.weight, rbm.visible_bias, rbm.hidden_bias)]
    trainer = ContrastiveDivergence(rbm, k=1)
    v0 = torch.tensor([[1.0, 0, 1, 1], [0, 1, 1, 0], [1, 1, 0, 0]])
    generator = torch.Generator().manual_seed(3)
    replay = torch.Generator().manual_seed(3)
    trainer.step(v0, generator, learning_rate=0.1, momentum=0.0, weight_decay=0.01)
    w, a, b = before
    ph0 = torch.sigmoid(v0 @ w + b)
    h0 = torch.bernoulli(ph0, generator=replay)
    v1 = torch.sigmoid(h0 @ w.T + a)
    ph1 = torch.sigmoid(v1 @ w + b)
    expected = w + 0.1 * ((v0.T @ ph0 - v1.T @ ph1) / 3 - 0.01 * w)
    torch.testing.assert_close(rbm.weight, expected)
    torch.testing.assert_close(rbm.visible_bias, a + 0.1 * (v0 - v1).mean(dim=0))


def test_cd_learns_a_toy_distribution_and_pcd_chains_persist():
    torch.manual_seed(0)
    patterns = torch.tensor([[1.0, 1, 1, 0, 0, 0], [0, 0, 0, 1, 1, 1]])
    data = patterns[torch.randint(2, (200,))]
    generator = torch.Generator().manual_seed(0)
    for persistent in (False, True):
        rbm = BernoulliRBM(6, 4)
        trainer = ContrastiveDivergence(rbm, k=1, persistent=persistent, chains=20, dream_chains=8)
        before = float(rbm.reconstruction_error(data, torch.Generator().manual_seed(1)).mean())
        for step in range(300):
            trainer.step(data[step % 10 * 20 : (step % 10 + 1) * 20], generator, 0.1, 0.5, 0.0)
        after = float(rbm.reconstruction_error(data, torch.Generator().manual_seed(1)).mean())
        assert after < 0.3 * before
        # Dreams look like the two patterns: three units on together, three off.
        dreams = trainer.dream(8)
        assert dreams.shape == (8, 6)
        halves = torch.stack([dreams[:, :3].mean(dim=1), dreams[:, 3:].mean(dim=1)], dim=1)
        assert float((halves.max(dim=1).values - halves.min(dim=1).values).mean()) > 0.5
    state = trainer.state_dict()
    copy = ContrastiveDivergence(rbm, persistent=True, chains=20)
    copy.load_state_dict(state)
    torch.testing.assert_close(copy.chains, trainer.chains)


def test_stack_goes_up_and_down_and_initialises_a_classifier():
    stack = DeepBeliefNet(10, (6, 4))
    x = torch.rand(3, 10)
    assert stack.encode(x).shape == (3, 4)
    assert stack.encode(x, depth=1).shape == (3, 6)
    rebuilt, code = stack(x)
    assert rebuilt.shape == (3, 10) and code.shape == (3, 4)
    net = classifier_like(stack, 5)
    assert net(x).shape == (3, 5)
    initialise_from_stack(net, stack)
    torch.testing.assert_close(net[0].weight, stack.layers[0].weight.T)
    torch.testing.assert_close(net[2].bias, stack.layers[1].hidden_bias)
