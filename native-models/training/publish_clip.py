"""Publish a finished CLIP run to training/checkpoints/clip/ with a parity case for the app's import.

    /usr/bin/python3 native-models/training/publish_clip.py --run native-models/training/runs/clip

Copies config.yaml, image_enc.pt, text_enc.pt, recipe.json and eval.json, and writes parity.json:
two scene images at two timesteps, their captions' CLIP tokens, and what this PyTorch code computes
for them (text_emb, image_emb, and the guidance gradient d/dx of exp(logit_scale)·Σ text_emb·image_emb),
which the app's converted model folders must reproduce (test/main/models/glideMiniClip.test.ts).
"""
import argparse
import json
import os
import random
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenes  # noqa: E402
from clip_eval import load_run, scene_images  # noqa: E402
from clip_tokenizer import ClipTokenizer  # noqa: E402

FILES = ("config.yaml", "image_enc.pt", "text_enc.pt", "recipe.json", "eval.json")
DEFAULT_DEST = os.path.join(HERE, "checkpoints", "clip")


def parity_case(model, tokenizer, seed=31):
    rng = random.Random(seed)
    sc = [scenes.sample_scene(rng, relation_share=1.0) for _ in range(2)]
    x = scene_images(sc)
    x = x + 0.3 * torch.randn(x.shape, generator=torch.Generator().manual_seed(seed))
    timesteps = torch.tensor([0, 600])
    pairs = [tokenizer.padded_tokens_and_len(s["caption"]) for s in sc]
    tokens = torch.tensor([p[0] for p in pairs])
    lens = torch.tensor([p[1] for p in pairs])
    with torch.no_grad():
        text_emb = model.text_embeddings(tokens, lens)
        image_emb = model.image_embeddings(x, timesteps)
    grad = model.guidance_grad(x, timesteps, text_emb)
    return {"captions": [s["caption"] for s in sc], "x": x.flatten().tolist(), "shape": list(x.shape),
            "timesteps": timesteps.tolist(), "tokens": tokens.tolist(), "lens": lens.tolist(),
            "text_emb": text_emb.flatten().tolist(), "image_emb": image_emb.flatten().tolist(),
            "grad": grad.flatten().tolist(), "logit_scale": model.cfg["logit_scale"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--dest", default=DEFAULT_DEST)
    args = ap.parse_args()
    os.makedirs(args.dest, exist_ok=True)
    for name in FILES:
        shutil.copyfile(os.path.join(args.run, name), os.path.join(args.dest, name))
    model = load_run(args.dest)
    with open(os.path.join(args.dest, "parity.json"), "w") as f:
        json.dump(parity_case(model, ClipTokenizer()), f)
    print("published", args.run, "->", args.dest)


if __name__ == "__main__":
    main()
