"""How well a noised CLIP reads the scene world, at t = 0 and at noisy timesteps.

- `retrieval`: each image's caption ranked against group - 1 other scenes' captions (all distinct);
  top-1 accuracy per timestep.
- `hard_pairs`: each caption against itself with one word changed (a colour, a shape, or a side:
  left/right, top/bottom, above/below); the share of images whose own caption scores higher.
- `gradient_check`: one step along the guidance gradient (d/dx of the scaled similarity) raises
  the similarity to that caption, and more than the gradient of another caption would.

    /usr/bin/python3 native-models/training/clip_eval.py --run native-models/training/runs/clip
"""
import argparse
import json
import os
import random
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenes  # noqa: E402
from clip_model import ClipPair, read_config  # noqa: E402
from clip_tokenizer import ClipTokenizer  # noqa: E402
from diffusion import GaussianDiffusion  # noqa: E402

TIMESTEPS = (0, 250, 500, 750, 900)
SWAPS = {"left": "right", "right": "left", "top": "bottom", "bottom": "top", "above": "below",
         "below": "above"}


def distinct_scenes(n, seed, relation_share=0.3):
    rng, seen, out = random.Random(seed), set(), []
    while len(out) < n:
        s = scenes.sample_scene(rng, relation_share=relation_share)
        key = s["caption"].lower()
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def scene_images(scene_list):
    """float32 [N,3,32,32] in [-1, 1], drawn as GLIDE-mini base's training images are."""
    u8 = np.stack([scenes.downscale(scenes.render(s, 128), 4) for s in scene_list])
    return torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def one_word_changed(caption, rng):
    words = caption.lower().split(" ")
    options = []
    for i, w in enumerate(words):
        if w in scenes.COLOURS:
            options += [(i, c) for c in scenes.COLOURS if c != w]
        elif w in scenes.SHAPES:
            options += [(i, s) for s in scenes.SHAPES if s != w]
        elif w in SWAPS:
            options.append((i, SWAPS[w]))
    if not options:
        return None
    i, word = rng.choice(options)
    return " ".join(words[:i] + [word] + words[i + 1:])


def encode_captions(model, tokenizer, captions):
    pairs = [tokenizer.padded_tokens_and_len(c) for c in captions]
    tokens = torch.tensor([p[0] for p in pairs])
    lens = torch.tensor([p[1] for p in pairs])
    return model.text_embeddings(tokens[:, :int(lens.max())], lens)


def noised(diffusion, x0, t, seed):
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(x0.shape, generator=g)
    ts = torch.full((x0.shape[0],), t, dtype=torch.long)
    return diffusion.q_sample(x0, ts, noise), ts


@torch.no_grad()
def retrieval(model, tokenizer, n=256, group=32, timesteps=TIMESTEPS, seed=7001):
    diffusion = GaussianDiffusion.create(model.cfg["beta_schedule"], model.cfg["n_timesteps"])
    sc = distinct_scenes(n, seed)
    x0 = scene_images(sc)
    z_text = encode_captions(model, tokenizer, [s["caption"] for s in sc])
    out = {}
    for t in timesteps:
        xt, ts = noised(diffusion, x0, t, seed + t)
        z_image = model.image_embeddings(xt, ts)
        right = 0
        for start in range(0, n, group):
            sims = z_image[start:start + group] @ z_text[start:start + group].T
            right += int((sims.argmax(1) == torch.arange(sims.shape[0])).sum())
        out[t] = right / n
    return out


@torch.no_grad()
def hard_pairs(model, tokenizer, n=256, timesteps=TIMESTEPS, seed=7002):
    diffusion = GaussianDiffusion.create(model.cfg["beta_schedule"], model.cfg["n_timesteps"])
    rng = random.Random(seed)
    sc, changed = [], []
    for s in distinct_scenes(2 * n, seed):
        other = one_word_changed(s["caption"], rng)
        if other is not None:
            sc.append(s)
            changed.append(other)
        if len(sc) == n:
            break
    x0 = scene_images(sc)
    z_true = encode_captions(model, tokenizer, [s["caption"] for s in sc])
    z_false = encode_captions(model, tokenizer, changed)
    out = {}
    for t in timesteps:
        xt, ts = noised(diffusion, x0, t, seed + t)
        z_image = model.image_embeddings(xt, ts)
        out[t] = float(((z_image * z_true).sum(1) > (z_image * z_false).sum(1)).float().mean())
    return out


def gradient_check(model, tokenizer, n=32, t=500, step=0.02, seed=7003):
    """Mean similarity change after x += step * grad / |grad|_rms, for the caption's own gradient and
    for another caption's gradient."""
    diffusion = GaussianDiffusion.create(model.cfg["beta_schedule"], model.cfg["n_timesteps"])
    sc = distinct_scenes(n, seed)
    x0 = scene_images(sc)
    xt, ts = noised(diffusion, x0, t, seed)
    with torch.no_grad():
        z_text = encode_captions(model, tokenizer, [s["caption"] for s in sc])
        before = (model.image_embeddings(xt, ts) * z_text).sum(1)
    result = {}
    for name, target in (("own", z_text), ("other", z_text.roll(1, 0))):
        grad = model.guidance_grad(xt, ts, target)
        rms = grad.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt() + 1e-12
        with torch.no_grad():
            after = (model.image_embeddings(xt + step * grad / rms, ts) * z_text).sum(1)
        result[name] = float((after - before).mean())
        result[name + "_raised_share"] = float((after > before).float().mean())
    return result


def load_run(run_dir, prefix=""):
    cfg = read_config(os.path.join(run_dir, "config.yaml"))
    model = ClipPair(cfg)
    model.image_encoder.load_state_dict(torch.load(os.path.join(run_dir, prefix + "image_enc.pt")))
    model.text_encoder.load_state_dict(torch.load(os.path.join(run_dir, prefix + "text_enc.pt")))
    return model.eval()


def evaluate(model, tokenizer, n=256):
    return {"retrieval_top1_of_32": retrieval(model, tokenizer, n=n),
            "own_vs_one_word_changed": hard_pairs(model, tokenizer, n=n),
            "gradient_step_t500": gradient_check(model, tokenizer)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True, help="folder with config.yaml, image_enc.pt, text_enc.pt")
    ap.add_argument("--n", type=int, default=256)
    args = ap.parse_args()
    torch.set_num_threads(1)
    print(json.dumps(evaluate(load_run(args.run), ClipTokenizer(), n=args.n), indent=1))


if __name__ == "__main__":
    main()
