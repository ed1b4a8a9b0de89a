"""ACE-Step 1.5 in MLX: the same files and names as ``core/torch_model``, channels-last inside.

Nothing here imports torch: weights come straight from the official safetensors files
(``mx.load``), ``silence_latent.pt`` through ``core/pt_reader.py``.
"""
