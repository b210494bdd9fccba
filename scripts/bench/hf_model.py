"""Plain-PyTorch (eager) implementations of the Hugging Face causal LMs introspect supports.

qwen2, qwen3 and llama (the "Llama family": RMSNorm, rotary embeddings, SwiGLU MLP, grouped-query
attention; Qwen2 adds q/k/v biases, Qwen3 adds per-head q/k RMS norms) and gpt2 (LayerNorm, learned
positions, Conv1D weights stored [in, out], gelu_new MLP). Written from the transformers modelling
code's math, without the `transformers` package, so benchmarks can run where only torch exists.

Parameter names equal the checkpoint's tensor names (`model.layers.0.self_attn.q_proj.weight`,
`transformer.h.0.attn.c_attn.weight`), so `load_state_dict` takes a checkpoint as it is and
gradients can be compared by name with the reference fixtures.

Shapes: B batch, T new positions in this call, S = past + T positions attended to, H hidden size,
nh query heads, kv key/value heads, hd head dim, V vocabulary.
"""

from __future__ import annotations

import cpu_setup  # noqa: F401  (first: chooses the BLAS kernels before torch loads them)

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from safetensors_io import read_safetensors

# --------------------------------------------------------------------------------------------
# config.json
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelConfig:
    """config.json normalised across architectures (GPT-2's `n_embd` is Llama's `hidden_size`)."""

    arch: str
    vocab_size: int
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    norm_eps: float
    rope_theta: float | None  # None: learned position embeddings (GPT-2)
    max_positions: int
    tie_word_embeddings: bool
    qkv_bias: bool
    o_bias: bool
    mlp_bias: bool
    qk_norm: bool
    activation: str  # 'silu', 'gelu_tanh' (GPT-2's gelu_new) or 'gelu' (exact erf form)


def _rope_theta(raw: dict) -> float:
    """transformers 5 writes rope_parameters.rope_theta; older configs a top-level rope_theta."""
    params = raw.get("rope_parameters") or {}
    for scaling in (params, raw.get("rope_scaling") or {}):
        kind = scaling.get("rope_type", scaling.get("type", "default"))
        if kind != "default":
            raise ValueError(f"rope scaling type {kind!r} is not supported (only default rotary embeddings)")
    return float(params.get("rope_theta", raw.get("rope_theta", 10000.0)))


def parse_config(raw: dict) -> ModelConfig:
    """Reads a config.json dict; refuses options whose math is not implemented here."""
    arch = raw.get("model_type")
    if arch in ("qwen2", "qwen3", "llama"):
        if raw.get("use_sliding_window"):
            raise ValueError("sliding-window attention is not supported")
        if raw.get("hidden_act", "silu") not in ("silu", "swish"):
            raise ValueError(f"hidden_act {raw.get('hidden_act')!r} is not supported (only silu)")
        heads = raw["num_attention_heads"]
        # Qwen2 always has q/k/v biases and no o_proj bias; Llama and Qwen3 follow attention_bias.
        bias = bool(raw.get("attention_bias", False))
        return ModelConfig(
            arch=arch,
            vocab_size=raw["vocab_size"],
            hidden_size=raw["hidden_size"],
            num_layers=raw["num_hidden_layers"],
            num_heads=heads,
            num_kv_heads=raw.get("num_key_value_heads") or heads,
            head_dim=raw.get("head_dim") or raw["hidden_size"] // heads,
            intermediate_size=raw["intermediate_size"],
            norm_eps=raw.get("rms_norm_eps", 1e-6),
            rope_theta=_rope_theta(raw),
            max_positions=raw.get("max_position_embeddings", 2048),
            tie_word_embeddings=bool(raw.get("tie_word_embeddings", False)),
            qkv_bias=True if arch == "qwen2" else bias,
            o_bias=False if arch == "qwen2" else bias,
            mlp_bias=bool(raw.get("mlp_bias", False)),
            qk_norm=arch == "qwen3",
            activation="silu",
        )
    if arch == "gpt2":
        if raw.get("scale_attn_by_inverse_layer_idx") or raw.get("reorder_and_upcast_attn") or raw.get("scale_attn_weights") is False:
            raise ValueError("GPT-2 attention scaling variants are not supported")
        activations = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu"}
        act = raw.get("activation_function", "gelu_new")
        if act not in activations:
            raise ValueError(f"activation_function {act!r} is not supported (valid: {', '.join(activations)})")
        hidden, heads = raw["n_embd"], raw["n_head"]
        return ModelConfig(
            arch=arch,
            vocab_size=raw["vocab_size"],
            hidden_size=hidden,
            num_layers=raw["n_layer"],
            num_heads=heads,
            num_kv_heads=heads,
            head_dim=hidden // heads,
            intermediate_size=raw.get("n_inner") or 4 * hidden,
            norm_eps=raw.get("layer_norm_epsilon", 1e-5),
            rope_theta=None,
            max_positions=raw.get("n_positions", 1024),
            tie_word_embeddings=bool(raw.get("tie_word_embeddings", True)),
            qkv_bias=True,
            o_bias=True,
            mlp_bias=True,
            qk_norm=False,
            activation=activations[act],
        )
    raise ValueError(f"model_type {arch!r} is not supported (valid: qwen2, qwen3, llama, gpt2)")


