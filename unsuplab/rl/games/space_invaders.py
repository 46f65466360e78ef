"""Space Invaders on a 10x10 board, batched: MinAtar's rules (Young & Tian, 2019) as tensor operations.

The rules, as in MinAtar's `space_invaders.py` (with its difficulty ramping on):

- A cannon on the bottom row moves left or right, or fires a bullet straight up instead of moving
  (at most once every 5 steps). Actions: 0 noop, 1 left, 2 right, 3 fire. Bullets move one cell a
  step: the cannon's up, the aliens' down.
- A block of 4 x 6 aliens (rows 0-3, columns 2-7) marches sideways, one cell every 12 steps at
  first; when the block touches a wall it steps down a row and turns around. With fewer aliens
  left the march speeds up (a move every min(aliens left, interval) steps: the last alien moves
  every step). Every 10 steps the lowest alien in the column nearest the cannon fires.
- A bullet that meets an alien removes both for +1. When a wave is cleared a new one appears,
  and (ramping) it marches one step faster than the last, down to a move every 6 steps.
- The episode ends when an enemy bullet or an alien reaches the cannon, or when the block would
  step down from the bottom row.
- Channels: cannon, alien, alien_left and alien_right (the alien map again in the channel of the
  block's marching direction), friendly_bullet, enemy_bullet.
- The game has no randomness: with no sticky actions, the same actions give the same episode.
"""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar

import torch

from unsuplab.rl.games.base import GRID, VecGame

NOOP, LEFT, RIGHT, FIRE = 0, 1, 2, 3
CANNON_START = 5
SHOT_COOL_DOWN = 5
ALIEN_MOVE_INTERVAL = 12  # steps between marches of a fresh first wave
FASTEST_INTERVAL = 6  # ramping stops here
ALIEN_SHOT_INTERVAL = 10
BOTTOM = GRID - 1


def _shift_rows(maps: torch.Tensor, by: int) -> torch.Tensor:
    """Move (B, 10, 10) maps `by` rows down (up when negative); what leaves the board is lost."""
    shifted = torch.zeros_like(maps)
    if by > 0:
        shifted[:, by:] = maps[:, :-by]
    else:
        shifted[:, :by] = maps[:, -by:]
    return shifted


