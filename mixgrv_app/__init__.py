"""mixgrv: train LoRA adapters for ACE-Step 1.5 on a Mac and make music with them.

Package map (see README.md and the design notes in module docstrings):
  core/      models, pipeline, datasets, training — no Qt
  workers/   QThread bridges that run core jobs and forward their events as Qt signals
  ui/        widgets only — no torch, mlx or peft
"""

__version__ = "0.1.0"
