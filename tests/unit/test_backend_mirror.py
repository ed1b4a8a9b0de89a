"""core/torch_model and core/mlx_model mirror each other file for file, and the model modules
(vae, dit, model, blocks) define the same public classes and functions, so a fix or a reading
of upstream on one side has an obvious place on the other. Read with ast: no framework import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "mixgrv_app" / "core"
TORCH, MLX = CORE / "torch_model", CORE / "mlx_model"
MIRRORED = ("vae", "dit", "model", "blocks")


def _public_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in tree.body
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and not node.name.startswith("_")}


def test_same_module_files():
    assert sorted(p.name for p in TORCH.glob("*.py")) == sorted(p.name for p in MLX.glob("*.py"))
    for name in ("__init__.py", "loading.py", "lora.py", *(f"{m}.py" for m in MIRRORED)):
        assert (TORCH / name).is_file(), name


@pytest.mark.parametrize("module", MIRRORED)
def test_same_public_names(module):
    torch_names, mlx_names = _public_names(TORCH / f"{module}.py"), _public_names(MLX / f"{module}.py")
    assert torch_names == mlx_names, {"torch only": sorted(torch_names - mlx_names), "mlx only": sorted(mlx_names - torch_names)}


def test_same_loader_functions():
    assert _public_names(TORCH / "loading.py") == _public_names(MLX / "loading.py")
