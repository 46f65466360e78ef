"""Freeway on a 10x10 board, batched: MinAtar's rules (Young & Tian, 2019) as tensor operations.

The rules, as in MinAtar's `freeway.py`:

- A chicken in column 4 starts on the bottom row (row 9) and crosses eight lanes of traffic
  (rows 1-8) to reach the top. Actions: 0 noop, 1 up, 2 down; the chicken can move only once every
  3 steps (a move timer), so pressing up on every step does not make it faster.
- Reaching row 0 gives +1, sends the chicken back to the bottom and draws new car speeds.
- One car per lane, each with a direction (left or right) and a speed class 1..5 drawn at random;
  a car of class k moves one cell every k + 1 steps (MinAtar's countdown), and wraps around at the
  edges. A car that meets
  the chicken (before or after the car's move) sends it back to the bottom row, with no penalty.
- The episode ends after 2,500 steps (MinAtar's time limit, reached on the 2,501st step).
- Channels: chicken, car, and five trail channels speed1..speed5 marking the cell behind each car:
  where the trail is tells the direction, which channel it is in tells the speed.
"""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar

import torch

from unsuplab.rl.games.base import GRID, VecGame

NOOP, UP, DOWN = 0, 1, 2
LANES = 8  # car lanes on rows 1..8
CHICKEN_COLUMN = 4
BOTTOM = GRID - 1
MOVE_EVERY = 3  # MinAtar's player_speed
TIME_LIMIT = 2500
SLOWEST = 5  # speed classes 1..5: a car of class k moves once every k + 1 steps


def wrap(x: torch.Tensor) -> torch.Tensor:
    """Columns -1 and 10 wrap around to 9 and 0 (a comparison is much cheaper than `% 10`)."""
    return x + GRID * ((x < 0).long() - (x >= GRID).long())


class Freeway(VecGame):
    name = "freeway"
    title = "Freeway"
    channels = ("chicken", "car", "speed1", "speed2", "speed3", "speed4", "speed5")
    # Trails from warm (fast) to cool (slow), dim enough that the cars stand out.
    colours = (
        (1.0, 0.9, 0.2),
        (0.9, 0.2, 0.25),
        (0.75, 0.35, 0.3),
        (0.6, 0.35, 0.45),
        (0.45, 0.35, 0.55),
        (0.35, 0.35, 0.6),
        (0.25, 0.3, 0.55),
    )
    action_names = ("noop", "up", "down")
    key_actions: ClassVar[dict[str, int]] = {"Up": UP, "Down": DOWN}
    state_names = ("chicken", "move_timer", "time_left", "car_x", "car_velocity", "car_wait")

    def _random_velocities(self, n: int) -> torch.Tensor:
        """(n, LANES) signed speeds: the sign is the direction, the size 1..5 the slowness."""
        draw = torch.randint(0, 2 * SLOWEST, (n, LANES), device=self.device, generator=self.generator)
        # 0..4 -> right at speed 1..5, 5..9 -> left at speed 1..5 (no integer division: it is slow)
        return torch.where(draw < SLOWEST, draw + 1, SLOWEST - 1 - draw)

    def _fresh_state(self, n: int) -> dict[str, torch.Tensor]:
        device = self.device
        velocity = self._random_velocities(n)
        return {
            "chicken": torch.full((n,), BOTTOM, dtype=torch.int64, device=device),
            "move_timer": torch.full((n,), MOVE_EVERY, dtype=torch.int64, device=device),
            "time_left": torch.full((n,), TIME_LIMIT, dtype=torch.int64, device=device),
            "car_x": torch.zeros(n, LANES, dtype=torch.int64, device=device),
            "car_velocity": velocity,
            "car_wait": velocity.abs(),
        }

    def _advance(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        can_move = self.move_timer == 0
        up, down = can_move & (actions == UP), can_move & (actions == DOWN)
        self.move_timer = torch.where(up | down, MOVE_EVERY, self.move_timer)
        chicken = (self.chicken - up.long() + down.long()).clamp(0, BOTTOM)

        crossed = chicken == 0
        reward = crossed.float()
        new_velocity = self._random_velocities(self.num_envs)
        self.car_velocity = torch.where(crossed.unsqueeze(1), new_velocity, self.car_velocity)
        self.car_wait = torch.where(crossed.unsqueeze(1), new_velocity.abs(), self.car_wait)
        chicken = torch.where(crossed, BOTTOM, chicken)

        # Only the car in the chicken's lane can hit it; the lane of car i is row i + 1.
        in_my_lane = self._lane_rows == chicken.unsqueeze(1)
        hit_before = in_my_lane & (self.car_x == CHICKEN_COLUMN)
        moves = self.car_wait == 0
        self.car_wait = torch.where(moves, self.car_velocity.abs(), self.car_wait - 1)
        self.car_x = torch.where(moves, wrap(self.car_x + self.car_velocity.sign()), self.car_x)
        hit_after = in_my_lane & moves & (self.car_x == CHICKEN_COLUMN)
        hit = (hit_before | hit_after).any(dim=1)
        self.chicken = torch.where(hit, BOTTOM, chicken)

        self.move_timer = self.move_timer - (self.move_timer > 0).long()
        self.time_left = self.time_left - 1
        return reward, self.time_left < 0

    @cached_property
    def _lane_rows(self) -> torch.Tensor:
        return torch.arange(1, LANES + 1, device=self.device)

    def _observe(self) -> torch.Tensor:
        cells = GRID * GRID
        row_start = self._lane_rows * GRID
        behind = wrap(self.car_x - self.car_velocity.sign())
        trail_channel = 1 + self.car_velocity.abs()  # speed1 is channel 2
        objects = torch.cat(
            (
                (0 * cells + self.chicken * GRID + CHICKEN_COLUMN).unsqueeze(1),
                1 * cells + row_start + self.car_x,
                trail_channel * cells + row_start + behind,
            ),
            dim=1,
        )
        obs = self._blank_obs()
        obs.scatter_(1, objects, 1.0)
        return obs.view(self.num_envs, len(self.channels), GRID, GRID)
