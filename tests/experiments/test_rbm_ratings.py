"""The ratings RBM: a new user's likes switch on tastes and predictions; files are refused by line."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from unsuplab.core.payloads import Bars, Matrix, Table
from unsuplab.core.stepping import train_steps
from unsuplab.data import DataError
from unsuplab.data.ratings import SIX_MOVIES
from unsuplab.experiments.rbm_ratings import Config, RBMRatings


def trained(steps: int = 400, **changes) -> RBMRatings:
    experiment = RBMRatings(dataclasses.replace(Config(), **changes))
    experiment.build("cpu", 0)
    train_steps(experiment, steps)
    return experiment


def test_oscar_fans_get_lotr_recommended_and_sf_stays_low():
    experiment = trained()
    panels = experiment.snapshot()
    predicted = panels["predictions"].values["predicted"]
    assert panels["predictions"].highlight == SIX_MOVIES.index("LOTR 3")
    assert predicted[SIX_MOVIES.index("LOTR 3")] > 0.6
    assert predicted[SIX_MOVIES.index("Avatar")] < 0.3
    assert isinstance(panels["weights"], Matrix) and panels["weights"].values.shape == (6, 2)
    assert isinstance(panels["factors"], Table) and len(panels["factors"].rows) == 2
    metrics = experiment.evaluate()
    assert metrics["heldout_prediction_error"] < metrics["heldout_popularity_error"]


def test_toggle_flips_a_movie_and_answers_with_new_bars():
    experiment = trained(steps=0)
    answer = experiment.probe("toggle", index=0)
    assert isinstance(answer["new_user"], Bars) and answer["new_user"].click_command == "toggle"
    assert answer["new_user"].values["liked"][0] == 1
    assert experiment.probe("toggle", index=0)["new_user"].values["liked"][0] == 0
    with pytest.raises(ValueError, match="no movie number 6"):
        experiment.probe("toggle", index=6)


def test_new_user_likes_are_read_by_name_and_unknown_names_skipped():
    experiment = trained(steps=0, new_user_likes="avatar, Nonexistent")
    np.testing.assert_array_equal(experiment.new_user.numpy(), [0, 1, 0, 0, 0, 0])


def test_a_ratings_file_is_used_and_a_bad_one_refused(tmp_path):
    good = tmp_path / "ratings.csv"
    rows = [
        f"u{u},{m},{5 if (u + i) % 2 else 1}" for u in range(20) for i, m in enumerate(["Up", "Heat", "Coco"])
    ]
    good.write_text("user,movie,rating\n" + "\n".join(rows) + "\n", encoding="utf-8")
    experiment = trained(steps=5, ratings_file=str(good), new_user_likes="Up")
    assert experiment.movies == ("Up", "Heat", "Coco")
    bad = tmp_path / "bad.csv"
    bad.write_text("user,movie,rating\nu1,Up,9\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 2: rating 9"):
        trained(steps=0, ratings_file=str(bad))
