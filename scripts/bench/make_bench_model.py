"""Writes a randomly initialised Hugging Face model folder for benchmarks (no weights are committed).

The default is a small but realistically shaped Qwen2 (hidden 256, 4 layers, 8 heads of dim 32,
4 key/value heads, SwiGLU width 768, vocabulary 512, tied embeddings, q/k/v biases): big enough
that matmuls dominate the time, small enough for a 2-core machine. Every size is a flag, and
--arch also makes qwen3, llama or gpt2 folders of the same shape.

    /usr/bin/python3 scripts/bench/make_bench_model.py --out /tmp/bench-qwen2

Writes config.json (transformers 5 layout: rope base under rope_parameters.rope_theta) and
model.safetensors (float32). Initialisation follows transformers' `_init_weights`: matrices and
embeddings ~ N(0, initializer_range), biases 0, norm weights 1. Deterministic for a given --seed.
"""

from __future__ import annotations

import cpu_setup  # noqa: F401  (first: chooses the BLAS kernels before torch loads them)

import argparse
import json
from pathlib import Path

import torch
import torch.nn as nn

from hf_model import CausalLM, Conv1D, load_model, parse_config
from safetensors_io import write_safetensors

ARCHITECTURES = {"qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM", "llama": "LlamaForCausalLM", "gpt2": "GPT2LMHeadModel"}


def make_config(args: argparse.Namespace) -> dict:
    """config.json as transformers 5 writes it, with the fields each architecture's reader needs."""
    common = {
        "architectures": [ARCHITECTURES[args.arch]],
        "model_type": args.arch,
        "vocab_size": args.vocab,
        "initializer_range": args.init_std,
        "tie_word_embeddings": not args.untied,
        "bos_token_id": None,
        "eos_token_id": None,
        "pad_token_id": None,
        "dtype": "float32",
        "use_cache": True,
    }
    if args.arch == "gpt2":
        return {
            **common,
            "n_embd": args.hidden,
            "n_layer": args.layers,
            "n_head": args.heads,
            "n_inner": args.intermediate,
            "n_positions": args.max_positions,
            "activation_function": "gelu_new",
            "layer_norm_epsilon": 1e-5,
            "scale_attn_weights": True,
            "scale_attn_by_inverse_layer_idx": False,
            "reorder_and_upcast_attn": False,
            "add_cross_attention": False,
        }
    config = {
        **common,
        "hidden_size": args.hidden,
        "num_hidden_layers": args.layers,
        "num_attention_heads": args.heads,
        "num_key_value_heads": args.kv_heads,
        "head_dim": args.head_dim or args.hidden // args.heads,
        "intermediate_size": args.intermediate,
        "hidden_act": "silu",
        "rms_norm_eps": 1e-6,
        "max_position_embeddings": args.max_positions,
        "rope_parameters": {"rope_type": "default", "rope_theta": args.rope_theta},
        "attention_dropout": 0.0,
    }
    if args.arch in ("qwen2", "qwen3"):
        config.update(use_sliding_window=False, sliding_window=None, layer_types=["full_attention"] * args.layers)
    if args.arch in ("llama", "qwen3"):
        config["attention_bias"] = False
    if args.arch == "llama":
        config["mlp_bias"] = False
    return config


def init_weights(model: CausalLM, std: float, seed: int) -> None:
    """transformers' default initialisation (norm weights keep their ones)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.Linear, nn.Embedding, Conv1D)):
                module.weight.copy_(torch.randn(module.weight.shape, generator=gen) * std)
                if getattr(module, "bias", None) is not None:
                    module.bias.zero_()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path, help="folder to write (created; existing files are overwritten)")
    parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="qwen2")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=8)
    parser.add_argument("--kv-heads", type=int, default=4, help="key/value heads (ignored by gpt2, which has one per head)")
    parser.add_argument("--head-dim", type=int, default=None, help="per-head width (default hidden / heads; not gpt2)")
    parser.add_argument("--intermediate", type=int, default=768, help="MLP inner width")
    parser.add_argument("--vocab", type=int, default=512)
    parser.add_argument("--max-positions", type=int, default=4096)
    parser.add_argument("--rope-theta", type=float, default=1e6)
    parser.add_argument("--untied", action="store_true", help="a separate lm_head.weight instead of tied embeddings")
    parser.add_argument("--init-std", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.hidden % args.heads or args.heads % args.kv_heads:
        parser.error("--hidden must be divisible by --heads, and --heads by --kv-heads")

    config = make_config(args)
    model = CausalLM(parse_config(config))
    init_weights(model, args.init_std, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    write_safetensors(args.out / "model.safetensors", model.state_dict())

    # Read the folder back through the loader the benchmarks use, so a bad folder fails here.
    loaded = load_model(args.out)
    assert all(torch.equal(a, b) for a, b in zip(loaded.state_dict().values(), model.state_dict().values()))
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {args.out}: {args.arch}, {params:,} parameters")


if __name__ == "__main__":
    main()
