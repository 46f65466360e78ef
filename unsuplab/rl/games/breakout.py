"""Breakout on a 10x10 board, batched: MinAtar's rules (Young & Tian, 2019) as tensor operations.

The rules, as in MinAtar's `breakout.py`:

- The paddle sits on the bottom row (row 9) and moves one cell left or right per step, stopping at
  the walls. Actions: 0 noop, 1 left, 2 right.
- Three rows of bricks fill rows 1-3. The ball starts at row 3 in the left or right corner (chosen
  at random), heading down and away from its wall, and moves one cell diagonally per step.
- It bounces off the side walls (the horizontal direction flips) and the ceiling (the vertical
  direction flips). Moving into a brick breaks it for +1, the ball stays on its row and heads
  back. A ball that broke a brick on the last step passes over the next brick it meets instead
  (MinAtar's `strike` flag), which lets it dig through a wall now and then.
- On the bottom row: if the paddle is under the column the ball comes from, the ball bounces up
  like off a mirror (still heading the same way sideways); if the paddle is where the ball lands,
  it is sent back along the diagonal it came on; if neither, the ball is lost and the episode
  ends. When the ball reaches the bottom row with every brick gone, three fresh rows appear.
- Channels: paddle, ball, trail (where the ball was one step ago, so a single frame shows which
  way it moves), brick.
"""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar

import torch

from unsuplab.rl.games.base import GRID, VecGame

NOOP, LEFT, RIGHT = 0, 1, 2
BRICK_TOP, BRICK_ROWS = 1, 3  # bricks live on rows 1, 2, 3
START_ROW = 3
BOTTOM = GRID - 1
PADDLE_START = 4
ALL_BRICKS = (1 << (BRICK_ROWS * GRID)) - 1


class Breakout(VecGame):
    name = "breakout"
    title = "Breakout"
    channels = ("paddle", "ball", "trail", "brick")
    colours = ((0.35, 0.75, 1.0), (1.0, 1.0, 1.0), (0.45, 0.45, 0.55), (1.0, 0.45, 0.2))
    action_names = ("noop", "left", "right")
    key_actions: ClassVar[dict[str, int]] = {"Left": LEFT, "Right": RIGHT}
    state_names = ("paddle", "ball_x", "ball_y", "ball_dx", "ball_dy", "last_x", "last_y", "bricks", "strike")

    def _fresh_state(self, n: int) -> dict[str, torch.Tensor]:
        device = self.device
        from_right = torch.randint(0, 2, (n,), device=device, generator=self.generator)
        ball_x = from_right * (GRID - 1)  # the left corner or the right one ...
        ball_y = torch.full((n,), START_ROW, dtype=torch.int64, device=device)
        return {
            "paddle": torch.full((n,), PADDLE_START, dtype=torch.int64, device=device),
            "ball_x": ball_x,
            "ball_y": ball_y,
            "ball_dx": 1 - 2 * from_right,  # ... heading away from that wall
            "ball_dy": torch.ones(n, dtype=torch.int64, device=device),  # and down
            "last_x": ball_x.clone(),  # no aliasing: a caller may edit one state tensor in place
            "last_y": ball_y.clone(),
            "bricks": torch.full((n,), ALL_BRICKS, dtype=torch.int64, device=device),
            "strike": torch.zeros(n, dtype=torch.bool, device=device),
        }

    def _advance(self, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.paddle = (self.paddle + (actions == RIGHT).long() - (actions == LEFT).long()).clamp_(0, GRID - 1)

        self.last_x, self.last_y = self.ball_x, self.ball_y
        x, y = self.ball_x + self.ball_dx, self.ball_y + self.ball_dy
        dx, dy = self.ball_dx, self.ball_dy

        hit_wall = (x < 0) | (x > GRID - 1)
        x = x.clamp(0, GRID - 1)
        dx = torch.where(hit_wall, -dx, dx)
        hit_ceiling = y < 0
        y = y.clamp(min=0)

        # The brick wall is one 30-bit number per game (bit (row - 1) * 10 + column), so reading,
        # breaking and "all gone?" are single integer operations on (B,) tensors.
        in_brick_rows = (y >= BRICK_TOP) & (y < BRICK_TOP + BRICK_ROWS)
        bit = (y - BRICK_TOP).clamp(0, BRICK_ROWS - 1) * GRID + x
        meets_brick = in_brick_rows & ((self.bricks >> bit) & 1).bool()
        breaks = meets_brick & ~self.strike
        bricks = self.bricks & ~(breaks.long() << bit)
        self.strike = meets_brick
        reward = breaks.float()

        at_bottom = y == BOTTOM
        self.bricks = torch.where(at_bottom & (bricks == 0), ALL_BRICKS, bricks)
        straight_on_paddle = at_bottom & (self.last_x == self.paddle)
        corner_of_paddle = at_bottom & ~straight_on_paddle & (x == self.paddle)
        missed = at_bottom & ~straight_on_paddle & ~corner_of_paddle

        bounce_back_up = breaks | straight_on_paddle | corner_of_paddle
        self.ball_dy = torch.where(hit_ceiling | bounce_back_up, -dy, dy)
        self.ball_dx = torch.where(corner_of_paddle, -dx, dx)
        self.ball_x = x
        self.ball_y = torch.where(bounce_back_up, self.last_y, y)
        return reward, missed

    def _observe(self) -> torch.Tensor:
        obs = self._blank_obs()
        cells = GRID * GRID
        objects = torch.stack(
            (
                0 * cells + BOTTOM * GRID + self.paddle,
                1 * cells + self.ball_y * GRID + self.ball_x,
                2 * cells + self.last_y * GRID + self.last_x,
            ),
            dim=1,
        )
        obs.scatter_(1, objects, 1.0)
        obs = obs.view(self.num_envs, len(self.channels), GRID, GRID)
        obs[:, 3, BRICK_TOP : BRICK_TOP + BRICK_ROWS] = self.brick_map()
        return obs

    def brick_map(self) -> torch.Tensor:
        """(B, 3, 10) bool: the bricks on rows 1-3, unpacked from their bits."""
        return ((self.bricks.unsqueeze(1) >> self._bit_numbers) & 1).bool().view(-1, BRICK_ROWS, GRID)

    @cached_property
    def _bit_numbers(self) -> torch.Tensor:
        return torch.arange(BRICK_ROWS * GRID, device=self.device)
