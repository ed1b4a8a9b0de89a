"""Widgets only: Qt, no torch/mlx/peft. Long work goes through mixgrv_app.workers."""
