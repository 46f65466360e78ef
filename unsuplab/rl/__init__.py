"""Reinforcement learning: batched Atari-style games (`games`), their pictures (`render`) and agent parts."""