# --------------------------------------------------------------------------------------------
# Attention machinery shared by both families
# --------------------------------------------------------------------------------------------


class KVCache:
    """Keys and values of every layer, each [B, kv, S, hd].

    capacity=None grows by concatenation at every step, as transformers' default DynamicCache does
    (an O(S) copy per layer per step). With a capacity the buffers are allocated once and written in
    place, as StaticCache does.
    """

    def __init__(self, num_layers: int, capacity: int | None = None):
        self.capacity = capacity
        self.keys: list[torch.Tensor | None] = [None] * num_layers
        self.values: list[torch.Tensor | None] = [None] * num_layers
        self.lengths = [0] * num_layers

    @property
    def seq_len(self) -> int:
        """Positions already cached (layer 0 is updated first, so read before the forward pass)."""
        return self.lengths[0]

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Appends this call's k, v [B, kv, T, hd]; returns all cached ones [B, kv, S, hd]."""
        start, end = self.lengths[layer], self.lengths[layer] + k.shape[2]
        if self.capacity is None:
            if self.keys[layer] is not None:
                k = torch.cat([self.keys[layer], k], dim=2)
                v = torch.cat([self.values[layer], v], dim=2)
            self.keys[layer], self.values[layer] = k, v
        else:
            if end > self.capacity:
                raise ValueError(f"KV cache capacity {self.capacity} exceeded")
            if self.keys[layer] is None:
                b, kv, _, hd = k.shape
                self.keys[layer] = k.new_empty(b, kv, self.capacity, hd)
                self.values[layer] = v.new_empty(b, kv, self.capacity, hd)
            self.keys[layer][:, :, start:end] = k
            self.values[layer][:, :, start:end] = v
            k, v = self.keys[layer][:, :, :end], self.values[layer][:, :, :end]
        self.lengths[layer] = end
        return k, v


def positions_from_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """Position of each token counting only real ones: cumsum(mask) - 1, so left padding does not
    shift the first real token off position 0. Pads get 0 (their outputs are never used)."""
    return (attention_mask.long().cumsum(-1) - 1).clamp(min=0)


