"""Deep Q-network (Mnih et al. 2015) learning Breakout and friends on MinAtar-style 10x10 games.

    R_t      = Σ_k γ^k r_{t+k}                          the return the agent wants to maximise
    Q(s, a)  = E[R_t | s_t = s, a_t = a, then greedy]   what the network predicts, one per action
    y        = r + γ (1 − done) max_a' Q_target(s', a')  the Bellman target
    L        = Huber(y − Q(s, a))                        over minibatches from the replay buffer
    a        = argmax_a Q(s, a), or random with prob. ε  ε-greedy exploration, ε: 1 → 0.1
    Q_target ← Q every C updates                         the target network, held still between

Double DQN takes a' = argmax_a' Q(s', a') from the online network and its value from the target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from unsuplab.core.config import ConfigError, param
from unsuplab.core.experiment import Experiment
from unsuplab.core.payloads import Bars, Curves, Frame, Payload
from unsuplab.core.registry import register
from unsuplab.models.state import cpu_copy
from unsuplab.rl.atari import ATARI_GAMES, RANDOM_SCORES, require_atari
from unsuplab.rl.dqn import (
    ReplayBuffer,
    Transitions,
    bellman_target,
    epsilon_greedy,
    linear_schedule,
    make_q_network,
    random_returns,
    random_transitions,
    td_loss,
)
from unsuplab.rl.episodes import EpisodeLog
from unsuplab.rl.games import GAMES, Game, make_game
from unsuplab.rl.play import GreedyScore, HumanPlay, Play
from unsuplab.viz.images import tile

EPISODE_RING = 50_000  # finished training episodes kept for the return curve
REPLAY_KEPT_BYTES = 16 * 2**20  # a checkpoint keeps the replay buffer when it is this small
HELD_OUT_ENVS, HELD_OUT_STEPS = 64, 64  # random-policy play that gives the held-out transitions
HELD_OUT_EVERY = 8  # keep every 8th step of it: 512 transitions from all stages of an episode
FIXED_SEED = 12_345  # held-out set, random level, your game: the same for every run of a config
REPLAY_STRIP = 8  # transitions shown in the replay panel
GREEDY_ENVS, GREEDY_STEPS_PER_EVALUATION, GREEDY_EPISODES = 8, 16, 50
EPISODE_CAP = 2_000  # a greedy agent may keep the ball alive forever: end its episodes here
MOVING_AVERAGE = 100


@dataclass
class Config:
    game: str = param(
        "breakout",
        "The game: a MinAtar-style 10x10 game written in this lab, or "
        "atari-breakout, real Atari through Gymnasium (84x84 grey, 4 frames stacked, "
        'frame skip 4; needs pip install "unsuplab[atari]").',
        choices=(*GAMES, *ATARI_GAMES),
    )
    mode: str = param(
        "train",
        "train: all environments play ε-greedily and the network learns; "
        "watch: learning pauses and one game is played greedily, "
        "a = argmax_a Q(s, a), at human speed.",
        choices=("train", "watch"),
        live=True,
    )
    num_envs: int = param(
        32,
        "Games played side by side; each training step moves all of them "
        "one frame and stores B transitions (s, a, r, s′) in the replay.",
        low=1,
        high=4096,
    )
    batch_size: int = param(
        64,
        "Transitions per gradient step, drawn uniformly from the replay buffer (MinAtar: 32).",
        low=1,
        high=4096,
    )
    updates_per_step: int = param(
        1,
        "Gradient steps after each batched environment step (each on "
        "a fresh minibatch): more reuse of the replay per frame.",
        low=1,
        high=16,
        live=True,
    )
    learning_rate: float = param(
        3e-4,
        "Adam step size η in θ ← θ − η·m̂/(√v̂ + ε) on the Huber TD loss. Can change while training.",
        low=1e-6,
        high=1.0,
        log=True,
        live=True,
    )
    gamma: float = param(
        0.99,
        "Discount γ in R_t = Σ_k γ^k r_{t+k}: a reward k frames away counts γ^k as much as one now.",
        low=0.0,
        high=1.0,
    )
    replay_capacity: int = param(
        100_000,
        "Transitions the replay buffer holds (oldest dropped "
        "first); experience replay breaks the correlation of successive "
        "frames.",
        low=64,
        high=2_000_000,
    )
    replay_start: int = param(
        5_000,
        "Frames played (randomly, ε = 1) before the first gradient "
        "step, so the first minibatches are not all from one moment.",
        low=1,
        high=1_000_000,
    )
    target_update: int = param(
        1_000,
        "C: the target network Q_target ← Q is copied every C "
        "gradient steps and held still in between, so y does not chase "
        "itself.",
        low=1,
        high=100_000,
    )
    epsilon_start: float = param(
        1.0,
        "ε at frame 0 of the schedule ε(t) = ε₀ + (ε₁ − ε₀)·min(t/T, 1): the probability of a random action.",
        low=0.0,
        high=1.0,
    )
    epsilon_end: float = param(0.1, "ε₁, the exploration that stays after T frames.", low=0.0, high=1.0)
    epsilon_frames: int = param(
        100_000,
        "T, the frames (summed over all games) over which ε falls from ε₀ to ε₁.",
        low=0,
        high=10_000_000,
    )
    double_dqn: bool = param(
        False,
        "Double DQN: y = r + γ Q_target(s′, argmax_a′ Q(s′, a′)), the "
        "online network chooses, the target network values.",
    )
    sticky_actions: float = param(
        0.1,
        "Probability that a game repeats the previous action instead "
        "of the chosen one (MinAtar's default 0.1), so the agent cannot "
        "memorise one exact sequence.",
        low=0.0,
        high=0.99,
    )
    watch_speed: float = param(
        10.0,
        "Frames per second in watch mode (the speed slider slows it further). Can change while it plays.",
        low=0.5,
        high=120.0,
        live=True,
    )

    def check(self) -> None:
        if self.game in ATARI_GAMES:
            try:
                require_atari()
            except ImportError as exc:
                raise ConfigError("game", str(exc)) from None
        if self.epsilon_end > self.epsilon_start:
            raise ConfigError(
                "epsilon_end",
                f"{self.epsilon_end} is above epsilon_start "
                f"{self.epsilon_start}; ε should fall as the agent learns",
            )


@register
class DQN(Experiment):
    name = "dqn"
    title = "Deep Q-network"
    group = "Reinforcement"
    summary = "An agent learns Breakout from the screen by predicting its future score."
    Config = Config
    #: DQN against Double DQN (van Hasselt et al. 2016).
    comparisons = {"DQN vs Double DQN": {"double_dqn": (False, True)}}
    curves = {
        "TD loss (Huber) and held-out TD error": ("loss", "heldout_td_error"),
        # The training episodes have their own panel ("returns"); this one is the greedy agent.
        "Greedy return (ε = 0) against random play": ("greedy_return", "random_return"),
        "Exploration ε": ("epsilon",),
        "Mean Q(s, a) on replayed transitions": ("q_mean",),
    }
    guarded_metrics = ("loss",)
    # Learning to play takes minutes; what moves within seconds, and honestly says the network
    # learns, is the TD error on a fixed held-out set of transitions (see the lesson text).
    progress_metric = ("heldout_td_error", "down")
    quick_settings = {
        "num_envs": 16,
        "replay_capacity": 2_048,
        "replay_start": 256,
        "batch_size": 64,
        "target_update": 25,
        "learning_rate": 1e-3,
        "epsilon_frames": 2_000,
    }
    quick_steps = 80

    def build(self, device: str, seed: int) -> None:
        cfg = self.config
        self.device = torch.device(device)
        torch.manual_seed(seed)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        self.envs = self._game(cfg.num_envs, seed)
        self.obs = self.envs.reset(seed)
        self.obs_shape, self.action_names = tuple(self.envs.obs_shape), self.envs.action_names
        self.online = make_q_network(self.obs_shape, len(self.action_names)).to(self.device)
        self.target = make_q_network(self.obs_shape, len(self.action_names)).to(self.device)
        self.target.load_state_dict(self.online.state_dict())
        self.target.requires_grad_(False)
        self.optimizer = torch.optim.Adam(self.online.parameters(), lr=cfg.learning_rate)
        self.replay = ReplayBuffer(cfg.replay_capacity, self.obs_shape, self.device, self.envs.levels)
        self.frames = 0  # environment frames played in training, summed over the games
        self.updates = 0  # gradient steps taken
        self.episodes = EpisodeLog(EPISODE_RING, self.device)
        # Games with their own fixed seeds, so a checkpoint shows the same picture in any run.
        self.watched = Play(self._game(1, FIXED_SEED, cap=EPISODE_CAP), FIXED_SEED)
        self.human = HumanPlay(self._game(1, FIXED_SEED + 1, sticky=0.0), FIXED_SEED + 1)
        self.random_return, self.held_out = self._random_play()
        self.greedy = GreedyScore(
            self._game(GREEDY_ENVS, FIXED_SEED + 2, cap=EPISODE_CAP),
            FIXED_SEED + 2,
            GREEDY_STEPS_PER_EVALUATION,
            GREEDY_EPISODES,
        )

    def _game(self, num_envs: int, seed: int, sticky: float | None = None, cap: int | None = None) -> Game:
        sticky = self.config.sticky_actions if sticky is None else sticky
        return make_game(self.config.game, num_envs, self.device, seed, sticky, cap)

    def _random_play(self) -> tuple[float, Transitions | None]:
        """The uniformly random policy's mean return, the level the agent must beat, and its
        transitions, never trained on, for the held-out TD error. Real Atari takes the published
        level and has no held-out set: random episodes there take minutes."""
        if self.config.game in ATARI_GAMES:
            return RANDOM_SCORES[self.config.game], None
        rng = torch.Generator(device=self.device).manual_seed(FIXED_SEED)
        game = self._game(HELD_OUT_ENVS, FIXED_SEED + 3, cap=EPISODE_CAP)
        level = float(random_returns(game, rng, EPISODE_CAP).mean())
        return level, random_transitions(game, FIXED_SEED + 3, HELD_OUT_STEPS, HELD_OUT_EVERY, rng)

    # -- one training step ------------------------------------------------------------------------
    @property
    def epsilon(self) -> float:
        cfg = self.config
        return linear_schedule(cfg.epsilon_start, cfg.epsilon_end, cfg.epsilon_frames, self.frames)

    def _td_loss(self, batch: Transitions) -> tuple[torch.Tensor, torch.Tensor]:
        """Huber(y − Q(s, a)) of a batch, and Q(s, a)."""
        cfg = self.config
        y = bellman_target(batch, self.target, cfg.gamma, self.online if cfg.double_dqn else None)
        return td_loss(self.online, batch, y)

    def train_step(self) -> dict[str, torch.Tensor]:
        cfg = self.config
        if cfg.mode == "watch":  # no learning: one greedy frame, paced by the run loop
            self.watched.play_greedily(self.online)
            return {}
        with torch.no_grad():  # a = argmax_a Q(s, a), or a random action with probability ε
            actions = epsilon_greedy(self.online(self.obs), self.epsilon, self.generator)
        result = self.envs.step(actions)  # every game one frame on
        self.replay.add(self.obs, actions, result.reward, result.obs, result.done)
        self.frames += cfg.num_envs
        self.episodes.record(result.done, result.episode_return, self.frames)
        self.obs = result.obs
        if self.replay.size < cfg.replay_start:
            return {}
        for _ in range(cfg.updates_per_step):  # L = Huber(y − Q(s, a)) on replayed minibatches
            loss, q_taken = self._td_loss(self.replay.sample(cfg.batch_size, self.generator))
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.updates += 1
            if self.updates % cfg.target_update == 0:  # Q_target ← Q every C updates
                self.target.load_state_dict(self.online.state_dict())
        return {"loss": loss.detach(), "q_mean": q_taken.detach().mean()}

    @property
    def samples_per_step(self) -> int:
        return self.config.num_envs if self.config.mode == "train" else 1

    @property
    def step_delay(self) -> float:
        """Watch mode plays at human speed: the run loop waits 1 / watch_speed after a frame."""
        return 1.0 / self.config.watch_speed if self.config.mode == "watch" else 0.0

    # -- evaluation -------------------------------------------------------------------------------
    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        metrics = {"epsilon": self.epsilon, "random_return": self.random_return}
        if self.held_out is not None:
            metrics["heldout_td_error"] = float(self._td_loss(self.held_out)[0])
        returns, _ = self.episodes.finished()
        if len(returns):
            metrics["return_avg100"] = float(returns[-MOVING_AVERAGE:].mean())
        greedy = self.greedy.advance(self.online)
        if greedy is not None:
            metrics["greedy_return"] = greedy
        return metrics

    # -- what the views show ----------------------------------------------------------------------
    @torch.no_grad()
    def snapshot(self) -> dict[str, Payload]:
        watching = self.config.mode == "watch"
        obs = self.watched.obs[0] if watching else self.obs[0]
        q = self.online(obs.unsqueeze(0))[0].cpu().numpy()
        return {
            "game": self._game_frame(obs, watching),
            "q_values": Bars(
                "Q(s, a) for the frame shown: the return each action promises",
                list(self.action_names),
                {"Q(s, a)": q},
                highlight=int(q.argmax()),
                y_label="predicted return",
            ),
            "returns": self._return_curves(),
            "replay": self._replay_strip(),
            "you": self._human_frame(),
        }

    def _game_frame(self, obs: torch.Tensor, watching: bool) -> Frame:
        game, picture = self.config.game, self.envs.render(obs)
        if watching:
            return Frame(
                f"{game}: the agent playing greedily, a = argmax Q(s, a)",
                picture,
                caption=f"score this game {self.watched.score:g} · {self.config.watch_speed:g} frames/s",
            )
        score = float(self.envs.episode_return[0])
        return Frame(
            f"{game}: game 1 of {self.config.num_envs}, ε-greedy while learning",
            picture,
            caption=f"ε = {self.epsilon:.3f} · score this game {score:g} · "
            f"{self.frames:,} frames played · {self.updates:,} gradient steps",
        )

    def _return_curves(self) -> Curves:
        returns, frames = self.episodes.finished()
        series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if len(returns):
            # Thinned to about 2,000 points: a view need not draw 50,000 episodes.
            every = max(1, len(returns) // 2_000)
            window = min(MOVING_AVERAGE, len(returns))
            average = np.convolve(returns, np.ones(window) / window, mode="valid")
            series["episode return"] = (frames[::every], returns[::every])
            series[f"moving average of {window}"] = (frames[window - 1 :: every], average[::every])
        end = float(frames[-1]) if len(returns) else float(self.frames)
        series["random policy"] = (np.array([0.0, max(end, 1.0)]), np.full(2, self.random_return))
        return Curves(
            "Return of each training episode (ε-greedy)", series, y_label="return", x_label="frames"
        )

    def _replay_strip(self) -> Frame:
        """Transitions spread evenly over the replay buffer: s above, s′ below."""
        size, render = self.replay.size, self.envs.render
        if size == 0:
            blank = np.zeros((*render(self.obs[0]).shape[:2], 3), dtype=np.float32)
            return Frame("Replay buffer (empty until the first frames are played)", blank)
        index = torch.as_tensor(
            np.linspace(0, size - 1, min(REPLAY_STRIP, size)).round().astype(int), device=self.device
        )
        batch = self.replay.get(index)
        pictures = np.stack([render(o) for o in (*batch.obs, *batch.next_obs)])
        columns = len(batch.obs)
        strip = np.stack([tile(pictures[..., c], columns=columns, fill=0.3) for c in range(3)], axis=-1)
        actions = ", ".join(self.action_names[a] for a in batch.action.tolist())
        rewards = ", ".join(f"{r:g}" for r in batch.reward.tolist())
        return Frame(
            f"Replay buffer: {columns} of its {size:,} transitions (s above, s′ below)",
            strip,
            caption=f"a: {actions} · r: {rewards}",
        )

    def _human_frame(self) -> Frame:
        human, keys = self.human, self.human.game.key_actions
        caption = (
            f"your score {human.score:g} · best {max(human.scores, default=0.0):g} in "
            f"{len(human.scores)} games · random play averages {self.random_return:.2f}"
        )
        names = " ".join(f"{key}={self.action_names[a]}" for key, a in keys.items())
        return Frame(
            f"Play it yourself ({names})",
            self.envs.render(human.obs[0]),
            caption=caption,
            play_command="play",
            key_actions=dict(keys),
            idle_action=0,
            tick_ms=150,
        )

    # -- probes and live changes ------------------------------------------------------------------
    def probe(self, command: str, **kwargs: Any) -> dict[str, Payload]:
        if command == "play":
            self.human.press(int(kwargs.get("action", 0)))
            return {"you": self._human_frame()}
        return super().probe(command, **kwargs)

    def on_live_change(self, name: str, value: Any) -> None:
        if name == "learning_rate":
            for group in self.optimizer.param_groups:
                group["lr"] = value

    # -- checkpoints ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Networks, optimiser, counters (ε follows the frames), the games' states and the episode
        record; the replay buffer only when it is small (a resumed run refills a large one)."""
        state = {
            "game": self.config.game,
            "obs_shape": list(self.obs_shape),
            "online": self.online.state_dict(),
            "target": self.target.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "frames": self.frames,
            "updates": self.updates,
            "generator": self.generator.get_state(),
            "games": self.envs.state_dict(),
            "obs": self.obs,
            **self.watched.state_dict("watch"),
            **self.human.state_dict("human"),
            **self.episodes.state_dict(),
        }
        if self.replay.nbytes <= REPLAY_KEPT_BYTES:
            state["replay"] = self.replay.state_dict()
        return cpu_copy(state)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        saved = (state.get("game"), tuple(state.get("obs_shape", ())))
        if saved != (self.config.game, self.obs_shape):
            raise ValueError(
                f"this agent was trained on {saved[0]} with observations {saved[1]}; "
                f"this run plays {self.config.game} with {self.obs_shape}"
            )
        if state["obs"].shape[0] != self.config.num_envs:
            raise ValueError(
                f"this agent was saved with {state['obs'].shape[0]} games side by "
                f"side; this run has num_envs={self.config.num_envs}"
            )
        self.online.load_state_dict(state["online"])
        self.target.load_state_dict(state["target"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.frames, self.updates = int(state["frames"]), int(state["updates"])
        self.generator.set_state(state["generator"])
        self.envs.load_state_dict(state["games"])
        self.obs = state["obs"].to(self.device)
        self.watched.load_state_dict(state, "watch")
        self.human.load_state_dict(state, "human")
        self.episodes.load_state_dict(state)
        if "replay" in state:
            self.replay.load_state_dict(state["replay"])
