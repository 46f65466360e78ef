"""Reinforcement learning: batched Atari-style games and real Atari behind one `Game` interface
(`games`, `atari`), their pictures (`render`), DQN's parts (`dqn`), the games played beside
training (`play`) and the record of finished episodes (`episodes`)."""