def attention_bias(attention_mask: torch.Tensor, new_len: int, dtype: torch.dtype) -> torch.Tensor:
    """Additive mask [B, 1, T, S] from a key mask [B, S] (1 = real token) for the last T queries.

    Query i sits at absolute position S - T + i and sees key j iff j <= S - T + i and key j is real.
    Blocked entries get the dtype's most negative finite value rather than -inf, so a pad query that
    sees no key at all softmaxes to a uniform row instead of NaN (as transformers' eager path does).
    """
    total = attention_mask.shape[1]
    query_pos = torch.arange(total - new_len, total)[:, None]  # [T, 1]
    key_pos = torch.arange(total)[None, :]  # [1, S]
    allowed = (key_pos <= query_pos)[None] & attention_mask.bool()[:, None, :]  # [B, T, S]
    bias = torch.zeros(allowed.shape, dtype=dtype).masked_fill_(~allowed, torch.finfo(dtype).min)
    return bias[:, None]  # [B, 1, T, S]


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Scaled dot-product attention, q [B, nh, T, hd], k/v [B, kv, S, hd] -> [B, nh, T, hd].

    Grouped-query attention: query head h uses key/value head h // (nh / kv), as transformers'
    repeat_kv. Here the query heads of a group are folded into the rows of one matmul instead of
    copying the cached keys and values nh / kv times.
    """
    b, nh, t, hd = q.shape
    kv = k.shape[1]
    group = nh // kv
    q = q.reshape(b, kv, group * t, hd) * (1.0 / math.sqrt(hd))  # [B, kv, group*T, hd]
    scores = torch.matmul(q, k.transpose(-1, -2))  # [B, kv, group*T, S]
    scores = scores.view(b, kv, group, t, -1) + bias[:, :, None]  # [B, kv, group, T, S]
    probs = torch.softmax(scores.float(), dim=-1).to(v.dtype).view(b, kv, group * t, -1)
    return torch.matmul(probs, v).view(b, nh, t, hd)  # [B, nh, T, hd]


# --------------------------------------------------------------------------------------------
# Llama family: llama, qwen2, qwen3
# --------------------------------------------------------------------------------------------


class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * w over the last axis, computed in float32 (as transformers)."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x32 = x.float()
        normed = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * normed.to(x.dtype)


def rotary_cos_sin(position_ids: torch.Tensor, head_dim: int, theta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin [B, 1, T, hd] of the default rotary embedding (frequencies theta^(-2i/hd),
    the two halves of the head sharing each frequency, as transformers' rotate_half layout)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))  # [hd/2]
    freqs = position_ids.float()[:, :, None] * inv_freq[None, None, :]  # [B, T, hd/2]
    angles = torch.cat([freqs, freqs], dim=-1)[:, None]  # [B, 1, T, hd]
    return angles.cos(), angles.sin()


def apply_rotary(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotates each (x_i, x_{i+hd/2}) pair of x [B, heads, T, hd] by its angle."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos.to(x.dtype) + rotated * sin.to(x.dtype)


class LlamaAttention(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int):
        super().__init__()
        self.layer = layer
        self.nh, self.kv, self.hd = cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden_size, self.nh * self.hd, bias=cfg.qkv_bias)
        self.k_proj = nn.Linear(cfg.hidden_size, self.kv * self.hd, bias=cfg.qkv_bias)
        self.v_proj = nn.Linear(cfg.hidden_size, self.kv * self.hd, bias=cfg.qkv_bias)
        self.o_proj = nn.Linear(self.nh * self.hd, cfg.hidden_size, bias=cfg.o_bias)
        if cfg.qk_norm:  # Qwen3: RMS-normalise each head's query and key before the rotation
            self.q_norm = RMSNorm(self.hd, cfg.norm_eps)
            self.k_norm = RMSNorm(self.hd, cfg.norm_eps)
        self.qk_norm = cfg.qk_norm

    def forward(self, x, cos, sin, bias, cache: KVCache | None):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.nh, self.hd)  # [B, T, nh, hd]
        k = self.k_proj(x).view(b, t, self.kv, self.hd)  # [B, T, kv, hd]
        v = self.v_proj(x).view(b, t, self.kv, self.hd).transpose(1, 2)  # [B, kv, T, hd]
        if self.qk_norm:
            q, k = self.q_norm(q), self.k_norm(k)
        q = apply_rotary(q.transpose(1, 2), cos, sin)  # [B, nh, T, hd]
        k = apply_rotary(k.transpose(1, 2), cos, sin)  # [B, kv, T, hd]
        if cache is not None:
            k, v = cache.update(self.layer, k, v)  # [B, kv, S, hd]
        out = attend(q, k, v, bias).transpose(1, 2).reshape(b, t, self.nh * self.hd)  # [B, T, nh*hd]
        return self.o_proj(out)


class GatedMLP(nn.Module):
    """SwiGLU: down(silu(gate(x)) * up(x))."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=cfg.mlp_bias)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=cfg.mlp_bias)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=cfg.mlp_bias)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaDecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.norm_eps)
        self.self_attn = LlamaAttention(cfg, layer)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.norm_eps)
        self.mlp = GatedMLP(cfg)

    def forward(self, x, cos, sin, bias, cache):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, bias, cache)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(LlamaDecoderLayer(cfg, i) for i in range(cfg.num_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.norm_eps)

    def forward(self, input_ids, position_ids, bias, cache):
        x = self.embed_tokens(input_ids)  # [B, T, H]
        # One rotation table per call, shared by all layers.
        cos, sin = rotary_cos_sin(position_ids, self.cfg.head_dim, self.cfg.rope_theta)
        for layer in self.layers:
            x = layer(x, cos, sin, bias, cache)
        return self.norm(x)


# --------------------------------------------------------------------------------------------
# GPT-2
# --------------------------------------------------------------------------------------------


class Conv1D(nn.Module):
    """GPT-2's linear layer: y = x @ W + b with W stored [in, out] (transposed w.r.t. nn.Linear)."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    """GPT-2's gelu_new: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class GPT2Attention(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int):
        super().__init__()
        self.layer, self.nh, self.hd = layer, cfg.num_heads, cfg.head_dim
        self.c_attn = Conv1D(cfg.hidden_size, 3 * cfg.hidden_size)  # q, k, v side by side
        self.c_proj = Conv1D(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x, bias, cache):
        b, t, h = x.shape
        q, k, v = (z.view(b, t, self.nh, self.hd).transpose(1, 2) for z in self.c_attn(x).split(h, dim=2))  # [B, nh, T, hd]
        if cache is not None:
            k, v = cache.update(self.layer, k, v)
        return self.c_proj(attend(q, k, v, bias).transpose(1, 2).reshape(b, t, h))


class GPT2MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.c_fc = Conv1D(cfg.hidden_size, cfg.intermediate_size)
        self.c_proj = Conv1D(cfg.intermediate_size, cfg.hidden_size)
        self.act = gelu_tanh if cfg.activation == "gelu_tanh" else F.gelu

    def forward(self, x):
        return self.c_proj(self.act(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.norm_eps)
        self.attn = GPT2Attention(cfg, layer)
        self.ln_2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.norm_eps)
        self.mlp = GPT2MLP(cfg)

    def forward(self, x, bias, cache):
        x = x + self.attn(self.ln_1(x), bias, cache)
        return x + self.mlp(self.ln_2(x))


class GPT2Model(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.wte = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.wpe = nn.Embedding(cfg.max_positions, cfg.hidden_size)  # learned absolute positions
        self.h = nn.ModuleList(GPT2Block(cfg, i) for i in range(cfg.num_layers))
        self.ln_f = nn.LayerNorm(cfg.hidden_size, eps=cfg.norm_eps)

    def forward(self, input_ids, position_ids, bias, cache):
        x = self.wte(input_ids) + self.wpe(position_ids)  # [B, T, H]
        for block in self.h:
            x = block(x, bias, cache)
        return self.ln_f(x)


# --------------------------------------------------------------------------------------------
# The causal LM wrapper, loading and generation
# --------------------------------------------------------------------------------------------


class CausalLM(nn.Module):
    """A body (`model` for the Llama family, `transformer` for GPT-2) and the output projection,
    which is the token embedding itself when tie_word_embeddings (no separate parameter)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        if cfg.arch == "gpt2":
            self.transformer = GPT2Model(cfg)
        else:
            self.model = LlamaModel(cfg)
        if not cfg.tie_word_embeddings:
            self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)

    # Properties, not attributes: assigning a module to an attribute would register it twice.
    @property
    def body(self) -> nn.Module:
        return self.transformer if self.cfg.arch == "gpt2" else self.model

    @property
    def embed(self) -> nn.Embedding:
        return self.transformer.wte if self.cfg.arch == "gpt2" else self.model.embed_tokens

    def hidden_states(self, input_ids, attention_mask=None, position_ids=None, cache: KVCache | None = None):
        """Final hidden states [B, T, H] (after the final norm) of the T new tokens `input_ids`.

        attention_mask [B, S] covers the cached positions and the new ones (1 = real token, 0 = pad);
        position ids default to the count of real tokens before each one (left padding safe).
        """
        b, t = input_ids.shape
        past = cache.seq_len if cache is not None else 0
        if attention_mask is None:
            attention_mask = torch.ones(b, past + t, dtype=torch.long)
        if position_ids is None:
            position_ids = positions_from_mask(attention_mask)[:, past:]
        bias = attention_bias(attention_mask, t, self.embed.weight.dtype)
        return self.body(input_ids, position_ids, bias, cache)

    def lm_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """[..., H] -> [..., V]."""
        weight = self.embed.weight if self.cfg.tie_word_embeddings else self.lm_head.weight
        return F.linear(hidden, weight)

    def forward(self, input_ids, attention_mask=None, position_ids=None, cache: KVCache | None = None):
        return self.lm_logits(self.hidden_states(input_ids, attention_mask, position_ids, cache))


def read_weights(model_dir: Path) -> dict[str, torch.Tensor]:
    """model.safetensors, or every shard named by model.safetensors.index.json."""
    index = model_dir / "model.safetensors.index.json"
    if index.exists():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        weights: dict[str, torch.Tensor] = {}
        for shard in shards:
            weights.update(read_safetensors(model_dir / shard))
        return weights
    return read_safetensors(model_dir / "model.safetensors")


def _checkpoint_to_state(cfg: ModelConfig, weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Maps checkpoint names onto this module tree, dropping what is not a parameter."""
    state = {}
    for name, tensor in weights.items():
        # Non-parameters some checkpoints carry: GPT-2's causal-mask buffers, old rotary tables.
        if name.endswith((".attn.bias", ".attn.masked_bias", "rotary_emb.inv_freq")):
            continue
        if name == "lm_head.weight" and cfg.tie_word_embeddings:
            continue  # a tied head may still be saved; it is the embedding
        if cfg.arch == "gpt2" and not name.startswith(("transformer.", "lm_head.")):
            name = "transformer." + name  # checkpoints of the original GPT2Model omit the prefix
        state[name] = tensor
    return state


def load_config(model_dir: str | Path) -> ModelConfig:
    return parse_config(json.loads((Path(model_dir) / "config.json").read_text()))


def load_model(model_dir: str | Path, dtype: torch.dtype = torch.float32, config: ModelConfig | None = None) -> CausalLM:
    """Builds the model of an HF folder and loads its weights (any stored float dtype -> `dtype`)."""
    model_dir = Path(model_dir)
    cfg = config or load_config(model_dir)
    model = CausalLM(cfg)
    state = _checkpoint_to_state(cfg, read_weights(model_dir))
    missing, unexpected = (set(model.state_dict()) - set(state)), (set(state) - set(model.state_dict()))
    if missing or unexpected:
        raise ValueError(f"{model_dir}: checkpoint does not match {cfg.arch}: missing {sorted(missing)}, unexpected {sorted(unexpected)}")
    model.load_state_dict({name: tensor.to(dtype) for name, tensor in state.items()})
    return model.to(dtype).eval()


def generate(
    model: CausalLM,
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    new_tokens: int,
    pick_next: Callable[[torch.Tensor], torch.Tensor],
    static_cache: bool = False,
    keep_logits: bool = False,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """The decode loop: one prefill pass over the (left-padded) prompts, then one cached pass per token.

    pick_next maps last-position logits [B, V] to token ids [B] (argmax, or sampling). Always
    generates `new_tokens` tokens (no stop tokens). Returns the tokens [B, N] and, with keep_logits,
    the logits each token was picked from [B, N, V].
    """
    b, prompt_len = input_ids.shape
    cache = KVCache(model.cfg.num_layers, capacity=prompt_len + new_tokens if static_cache else None)
    # Left padding puts every row's last real token at the last column: only it needs the lm head.
    logits = model.lm_logits(model.hidden_states(input_ids, attention_mask, cache=cache)[:, -1])  # [B, V]
    tokens, step_logits = [], []
    ones = torch.ones(b, 1, dtype=attention_mask.dtype)
    for step in range(new_tokens):
        token = pick_next(logits)  # [B]
        tokens.append(token)
        if keep_logits:
            step_logits.append(logits)
        if step == new_tokens - 1:
            break  # the last token needs no forward pass
        attention_mask = torch.cat([attention_mask, ones], dim=1)  # [B, S + 1]
        logits = model.lm_logits(model.hidden_states(token[:, None], attention_mask, cache=cache)[:, -1])
    return torch.stack(tokens, dim=1), (torch.stack(step_logits, dim=1) if keep_logits else None)
