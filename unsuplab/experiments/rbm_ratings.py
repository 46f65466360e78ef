"""An RBM for collaborative filtering, as in the course's slides: movies are the visible units
(v_i = 1: the user liked movie i), a few hidden units learn the tastes that explain who likes what.

    E(v, h)      = −aᵀv − bᵀh − vᵀWh
    p(h_j=1 | v) = σ(b_j + Σ_i v_i w_ij)          which tastes a user's likes switch on
    p(v_i=1 | h) = σ(a_i + Σ_j w_ij h_j)          how likely the user is to like movie i
    Δw_ij        = ε(⟨v_i h_j⟩⁰ − ⟨v_i h_j⟩ᵏ)      trained by CD-k on every training user

A new user ticks the movies they liked; one pass up and down predicts the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from unsuplab.core.config import param
from unsuplab.core.experiment import Experiment
from unsuplab.core.payloads import Bars, Matrix, Payload, Table
from unsuplab.core.registry import register
from unsuplab.data.ratings import RATINGS_SETS, RatingsDataset, load_ratings, read_ratings_csv
from unsuplab.experiments._rbm_lessons import (
    cd_steps_field,
    method_field,
    momentum_at,
    momentum_field,
    momentum_warmup_field,
    rbm_learning_rate_field,
    rbm_weight_decay_field,
)
from unsuplab.models.rbm import BernoulliRBM, ContrastiveDivergence
from unsuplab.models.state import cpu_copy

HELD_OUT_USERS = 0.15  # fraction of users kept out of training for the prediction error
HIDDEN_RATINGS = 1 / 3  # fraction of each held-out user's movies hidden and then predicted
SHOWN_USERS = 8  # training users in the data panel (their names must fit under the columns)
FILL_IN_PASSES = 10  # mean-field passes that fill in the unknown movies


@dataclass
class Config:
    ratings: str = param(
        "six-movies",
        "six-movies: the slides' example (Harry Potter, Avatar, "
        "LOTR 3, Gladiator, Titanic, Glitter; tastes SF/fantasy and Oscar "
        "winners), 300 users. movies-30: 30 films in five tastes, 2,000 users.",
        choices=RATINGS_SETS,
    )
    ratings_file: str = param(
        "",
        "Your own ratings instead: a CSV file with the header "
        "user,movie,rating (ratings 0–5, or 0/1 flags; a MovieLens "
        "movies.csv beside it names the movie ids). Empty: use the set.",
    )
    like_threshold: float = param(
        4.0,
        "A rating at or above this counts as liked (v_i = 1) in a ratings file on the 0–5 scale.",
        low=0.0,
        high=5.0,
    )
    hidden_units: int = param(
        2,
        "Hidden units h_j: the tastes the model may discover. Two for "
        "the slides' example: one should become 'Oscar winners', the "
        "other 'SF/fantasy'.",
        low=1,
        high=256,
    )
    method: str = method_field("cd")
    cd_steps: int = cd_steps_field()
    learning_rate: float = rbm_learning_rate_field(0.3)
    momentum: float = momentum_field(0.5)
    momentum_warmup: int = momentum_warmup_field(0)
    weight_decay: float = rbm_weight_decay_field(1e-4)
    batch_size: int = param(
        50, "Users per CD update (a random minibatch of the training users).", low=1, high=8192
    )
    new_user_likes: str = param(
        "Gladiator, Titanic",
        "The movies the new user starts out "
        "liking, separated by commas; names the data does not have are "
        "skipped (click the bars to change them).",
    )


def named_movies(movies: tuple[str, ...], text: str) -> list[int]:
    """Indices of the movies named in `text` (comma-separated, any case) that `movies` has."""
    lowered = {m.lower(): i for i, m in enumerate(movies)}
    return [lowered[name.strip().lower()] for name in text.split(",") if name.strip().lower() in lowered]


@register
class RBMRatings(Experiment):
    name = "rbm-ratings"
    title = "RBM for movie ratings"
    group = "Energy-based"
    summary = "Users like movies; hidden units discover the tastes and predict what a new user will like."
    Config = Config
    curves = {
        "Held-out prediction error (RMSE on hidden likes)": (
            "heldout_prediction_error",
            "heldout_popularity_error",
        ),
        "Reconstruction error Σ(v − v̂)² per user": ("recon_error", "heldout_recon_error"),
    }
    guarded_metrics = ("recon_error",)
    progress_metric = ("heldout_prediction_error", "down")
    quick_settings = {"batch_size": 50}
    quick_steps = 300
    presets = {
        "Like Gladiator and Titanic": {"new_user_likes": "Gladiator, Titanic"},
        "Add Harry Potter": {"new_user_likes": "Gladiator, Titanic, Harry Potter"},
        "movies-30, 5 hidden units": {"ratings": "movies-30", "hidden_units": 5},
    }

    # -- building -------------------------------------------------------------------------------
    def load_data(self) -> RatingsDataset:
        cfg = self.config
        if cfg.ratings_file:
            return read_ratings_csv(cfg.ratings_file, cfg.like_threshold)
        return load_ratings(cfg.ratings)

    def build(self, device: str, seed: int) -> None:
        cfg = self.config
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        torch.manual_seed(seed)
        data = self.load_data()
        self.movies, self.tastes = data.movies, data.tastes
        liked = torch.as_tensor(data.liked, device=self.device)
        # Held-out users and their hidden likes come from the data, not the seed: every run is
        # measured on the same questions.
        rng = np.random.default_rng(0)
        count = max(1, round(HELD_OUT_USERS * len(liked))) if len(liked) > 1 else 0
        order = rng.permutation(np.arange(len(liked)))
        shown_first = np.arange(min(SHOWN_USERS, len(liked)))  # the slides' users stay in training
        held_out = np.setdiff1d(order, shown_first)[:count]
        train = np.setdiff1d(np.arange(len(liked)), held_out)
        self.train_v = liked[torch.as_tensor(train, device=self.device)]
        self.shown_users = [data.users[i] for i in train[:SHOWN_USERS]]
        self.test_v = liked[torch.as_tensor(held_out, device=self.device)]
        hidden = rng.random(tuple(self.test_v.shape)) < HIDDEN_RATINGS
        hidden[np.arange(len(hidden)), rng.integers(len(self.movies), size=len(hidden))] = True
        self.hidden_mask = torch.as_tensor(hidden, device=self.device)
        self.popularity = self.train_v.mean(dim=0)
        self.model = BernoulliRBM(len(self.movies), cfg.hidden_units).to(self.device)
        self.model.init_visible_bias(self.train_v)
        self.trainer = ContrastiveDivergence(
            self.model,
            k=cfg.cd_steps,
            persistent=cfg.method == "pcd",
            chains=min(cfg.batch_size, len(self.train_v)),
        )
        self.new_user = torch.zeros(len(self.movies), device=self.device)
        self.new_user[named_movies(self.movies, cfg.new_user_likes)] = 1.0

    @property
    def samples_per_step(self) -> int:
        return min(self.config.batch_size, len(self.train_v))

    # -- one step: CD on a minibatch of users ------------------------------------------------------
    def train_step(self) -> dict[str, torch.Tensor]:
        cfg = self.config
        idx = torch.randint(
            len(self.train_v), (self.samples_per_step,), device=self.device, generator=self.generator
        )
        return self.trainer.step(
            self.train_v[idx],
            self.generator,
            cfg.learning_rate,
            momentum_at(cfg, self.step),
            cfg.weight_decay,
        )

    def predict(self, v: torch.Tensor, known: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(p(v_i = 1) for every movie, p(h | v)) given the `known` entries of v: the unknown
        movies are filled in by mean-field passes up and down with the known ones clamped, so
        a movie nobody asked about is not read as a dislike."""
        v = torch.where(known, v, self.popularity)
        for _ in range(FILL_IN_PASSES):
            ph = self.model.hidden_probs(v)
            v = torch.where(known, v, self.model.visible_probs(ph))
        return v, self.model.hidden_probs(v)

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        predicted, _ = self.predict(self.test_v, ~self.hidden_mask)
        truth = self.test_v[self.hidden_mask]
        noise = torch.Generator(device=self.device).manual_seed(0)
        popular = self.popularity.expand_as(self.test_v)[self.hidden_mask]
        return {
            "heldout_prediction_error": float((predicted[self.hidden_mask] - truth).pow(2).mean().sqrt()),
            "heldout_popularity_error": float((popular - truth).pow(2).mean().sqrt()),
            "heldout_recon_error": float(self.model.reconstruction_error(self.test_v, noise).mean()),
        }

    # -- what the window shows -----------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        panels = self.new_user_panels()
        weights = self.model.weight.cpu().numpy()
        units = self.unit_names()
        panels["weights"] = Matrix(
            "Weights w_ij: movie i → hidden unit j",
            weights,
            list(self.movies),
            units,
            "movie",
            "hidden unit",
            "{:+.1f}",
        )
        panels["factors"] = self.factor_table(weights, units)
        panels["data"] = Matrix(
            f"Training data: the first {len(self.shown_users)} users' likes",
            self.train_v[:SHOWN_USERS].T.cpu().numpy(),
            list(self.movies),
            self.shown_users,
            "movie",
            "user",
            "{:.0f}",
        )
        return panels

    def unit_names(self) -> list[str]:
        return [f"h{j + 1}" for j in range(self.model.hidden)]

    def new_user_panels(self) -> dict[str, Payload]:
        """The new user's likes (clickable), the hidden tastes they switch on, and the predicted
        chance of liking each movie, the best one they have not liked yet highlighted."""
        # The new user's likes are what we know; every other movie is a question.
        predicted, hidden = self.predict(self.new_user[None], self.new_user[None] > 0)
        predicted, hidden = predicted[0].cpu().numpy(), hidden[0].cpu().numpy()
        liked = self.new_user.cpu().numpy()
        unseen = np.flatnonzero(liked == 0)
        best = int(unseen[np.argmax(predicted[unseen])]) if len(unseen) else None
        movies = list(self.movies)
        return {
            "new_user": Bars(
                "New user: the movies they liked (click a bar to toggle)",
                movies,
                {"liked": liked},
                y_range=(0.0, 1.0),
                click_command="toggle",
            ),
            "hidden": Bars(
                "Hidden tastes switched on: p(h_j = 1 | v)",
                self.unit_names(),
                {"p(h_j = 1 | v)": hidden},
                y_range=(0.0, 1.0),
            ),
            "predictions": Bars(
                "Predicted p(v_i = 1 | h): will they like it?",
                movies,
                {"predicted": predicted, "liked already": liked},
                highlight=best,
                y_range=(0.0, 1.0),
            ),
        }

    def factor_table(self, weights: np.ndarray, units: list[str]) -> Table:
        """For each hidden unit, the movies it connects to most strongly (name the taste!)."""
        rows: list[list[object]] = []
        for j, unit in enumerate(units):
            order = np.argsort(-weights[:, j])
            top = ", ".join(f"{self.movies[i]} {weights[i, j]:+.1f}" for i in order[:3])
            bottom = ", ".join(f"{self.movies[i]} {weights[i, j]:+.1f}" for i in order[::-1][:2])
            rows.append([unit, top, bottom])
        return Table("What each hidden unit stands for", ["unit", "strongest", "weakest"], rows)

    # -- probes: the new user -------------------------------------------------------------------
    @torch.no_grad()
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        if command == "toggle":
            index = int(kwargs["index"])
            if not 0 <= index < len(self.movies):
                raise ValueError(f"no movie number {index}; there are {len(self.movies)}")
            self.new_user[index] = 1.0 - self.new_user[index]
            return self.new_user_panels()
        return super().probe(command, **kwargs)

    # -- checkpoints ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return cpu_copy(
            {
                "model": self.model.state_dict(),
                "trainer": self.trainer.state_dict(),
                "new_user": self.new_user,
            }
        )

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.trainer.load_state_dict(state["trainer"])
        self.new_user = state["new_user"].to(self.device).clone()
