"""Random ACE-Step checkpoint trees in the official layout, at any size (tests and benches).

Weights cannot be downloaded in CI, so tests beyond the parity set (other dimensions, other
seeds) and the benches build their own models here: ``acestep-v15-turbo/`` (and base) with
config.json, bf16 ``model.safetensors`` and ``silence_latent.pt``; ``vae/`` with diffusers'
config and weight-norm (``weight_g``/``weight_v``) keys; ``Qwen3-Embedding-0.6B/`` with a small
byte-level BPE ``tokenizer.json`` trained here (``<|endoftext|>`` as pad and appended by the
post-processor, like the real one). Every key name comes from our own modules, which a test
checks against the official key lists, so the files are what a real download looks like.
Weights are fan-in scaled so activations stay O(1) and bugs stay visible.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mixgrv_app.core.configs import DiTConfig, Qwen3Config, VAEConfig
from mixgrv_app.core.models import TEXT_ENCODER_FOLDER, TURBO

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
_CORPUS = (
    "# Instruction\nFill the audio semantic mask based on the given conditions:\n\n# Caption\n",
    "# Metas\n- bpm: 120\n- timesignature: 4\n- keyscale: C major\n- duration: 30 seconds\n",
    "# Languages\nen\n\n# Lyric\n[verse]\n[chorus]\n[bridge]\n[Instrumental]\n",
    "dreamy lo-fi hip hop beat, soft piano, vinyl crackle, mellow synth bass, upbeat K-pop, bright drums",
    "봄바람이 불어오면 너의 이름을 불러 볼게 우리의 노래가 끝나지 않게 N/A",
)


@dataclass
class TreeSpec:
    """Sizes of a synthetic tree. Coupling rules (fsq_dim = hidden, text width) are applied."""

    hidden: int = 32
    layers: int = 2
    heads: int = 2
    kv_heads: int = 1
    head_dim: int = 16
    text_hidden: int = 16
    text_layers: int = 1
    vae_channels: int = 8
    vocab: int = 400
    seed: int = 0
    variants: tuple[str, ...] = (TURBO,)
    dit_overrides: dict[str, Any] = field(default_factory=dict)

    def dit_config(self, turbo: bool = True) -> DiTConfig:
        return DiTConfig(**{
            "hidden_size": self.hidden, "intermediate_size": 2 * self.hidden, "num_hidden_layers": self.layers,
            "num_attention_heads": self.heads, "num_key_value_heads": self.kv_heads, "head_dim": self.head_dim,
            "num_lyric_encoder_hidden_layers": min(2, self.layers), "num_timbre_encoder_hidden_layers": 1,
            "num_attention_pooler_hidden_layers": 1, "fsq_dim": self.hidden, "text_hidden_dim": self.text_hidden,
            "sliding_window": 8, "is_turbo": turbo, "model_version": "turbo" if turbo else "base",
            **self.dit_overrides,
        })


def _randomise(state: dict, generator) -> dict:
    import torch

    out = {}
    for key, value in state.items():
        if value.dim() >= 2:
            fan_in = 1 if key == "embed_tokens.weight" else value[0].numel()  # the token table: N(0, 1)
            out[key] = torch.randn(value.shape, generator=generator) / (fan_in ** 0.5)
        elif key.endswith("weight") and "norm" in key:
            out[key] = 1 + 0.1 * torch.randn(value.shape, generator=generator)
        else:
            out[key] = 0.05 * torch.randn(value.shape, generator=generator)
    return out


def _module_state(cls, config) -> dict:
    """Persistent tensors of ``cls(config)`` (built on the meta device: shapes only)."""
    import torch

    with torch.device("meta"):
        module = cls(config)
    return {k: v for k, v in module.state_dict().items()}


def write_tokenizer(folder: Path, vocab: int = 400) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(list(_CORPUS) * 4, trainer)
    eot = tokenizer.token_to_id("<|endoftext|>")
    tokenizer.post_processor = processors.TemplateProcessing(single="$A <|endoftext|>", special_tokens=[("<|endoftext|>", eot)])
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text(json.dumps({"pad_token": "<|endoftext|>", "eos_token": "<|im_end|>"}))


def write_tree(root: str | Path, spec: TreeSpec | None = None) -> Path:
    """Write a complete models folder (DiT variants, VAE, text encoder) under ``root``."""
    import torch
    from safetensors.torch import save_file

    from mixgrv_app.core.torch_model.model import AceStepModel
    from mixgrv_app.core.torch_model.qwen3 import Qwen3TextEncoder
    from mixgrv_app.core.torch_model.vae import OobleckVAE, unfold_weight_norm

    spec = spec or TreeSpec()
    root = Path(root)
    generator = torch.Generator().manual_seed(spec.seed)

    text_dir = root / TEXT_ENCODER_FOLDER
    write_tokenizer(text_dir, spec.vocab)
    from tokenizers import Tokenizer

    vocab = Tokenizer.from_file(str(text_dir / "tokenizer.json")).get_vocab_size()
    text_config = Qwen3Config(vocab_size=vocab, hidden_size=spec.text_hidden, intermediate_size=2 * spec.text_hidden,
                              num_hidden_layers=spec.text_layers, num_attention_heads=2, num_key_value_heads=1,
                              head_dim=spec.text_hidden // 2, architectures=["Qwen3Model"])
    text_state = _randomise(_module_state(Qwen3TextEncoder, text_config), generator)
    save_file({k: v.to(torch.bfloat16).contiguous() for k, v in text_state.items()}, str(text_dir / "model.safetensors"))
    (text_dir / "config.json").write_text(json.dumps({**asdict(text_config), "model_type": "qwen3"}, indent=1))

    dit_state = None
    for variant in spec.variants:
        turbo = "base" not in variant and "sft" not in variant
        config = spec.dit_config(turbo)
        if dit_state is None:  # one set of weights for every variant, like the parity set
            dit_state = _randomise(_module_state(AceStepModel, config), generator)
        folder = root / variant
        folder.mkdir(parents=True, exist_ok=True)
        save_file({k: v.to(torch.bfloat16).contiguous() for k, v in dit_state.items()}, str(folder / "model.safetensors"))
        (folder / "config.json").write_text(json.dumps({**asdict(config), "model_type": "acestep",
                                                        "architectures": ["AceStepConditionGenerationModel"]}, indent=1))
        torch.save(0.3 * torch.randn(1, 64, 15000, generator=generator), str(folder / "silence_latent.pt"))

    vae_config = VAEConfig(encoder_hidden_size=128, decoder_channels=spec.vae_channels, channel_multiples=[1, 1, 1, 1, 1])
    vae_state = _randomise(_module_state(OobleckVAE, vae_config), generator)
    for key in [k for k in vae_state if k.endswith(("alpha", "beta"))]:
        vae_state[key] = 0.15 * torch.randn(vae_state[key].shape, generator=generator)
    vae_dir = root / "vae"
    vae_dir.mkdir(parents=True, exist_ok=True)
    official = unfold_weight_norm(vae_state)
    save_file({k: v.to(torch.bfloat16).contiguous() for k, v in official.items()},
              str(vae_dir / "diffusion_pytorch_model.safetensors"))
    (vae_dir / "config.json").write_text(json.dumps({"_class_name": "AutoencoderOobleck", **asdict(vae_config)}, indent=1))
    return root
