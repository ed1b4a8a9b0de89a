"""Benchmark: the 5 Hz LM's codes phase (CFG, batch 2) — ours vs transformers ``generate``.

What it does, in one run:

1. writes a *scaled* 5 Hz LM in the official folder layout: ``config.json`` (Qwen3), bf16
   ``model.safetensors`` with keys without the ``model.`` prefix (tied head), the set's chat
   template, and a ``tokenizer.json`` with the **real vocabulary size 217,204**: the parity
   tokenizer's byte-level BPE padded with filler tokens to Qwen's 151,643 base tokens, the chat
   specials, and ``<|audio_code_0…65534|>`` at ids 151,669–217,203 as in the real LM. The
   transformer is scaled (default hidden 512, 4 layers; ``--full`` = the real 0.6B shape) and
   said so in the output;
2. runs the codes phase of a plan — cond + uncond rows (CFG 2.0), 300 codes (EOS blocked until
   then, as for a 60 s song), temperature 0.85, top-p 0.9 — through our engine
   (``core/lm/engine.py`` + ``torch_runtime``) and through ``transformers`` ``generate`` on the
   same weights with an equivalent CFG logits processor (both rows in one batch, ``uncond +
   s·(cond − uncond)``) and the same code mask, each in its own child process, alternating,
   best of ``--repeats``;
3. prints tokens/s, the time ratio ours/transformers (goal ≤ 0.8) and the peak memory ratio
   (goal ≤ 1.0; CUDA: peak allocated, CPU: peak RSS growth over the loaded model), the MLX
   tokens/s when MLX imports, one row (no CFG) ours vs mlx-lm's ``generate_step`` with its own
   Qwen3 and cache on the same weights when mlx-lm imports (not a project dependency: e.g.
   ``pip install --no-deps --target /tmp/mlxlm mlx-lm`` and ``PYTHONPATH=/tmp/mlxlm``), and the
   cost of one constrained-decoder step (goal < 0.2 ms);
4. times the codes rows' prefill fresh and resumed from the CoT run's kept cache (the prefix
   reuse of ``core/lm/prefix.py``), with how many slots were copied.

Usage: ``.venv/bin/python bench/lm.py [--hidden 512 --layers 4 | --full] [--device cpu|cuda] [--repeats 2]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PARITY = Path(os.environ.get("MIXGRV_PARITY_DIR", REPO.parent / "shared" / "parity" / "v1"))
TINY_LM = PARITY / "checkpoints" / "acestep-5Hz-lm-0.6B"
VOCAB = 217204
BASE = 151643              # Qwen's byte-level BPE tokens
CODES_START = 151669       # <|audio_code_0|>
N_CODES = 65535
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]
CAPTION = "Energetic funk pop with slap bass, tight disco drums, brass stabs and a soulful male vocal"
LYRICS = "[verse]\nStreetlights flicker on the boulevard\nEvery heartbeat sounds like a drum machine\n[chorus]\nTurn it up"
COT = "<think>\nbpm: 112\ncaption: Energetic funk pop with slap bass\nduration: 60\nkeyscale: E minor\nlanguage: en\ntimesignature: 4\n</think>"
CODES = 300


# ---- the scaled LM folder --------------------------------------------------------------------------
def write_tokenizer(folder: Path) -> None:
    data = json.loads((TINY_LM / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = data["model"]["vocab"]
    base = {tok: i for tok, i in vocab.items() if i < 640}
    i = len(base)
    while len(base) < BASE:
        base[f"filler{i}"] = len(base)
        i += 1
    data["model"]["vocab"] = base
    added = []
    next_id = BASE
    for tok in SPECIALS + [f"<|reserved_{k}|>" for k in range(CODES_START - BASE - len(SPECIALS))]:
        added.append({"id": next_id, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
                      "normalized": False, "special": tok not in ("<think>", "</think>")})
        next_id += 1
    for k in range(N_CODES):
        added.append({"id": CODES_START + k, "content": f"<|audio_code_{k}|>", "single_word": False, "lstrip": False,
                      "rstrip": False, "normalized": False, "special": True})
    data["added_tokens"] = added
    (folder / "tokenizer.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (folder / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
                                                              "tokenizer_class": "Qwen2Tokenizer"}), encoding="utf-8")
    (folder / "chat_template.jinja").write_text((TINY_LM / "chat_template.jinja").read_text(encoding="utf-8"), encoding="utf-8")


def write_lm(folder: Path, hidden: int, layers: int, heads: int, kv_heads: int, head_dim: int, intermediate: int) -> dict:
    import torch
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    config = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "vocab_size": VOCAB, "hidden_size": hidden,
              "intermediate_size": intermediate, "num_hidden_layers": layers, "num_attention_heads": heads,
              "num_key_value_heads": kv_heads, "head_dim": head_dim, "hidden_act": "silu", "rms_norm_eps": 1e-6,
              "rope_theta": 1000000, "max_position_embeddings": 40960, "tie_word_embeddings": True,
              "attention_bias": False, "attention_dropout": 0.0, "bos_token_id": BASE, "eos_token_id": BASE + 2,
              "pad_token_id": BASE, "torch_dtype": "bfloat16", "use_cache": True, "sliding_window": None,
              "use_sliding_window": False, "max_window_layers": layers, "rope_scaling": None}
    (folder / "config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    g = torch.Generator().manual_seed(0)

    def w(*shape):
        return (torch.randn(*shape, generator=g) / shape[-1] ** 0.5).to(torch.bfloat16)

    state = {"embed_tokens.weight": (torch.randn(VOCAB, hidden, generator=g)).to(torch.bfloat16),
             "norm.weight": torch.ones(hidden, dtype=torch.bfloat16)}
    for n in range(layers):
        p = f"layers.{n}."
        state.update({p + "input_layernorm.weight": torch.ones(hidden, dtype=torch.bfloat16),
                      p + "post_attention_layernorm.weight": torch.ones(hidden, dtype=torch.bfloat16),
                      p + "self_attn.q_proj.weight": w(heads * head_dim, hidden),
                      p + "self_attn.k_proj.weight": w(kv_heads * head_dim, hidden),
                      p + "self_attn.v_proj.weight": w(kv_heads * head_dim, hidden),
                      p + "self_attn.o_proj.weight": w(hidden, heads * head_dim),
                      p + "self_attn.q_norm.weight": torch.ones(head_dim, dtype=torch.bfloat16),
                      p + "self_attn.k_norm.weight": torch.ones(head_dim, dtype=torch.bfloat16),
                      p + "mlp.gate_proj.weight": w(intermediate, hidden),
                      p + "mlp.up_proj.weight": w(intermediate, hidden),
                      p + "mlp.down_proj.weight": w(hidden, intermediate)})
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    write_tokenizer(folder)
    return config


# ---- one side, in a child process ------------------------------------------------------------------
def _prompts(folder: Path):
    from mixgrv_app.core.lm.prompts import ChatTemplate, PromptBuilder
    from mixgrv_app.core.lm.vocab import LMVocab

    vocab = LMVocab(folder)
    builder = PromptBuilder(ChatTemplate(folder))
    cond = vocab.encode(builder.codes(CAPTION, LYRICS, COT))
    uncond = vocab.encode(builder.codes(CAPTION, LYRICS, COT, negative=True))
    return vocab, cond, uncond


def _rss_kb() -> int:
    import psutil

    return psutil.Process().memory_info().rss // 1024


def _peak(device: str, baseline_kb: int) -> float:
    """MB: CUDA peak allocated, or peak RSS growth over the process after imports (weights included)."""
    if device == "cuda":
        import torch

        return torch.cuda.max_memory_allocated() / 1e6
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - baseline_kb) / 1e3


def run_ours(folder: Path, device: str, dtype: str) -> dict:
    import torch

    from mixgrv_app.core.torch_model import loading as checkpoints
    from mixgrv_app.core.lm import engine
    from mixgrv_app.core.lm.fsm import DecoderTables
    from mixgrv_app.core.lm.sampler import SamplingParams, UniformStream
    from mixgrv_app.core.lm.torch_runtime import TorchLMRuntime

    vocab, cond, uncond = _prompts(folder)
    tables = DecoderTables(vocab)
    _ = tables.codes_or_eos, tables.codes_only, tables.eos_only
    baseline = _rss_kb()
    model = checkpoints.load_lm(folder, device=device, dtype=dtype)
    runtime = TorchLMRuntime(model)
    params = SamplingParams(temperature=0.85, top_p=0.9)

    def once(seed):
        session = tables.session("codes", target_duration=CODES / 5, prompt_ids=cond)
        t0 = time.perf_counter()
        gen = engine.generate(runtime, [cond, uncond], session=session, params=params, stream=UniformStream(seed),
                              max_new_tokens=CODES + 10, eos_id=vocab.eos_id, pad_id=vocab.pad_id, cfg_scale=2.0)
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0, gen

    once(0)  # warm-up (kernels, mask upload)
    seconds, gen = once(1)
    assert len(gen.tokens) == CODES + 1 and gen.tokens[-1] == vocab.eos_id
    return {"seconds": seconds, "tokens": len(gen.tokens), "peak_mb": _peak(device, baseline)}


def prefix_reuse(folder: Path, device: str, dtype: str) -> dict:
    """The codes rows' prefill, fresh vs resumed from the CoT run's kept cache (``core/lm/prefix.py``)."""
    import torch

    from mixgrv_app.core.lm.prompts import ChatTemplate, PromptBuilder
    from mixgrv_app.core.lm.torch_runtime import TorchLMRuntime
    from mixgrv_app.core.torch_model import loading as checkpoints

    vocab, cond, uncond = _prompts(folder)
    cot_prompt = vocab.encode(PromptBuilder(ChatTemplate(folder)).cot(CAPTION, LYRICS))
    written = vocab.encode(COT)
    runtime = TorchLMRuntime(checkpoints.load_lm(folder, device=device, dtype=dtype))

    def prefill(kept: bool) -> float:
        if kept:  # what the CoT phase leaves: its prompt and what it wrote
            runtime.start([cot_prompt], vocab.pad_id, len(cot_prompt) + len(written) + 1)
            for token in written:
                runtime.feed(token)
            runtime.release(keep=True)
        t0 = time.perf_counter()
        runtime.start([cond, uncond], vocab.pad_id, len(cond) + CODES + 10)
        if device == "cuda":
            torch.cuda.synchronize()
        seconds = time.perf_counter() - t0
        runtime.release()
        return seconds

    fresh = min(prefill(False) for _ in range(5))
    resumed = min(prefill(True) for _ in range(5))  # each resumed start copies the same slots
    return {"fresh": fresh, "resumed": resumed, "width": max(len(cond), len(uncond)), "reused": runtime.reused_slots}


def run_transformers(folder: Path, device: str, dtype: str) -> dict:
    import numpy as np
    import torch
    from transformers import AutoModelForCausalLM, LogitsProcessor, LogitsProcessorList

    vocab, cond, uncond = _prompts(folder)
    codes = np.arange(CODES_START, CODES_START + 64000)
    baseline = _rss_kb()
    model = AutoModelForCausalLM.from_pretrained(str(folder), torch_dtype=getattr(torch, dtype)).to(device).eval()
    allowed = torch.zeros(VOCAB, dtype=torch.bool, device=device)
    allowed[torch.as_tensor(codes, device=device)] = True
    eos = vocab.eos_id

    class CodesCFG(LogitsProcessor):
        """Row 0 = cond, row 1 = uncond: both rows get uncond + s·(cond − uncond), then the code mask
        with EOS blocked until CODES codes exist (the rows then sample the same distribution)."""

        def __init__(self, start: int) -> None:
            self.start = start

        def __call__(self, input_ids, scores):
            scores = scores.float()
            mixed = scores[1] + 2.0 * (scores[0] - scores[1])
            done = input_ids.shape[1] - self.start
            mask = allowed.clone()
            if done >= CODES:
                mask[:] = False
                mask[eos] = True
            mixed = mixed.masked_fill(~mask, float("-inf"))
            return mixed.unsqueeze(0).expand_as(scores).clone()

    width = max(len(cond), len(uncond))
    ids = torch.tensor([[vocab.pad_id] * (width - len(r)) + r for r in (cond, uncond)], device=device)
    attn = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in (cond, uncond)], device=device)

    def once(seed):
        torch.manual_seed(seed)
        t0 = time.perf_counter()
        out = model.generate(input_ids=ids, attention_mask=attn, max_new_tokens=CODES + 1, do_sample=True,
                             temperature=0.85, top_p=0.9, top_k=0, logits_processor=LogitsProcessorList([CodesCFG(width)]),
                             eos_token_id=eos, pad_token_id=vocab.pad_id)
        if device == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - t0, out

    once(0)
    seconds, out = once(1)
    return {"seconds": seconds, "tokens": int(out.shape[1] - width), "peak_mb": _peak(device, baseline)}


def run_mlx(folder: Path) -> dict:
    from mixgrv_app.core.lm import engine
    from mixgrv_app.core.lm.fsm import DecoderTables
    from mixgrv_app.core.lm.mlx_runtime import MLXLMRuntime
    from mixgrv_app.core.lm.sampler import SamplingParams, UniformStream
    from mixgrv_app.core.mlx_model import loading

    import mlx.core as mx

    vocab, cond, uncond = _prompts(folder)
    tables = DecoderTables(vocab)
    runtime = MLXLMRuntime(loading.load_lm(folder, dtype="bfloat16" if mx.metal.is_available() else "float32"))
    params = SamplingParams(temperature=0.85, top_p=0.9)

    def once(seed):
        session = tables.session("codes", target_duration=CODES / 5, prompt_ids=cond)
        t0 = time.perf_counter()
        gen = engine.generate(runtime, [cond, uncond], session=session, params=params, stream=UniformStream(seed),
                              max_new_tokens=CODES + 10, eos_id=vocab.eos_id, pad_id=vocab.pad_id, cfg_scale=2.0)
        return time.perf_counter() - t0, gen

    once(0)
    seconds, gen = once(1)
    out = {"seconds": seconds, "tokens": len(gen.tokens)}
    out["single"] = mlx_single_row(folder, runtime, vocab, cond, tables, params)
    return out


def mlx_single_row(folder: Path, runtime, vocab, cond, tables, params) -> dict:
    """One row (no CFG: mlx-lm's generator has no two-row guidance), the same code mask, EOS after
    CODES codes, temperature 0.85 / top-p 0.9: ours vs ``mlx_lm.generate.generate_step`` with
    mlx-lm's own Qwen3 model and KV cache on the same weights, best of two each."""
    import mlx.core as mx

    from mixgrv_app.core.lm import engine
    from mixgrv_app.core.lm.sampler import UniformStream

    def ours(seed):
        session = tables.session("codes", target_duration=CODES / 5, prompt_ids=cond)
        t0 = time.perf_counter()
        gen = engine.generate(runtime, [cond], session=session, params=params, stream=UniformStream(seed),
                              max_new_tokens=CODES + 10, eos_id=vocab.eos_id, pad_id=vocab.pad_id, cfg_scale=1.0)
        return time.perf_counter() - t0, len(gen.tokens)

    ours(0)
    result = {"ours_seconds": min(ours(s)[0] for s in (1, 2)), "tokens": CODES + 1}
    try:
        from mlx_lm.generate import generate_step
        from mlx_lm.models import qwen3
        from mlx_lm.sample_utils import make_sampler
    except ImportError:
        result["mlx_lm"] = None
        return result
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    args = qwen3.ModelArgs.from_dict({**config, "model_type": "qwen3", "tie_word_embeddings": True})
    model = qwen3.Model(args)
    weights = mx.load(str(folder / "model.safetensors"))
    dtype = mx.bfloat16 if mx.metal.is_available() else mx.float32
    model.load_weights([(k if k.startswith("model.") else f"model.{k}", v.astype(dtype)) for k, v in weights.items()])
    mx.eval(model.parameters())
    allowed = mx.zeros((VOCAB,), dtype=mx.bool_)
    allowed[CODES_START:CODES_START + 64000] = True
    only_eos = mx.zeros((VOCAB,), dtype=mx.bool_)
    only_eos[vocab.eos_id] = True
    start = len(cond)

    def code_mask(tokens, logits):
        mask = only_eos if tokens.size - start >= CODES else allowed
        return mx.where(mask, logits, -mx.inf)

    def theirs():
        sampler = make_sampler(temp=0.85, top_p=0.9)
        t0 = time.perf_counter()
        n = 0
        for token, _ in generate_step(mx.array(cond), model, max_tokens=CODES + 10, sampler=sampler,
                                      logits_processors=[code_mask]):
            n += 1
            if int(token) == vocab.eos_id:
                break
        return time.perf_counter() - t0, n

    theirs()
    runs = [theirs() for _ in range(2)]
    result["mlx_lm"] = {"seconds": min(r[0] for r in runs), "tokens": runs[0][1]}
    return result


def fsm_step_cost(folder: Path) -> dict:
    """µs per constrained-decoder step (allowed + update): a CoT walk and the codes phase."""
    import numpy as np

    from mixgrv_app.core.lm.fsm import DecoderTables, NumpyScores

    vocab, cond, _ = _prompts(folder)
    tables = DecoderTables(vocab)
    cot = vocab.encode(COT.replace("</think>", "")) + [vocab.eos_id]
    scores = NumpyScores(np.zeros(vocab.size, dtype=np.float32))
    for _warm in range(2):
        session = tables.session("cot", stop_at_reasoning=True, skip_genres=True)
        for tok in cot:
            session.allowed(scores)
            session.update(tok)
    session = tables.session("cot", stop_at_reasoning=True, skip_genres=True)
    t0 = time.perf_counter()
    for tok in cot:
        session.allowed(scores)
        session.update(tok)
    cot_us = (time.perf_counter() - t0) / len(cot) * 1e6
    session = tables.session("codes", target_duration=CODES / 5, prompt_ids=cond)
    t0 = time.perf_counter()
    for k in range(CODES):
        session.allowed(scores)
        session.update(CODES_START + k)
    codes_us = (time.perf_counter() - t0) / CODES * 1e6
    return {"cot_step_us": cot_us, "codes_step_us": codes_us}


def child(side: str, folder: Path, device: str, dtype: str) -> dict:
    cmd = [sys.executable, __file__, "--child", side, "--folder", str(folder), "--device", device, "--dtype", dtype]
    res = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))})
    if res.returncode != 0:
        raise SystemExit(f"{side} failed:\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--full", action="store_true", help="the real 0.6B shape (hidden 1024, 28 layers, 16/8 heads)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--dtype", default=None, help="float32 (CPU default) or bfloat16 (CUDA default)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--child")
    ap.add_argument("--folder")
    args = ap.parse_args()
    dtype = args.dtype or ("bfloat16" if args.device == "cuda" else "float32")
    if args.child:
        import torch

        if args.device == "cpu":
            torch.set_num_threads(max(1, os.cpu_count() or 1))
        fn = {"ours": run_ours, "transformers": run_transformers, "reuse": prefix_reuse}.get(args.child)
        if args.child == "mlx":
            print(json.dumps(run_mlx(Path(args.folder))))
        elif args.child == "fsm":
            print(json.dumps(fsm_step_cost(Path(args.folder))))
        else:
            print(json.dumps(fn(Path(args.folder), args.device, dtype)))
        return
    hidden, layers, heads, kv, head_dim, inter = (1024, 28, 16, 8, 128, 3072) if args.full else \
        (args.hidden, args.layers, max(2, args.hidden // 64), max(1, args.hidden // 128), 64, 3 * args.hidden)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "acestep-5Hz-lm-bench"
        write_lm(folder, hidden, layers, heads, kv, head_dim, inter)
        print(f"scaled 5 Hz LM: vocab {VOCAB}, hidden {hidden}, {layers} layers, heads {heads}/{kv} x {head_dim}, "
              f"mlp {inter}; device {args.device} {dtype}; codes phase, CFG 2.0 (batch 2), {CODES} codes")
        runs = {"ours": [], "transformers": []}
        for _ in range(args.repeats):
            for side in ("ours", "transformers"):
                runs[side].append(child(side, folder, args.device, dtype))
        best = {side: min(r, key=lambda x: x["seconds"]) for side, r in runs.items()}
        for side, r in best.items():
            print(f"{side:>12}: {r['seconds']:.2f} s, {r['tokens'] / r['seconds']:.1f} tokens/s, peak {r['peak_mb']:.0f} MB")
        print(f"ratio ours/transformers: time {best['ours']['seconds'] / best['transformers']['seconds']:.2f} (goal <= 0.8), "
              f"peak memory {best['ours']['peak_mb'] / max(best['transformers']['peak_mb'], 1e-9):.2f} (goal <= 1.0)")
        r = child("reuse", folder, args.device, dtype)
        print(f"codes-row prefill: fresh {r['fresh'] * 1e3:.1f} ms, resumed after the CoT {r['resumed'] * 1e3:.1f} ms "
              f"({r['reused']} of 2 x {r['width']} slots copied); ratio {r['resumed'] / r['fresh']:.2f}")
        try:
            m = child("mlx", folder, "cpu", dtype)
            print(f"         mlx: {m['seconds']:.2f} s, {m['tokens'] / m['seconds']:.1f} tokens/s (CFG, batch 2)")
            one = m["single"]
            if one["mlx_lm"] is None:
                print(f"  mlx 1 row: ours {one['ours_seconds']:.2f} s; mlx-lm not installed here (no comparison)")
            else:
                theirs = one["mlx_lm"]
                print(f"  mlx 1 row: ours {one['ours_seconds']:.2f} s, mlx-lm {theirs['seconds']:.2f} s "
                      f"({theirs['tokens']} tokens); ratio ours/mlx-lm {one['ours_seconds'] / theirs['seconds']:.2f} (goal <= 1.0)")
        except SystemExit as exc:
            print(f"         mlx: not measured ({str(exc).splitlines()[0]})")
        f = child("fsm", folder, "cpu", dtype)
        print(f"constrained decoder step: CoT {f['cot_step_us']:.1f} us, codes {f['codes_step_us']:.1f} us (goal < 200 us)")


if __name__ == "__main__":
    main()
