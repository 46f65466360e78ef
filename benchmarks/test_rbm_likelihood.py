"""The AIS estimate of an RBM's log partition function agrees with the exact sum on an RBM small
enough to enumerate."""

from __future__ import annotations

import pytest
import torch
from rbm_likelihood import ais_log_partition, annealing_schedule, exact_log_partition

from unsuplab.models.rbm import BernoulliRBM


def test_ais_matches_the_exact_log_partition_of_a_small_rbm():
    torch.manual_seed(0)
    rbm = BernoulliRBM(20, 8)
    with torch.no_grad():
        rbm.weight.normal_(0, 0.5)
        rbm.visible_bias.normal_(0, 0.5)
        rbm.hidden_bias.normal_(0, 0.5)
    base = torch.zeros(20)
    estimate = ais_log_partition(rbm, base, annealing_schedule(500), 200, torch.Generator().manual_seed(0))
    assert estimate == pytest.approx(exact_log_partition(rbm), abs=0.1)
