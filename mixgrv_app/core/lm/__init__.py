"""The 5 Hz LM planner ("think"): prompts, constrained decoder, sampler, planning modes, parsing.

ACE-Step 1.5's optional language model plans a song before the DiT renders it: it writes a
YAML chain of thought (bpm, caption, duration, key, language, time signature) and then 5 Hz
audio codes. The same model turns a one-line idea into a song sketch, formats a caption, and
describes a song from its codes. This package is framework-neutral: the torch and MLX model
code (``torch_model/qwen3.py``, ``mlx_model/qwen3.py``) only prefill and decode; everything
that decides which token comes next lives here.

* ``vocab``   — the LM folder's tokenizer (``tokenizers``) and per-token texts.
* ``prompts`` — chat prompts rendered from the folder's own chat template (Jinja2, as
  transformers renders it) and the CoT YAML.
* ``fsm``     — the constrained decoder (upstream's metadata FSM) with masks precomputed.
* ``sampler`` — CFG, repetition penalty, top-k, top-p, temperature and the seeded pick.
* ``engine``  — the decode loop over a backend runtime.
* ``planner`` — plan / create_sample / format / understand with upstream's phase rules.
* ``parse``   — reading the LM's output text.
"""
