"""GLIDE's noised CLIP (image and text encoders) in the official state-dict layout.

Architecture facts (learned from glide-text2im's `clip/` package; this is an independent
implementation): each encoder is `blocks.{input, block_0..N-1, output}`.
- Image `input`: the [-1, 1] image is mapped to 0..255 and normalised by CLIP's channel means and
  stds, cut into patch_size patches by a bias-free convolution (`patch_proj`), and preceded by one
  extra token, the timestep's row of `w_t` (n_timesteps x width); `w_pos` is added and a LayerNorm
  (`ln.g`, `ln.b`, eps 1e-5) applied. Attention sees every token.
- Text `input`: `w_voc[token] + w_pos`; causal attention over the 77 positions.
- `block_i`: pre-norm residual attention (`f_attn.ln`, `f_q` with bias, `f_k` without, `f_v`,
  `f_c`) then a pre-norm residual MLP of 4x width with exact GELU (`f_mlp.ln`, `f_1`, `f_2`).
  Linear weights are [out, in] under `.w`, biases under `.b`.
- `output`: LayerNorm of one token (the image's first token; the text's token at len - 1, its end
  token) and a bias-free projection `f.w` to n_embd.
Width = n_head x n_head_state for each encoder. Embeddings are L2-normalised by the caller
(`ClipPair.image_embeddings` / `text_embeddings`), and the guidance objective is
exp(logit_scale) * sum(z_text * z_image) as in the clip_guided notebook, logit_scale = ln(config).
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

CHANNEL_MEANS = [122.77093945, 116.74601272, 104.09373519]
CHANNEL_STDS = [68.50053285, 66.63215831, 70.32316309]

CONFIG_KEYS = ["logit_scale", "beta_schedule", "n_timesteps", "image_size", "patch_size", "n_vocab",
               "max_text_len", "n_embd", "n_head_state_text", "n_head_text", "n_xf_blocks_text",
               "n_head_state_image", "n_head_image", "n_xf_blocks_image"]


class Norm(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.g = nn.Parameter(torch.ones(width))
        self.b = nn.Parameter(torch.zeros(width))

    def forward(self, x):
        return F.layer_norm(x, (x.shape[-1],), self.g, self.b, 1e-5)


class Linear(nn.Module):
    def __init__(self, n_in, n_out, bias=True, std=None):
        super().__init__()
        self.w = nn.Parameter(torch.randn(n_out, n_in) * (std if std is not None else math.sqrt(2 / (n_in + n_out))))
        self.b = nn.Parameter(torch.zeros(n_out)) if bias else None

    def forward(self, x):
        return F.linear(x, self.w, self.b)


class SelfAttention(nn.Module):
    def __init__(self, width, heads, depth):
        super().__init__()
        self.heads = heads
        std = 1 / math.sqrt(width)
        self.ln = Norm(width)
        self.f_q = Linear(width, width, std=std)
        self.f_k = Linear(width, width, bias=False, std=std)
        self.f_v = Linear(width, width, std=std)
        self.f_c = Linear(width, width, std=1 / math.sqrt(width * (2 * depth) ** 2))

    def forward(self, h, causal):
        n, length, width = h.shape
        r = self.ln(h)

        def split(y):
            return y.view(n, length, self.heads, width // self.heads).transpose(1, 2)

        q, k, v = split(self.f_q(r)), split(self.f_k(r)), split(self.f_v(r))
        logits = q @ k.transpose(-1, -2) / math.sqrt(width // self.heads)
        if causal:
            future = torch.ones(length, length, dtype=torch.bool, device=h.device).triu(1)
            logits = logits.masked_fill(future, float("-inf"))
        r = (logits.softmax(-1) @ v).transpose(1, 2).reshape(n, length, width)
        return h + self.f_c(r)


class MLP(nn.Module):
    def __init__(self, width, depth):
        super().__init__()
        self.ln = Norm(width)
        self.f_1 = Linear(width, 4 * width, std=math.sqrt(2 / (4 * width)))
        self.f_2 = Linear(4 * width, width, std=1 / math.sqrt(width * (2 * depth) ** 2))

    def forward(self, h):
        return h + self.f_2(F.gelu(self.f_1(self.ln(h))))


class Block(nn.Module):
    def __init__(self, width, heads, depth):
        super().__init__()
        self.f_attn = SelfAttention(width, heads, depth)
        self.f_mlp = MLP(width, depth)

    def forward(self, h, causal):
        return self.f_mlp(self.f_attn(h, causal))


class Readout(nn.Module):
    def __init__(self, width, n_embd):
        super().__init__()
        self.ln = Norm(width)
        self.f = Linear(width, n_embd, bias=False)

    def forward(self, token):
        return self.f(self.ln(token))


class ImageInput(nn.Module):
    def __init__(self, image_size, patch_size, width, n_timesteps):
        super().__init__()
        self.patch_size = patch_size
        n_patches = (image_size // patch_size) ** 2
        self.w_t = nn.Parameter(torch.randn(n_timesteps, width) / math.sqrt(width))
        self.patch_proj = nn.Parameter(torch.randn(width, 3, patch_size, patch_size) *
                                       math.sqrt(2 / (width * patch_size ** 2)))
        self.w_pos = nn.Parameter(torch.randn(1 + n_patches, width) / math.sqrt(width))
        self.ln = Norm(width)
        self.register_buffer("means", torch.tensor(CHANNEL_MEANS).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("stds", torch.tensor(CHANNEL_STDS).view(1, 3, 1, 1), persistent=False)

    def forward(self, x, timesteps):
        pixels = ((x + 1) * 127.5 - self.means) / self.stds
        patches = F.conv2d(pixels, self.patch_proj, stride=self.patch_size).flatten(2).transpose(1, 2)
        h = torch.cat([self.w_t[timesteps][:, None], patches], dim=1) + self.w_pos[None]
        return self.ln(h)


class TextInput(nn.Module):
    def __init__(self, n_vocab, context, width):
        super().__init__()
        self.w_voc = nn.Parameter(torch.randn(n_vocab, width) * 0.02)
        self.w_pos = nn.Parameter(torch.randn(context, width) * 0.01)

    def forward(self, tokens):
        return self.w_voc[tokens] + self.w_pos[None, :tokens.shape[1]]


class ImageEncoder(nn.Module):
    """x [N,3,S,S] in [-1, 1], timesteps [N] (0..n_timesteps-1) -> unnormalised image embedding."""

    def __init__(self, cfg):
        super().__init__()
        width = cfg["n_head_image"] * cfg["n_head_state_image"]
        depth = cfg["n_xf_blocks_image"]
        self.depth = depth
        parts = [("input", ImageInput(cfg["image_size"], cfg["patch_size"], width, cfg["n_timesteps"]))]
        parts += [(f"block_{i}", Block(width, cfg["n_head_image"], depth)) for i in range(depth)]
        parts.append(("output", Readout(width, cfg["n_embd"])))
        self.blocks = nn.ModuleDict(parts)

    def forward(self, x, timesteps):
        h = self.blocks["input"](x, timesteps)
        for i in range(self.depth):
            h = self.blocks[f"block_{i}"](h, causal=False)
        return self.blocks["output"](h[:, 0])


class TextEncoder(nn.Module):
    """tokens [N, L] (L <= max_text_len; causal, so trailing padding may be cut), lens [N] -> embedding."""

    def __init__(self, cfg):
        super().__init__()
        width = cfg["n_head_text"] * cfg["n_head_state_text"]
        depth = cfg["n_xf_blocks_text"]
        self.depth = depth
        parts = [("input", TextInput(cfg["n_vocab"], cfg["max_text_len"], width))]
        parts += [(f"block_{i}", Block(width, cfg["n_head_text"], depth)) for i in range(depth)]
        parts.append(("output", Readout(width, cfg["n_embd"])))
        self.blocks = nn.ModuleDict(parts)

    def forward(self, tokens, lens):
        h = self.blocks["input"](tokens)
        for i in range(self.depth):
            h = self.blocks[f"block_{i}"](h, causal=True)
        last = h[torch.arange(h.shape[0], device=h.device), lens - 1]
        return self.blocks["output"](last)


def l2_normalise(z):
    return z / (torch.linalg.norm(z, dim=-1, keepdim=True) + 1e-12)


class ClipPair(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        self.image_encoder = ImageEncoder(cfg)
        self.text_encoder = TextEncoder(cfg)

    def image_embeddings(self, x, timesteps):
        return l2_normalise(self.image_encoder(x, timesteps))

    def text_embeddings(self, tokens, lens):
        return l2_normalise(self.text_encoder(tokens, lens))

    def guidance_grad(self, x, timesteps, text_emb, logit_scale=None):
        """d/dx of exp(logit_scale) * sum(text_emb * image_emb), as the clip_guided notebook's cond_fn."""
        scale = self.cfg["logit_scale"] if logit_scale is None else logit_scale
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            objective = scale * (text_emb * self.image_embeddings(x, timesteps)).sum()
            return torch.autograd.grad(objective, x)[0]


def config_yaml(cfg):
    """The config in the official config.yaml's format (flat `key: value` lines)."""
    lines = []
    for key in CONFIG_KEYS:
        value = cfg[key]
        lines.append(f"{key}: {float(value)!r}" if isinstance(value, float) else f"{key}: {value}")
    return "\n".join(lines) + "\n"


def read_config(path):
    cfg = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            key, _, value = line.partition(":")
            value = value.strip()
            try:
                cfg[key.strip()] = int(value)
            except ValueError:
                try:
                    cfg[key.strip()] = float(value)
                except ValueError:
                    cfg[key.strip()] = value
    return cfg


def count_parameters(module):
    return int(sum(np.prod(p.shape) for p in module.parameters()))