class SpaceInvaders(VecGame):
    name = "space_invaders"
    title = "Space Invaders"
    channels = ("cannon", "alien", "alien_left", "alien_right", "friendly_bullet", "enemy_bullet")
    colours = (
        (0.35, 0.75, 1.0),
        (0.4, 1.0, 0.4),
        (0.4, 1.0, 0.4),
        (0.4, 1.0, 0.4),
        (1.0, 1.0, 1.0),
        (1.0, 0.3, 0.3),
    )
    action_names = ("noop", "left", "right", "fire")
    key_actions: ClassVar[dict[str, int]] = {"Left": LEFT, "Right": RIGHT, "Space": FIRE, "Up": FIRE}
    state_names = (
        "cannon",
        "aliens",
        "alien_dir",
        "friendly_bullets",
        "enemy_bullets",
        "shot_timer",
        "alien_move_timer",
        "alien_shot_timer",
        "move_interval",
    )

    @cached_property
    def _wave(self) -> torch.Tensor:
        """(10, 10) bool: where a fresh wave of aliens stands."""
        wave = torch.zeros(GRID, GRID, dtype=torch.bool, device=self.device)
        wave[0:4, 2:8] = True
        return wave

    @cached_property
    def _empty(self) -> torch.Tensor:
        return torch.zeros(GRID, GRID, dtype=torch.bool, device=self.device)

    @cached_property
    def _columns(self) -> torch.Tensor:
        return torch.arange(GRID, device=self.device)

    def _fresh_state(self, n: int) -> dict[str, torch.Tensor]:
        def constant(value: int) -> torch.Tensor:
            return torch.full((n,), value, dtype=torch.int64, device=self.device)

        return {
            "cannon": constant(CANNON_START),
            "aliens": self._wave.expand(n, GRID, GRID),
            "alien_dir": constant(-1),
            "friendly_bullets": self._empty.expand(n, GRID, GRID),
            "enemy_bullets": self._empty.expand(n, GRID, GRID),
            "shot_timer": constant(0),
            "alien_move_timer": constant(ALIEN_MOVE_INTERVAL),
            "alien_shot_timer": constant(ALIEN_SHOT_INTERVAL),
            "move_interval": constant(ALIEN_MOVE_INTERVAL),
        }

    def _under_cannon(self, maps: torch.Tensor) -> torch.Tensor:
        """(B,) bool: is something on the bottom row in the cannon's column."""
        return maps[:, BOTTOM].gather(1, self.cannon.unsqueeze(1)).squeeze(1)

    def _advance(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch = self.num_envs
        fire = (actions == FIRE) & (self.shot_timer == 0)
        self.shot_timer = torch.where(fire, SHOT_COOL_DOWN, self.shot_timer)
        self.cannon = (self.cannon + (actions == RIGHT).long() - (actions == LEFT).long()).clamp_(0, GRID - 1)

        new_bullet = torch.zeros(batch, GRID, dtype=torch.bool, device=self.device)
        new_bullet.scatter_(1, self.cannon.unsqueeze(1), fire.unsqueeze(1))
        friendly = self.friendly_bullets.clone()
        friendly[:, BOTTOM] |= new_bullet
        friendly = _shift_rows(friendly, -1)
        self.enemy_bullets = _shift_rows(self.enemy_bullets, 1)
        shot_down = self._under_cannon(self.enemy_bullets)
        reached_before = self._under_cannon(self.aliens)

        # The march: sideways, or one row down and about turn at a wall.
        aliens = self.aliens
        march = self.alien_move_timer == 0
        left_alive = torch.count_nonzero(aliens.view(batch, -1), dim=1)
        self.alien_move_timer = torch.where(
            march, torch.minimum(left_alive, self.move_interval), self.alien_move_timer
        )
        at_wall = (aliens[:, :, 0].any(dim=1) & (self.alien_dir < 0)) | (
            aliens[:, :, GRID - 1].any(dim=1) & (self.alien_dir > 0)
        )
        turn = march & at_wall
        landed = turn & aliens[:, BOTTOM].any(dim=1)
        sideways = torch.where(
            (self.alien_dir < 0).view(-1, 1, 1), aliens.roll(-1, dims=2), aliens.roll(1, dims=2)
        )
        aliens = torch.where(turn.view(-1, 1, 1), aliens.roll(1, dims=1), aliens)
        aliens = torch.where((march & ~turn).view(-1, 1, 1), sideways, aliens)
        self.alien_dir = torch.where(turn, -self.alien_dir, self.alien_dir)
        reached_after = march & self._under_cannon(aliens)

        # The alien that shoots: the lowest one in the occupied column nearest the cannon (ties go
        # to the left column, as in MinAtar's stable sort).
        shoot = self.alien_shot_timer == 0
        self.alien_shot_timer = torch.where(shoot, ALIEN_SHOT_INTERVAL, self.alien_shot_timer)
        occupied = aliens.any(dim=1)
        distance = (self._columns - self.cannon.unsqueeze(1)).abs() * GRID + self._columns
        column = torch.where(occupied, distance, GRID * GRID).argmin(dim=1)
        in_column = aliens.gather(2, column.view(-1, 1, 1).expand(-1, GRID, 1)).squeeze(2)
        lowest = (in_column * (self._columns + 1)).argmax(dim=1)
        shooter = torch.zeros(batch, GRID * GRID, dtype=torch.bool, device=self.device)
        shooter.scatter_(1, (lowest * GRID + column).unsqueeze(1), (shoot & occupied.any(dim=1)).unsqueeze(1))
        self.enemy_bullets = self.enemy_bullets | shooter.view(batch, GRID, GRID)

        kills = aliens & friendly
        reward = torch.count_nonzero(kills.view(batch, -1), dim=1).float()
        aliens = aliens & ~kills
        self.friendly_bullets = friendly & ~kills

        self.shot_timer = self.shot_timer - (self.shot_timer > 0).long()
        self.alien_move_timer = self.alien_move_timer - 1
        self.alien_shot_timer = self.alien_shot_timer - 1
        cleared = ~aliens.view(batch, -1).any(dim=1)
        self.move_interval = torch.where(
            cleared & (self.move_interval > FASTEST_INTERVAL), self.move_interval - 1, self.move_interval
        )
        self.aliens = aliens | (cleared.view(-1, 1, 1) & self._wave)
        return reward, shot_down | reached_before | landed | reached_after

    def _observe(self) -> torch.Tensor:
        cannon = torch.zeros(self.num_envs, GRID, GRID, dtype=torch.bool, device=self.device)
        cannon[:, BOTTOM].scatter_(1, self.cannon.unsqueeze(1), True)
        marching_left = (self.alien_dir < 0).view(-1, 1, 1)
        maps = (
            cannon,
            self.aliens,
            self.aliens & marching_left,
            self.aliens & ~marching_left,
            self.friendly_bullets,
            self.enemy_bullets,
        )
        return torch.stack(maps, dim=1).float()
