"""ACE-Step 1.5 in PyTorch: the modules of the official checkpoints, loaded from the files unchanged.

The same files and public names as ``core/mlx_model`` (tests/unit/test_backend_mirror.py checks
it): ``blocks``, ``condition``, ``dit``, ``fsq``, ``model``, ``qwen3``, ``vae``, ``loading``,
``lora`` and ``backend``. torch is imported by these modules, never by the app's GUI process.
"""
