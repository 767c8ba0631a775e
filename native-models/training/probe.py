"""Quick PyTorch measurements of base checkpoints, the ones the model card compares runs by.

    /usr/bin/python3 native-models/training/probe.py RUN_DIR [RUN_DIR ...] [--seeds 0,1] [--skip-sampling]

For each run folder (options.json + final.pt, else latest.pt) it prints:
- relations: guidance 3, 50 steps, 48 captions stating a relation and 24 one-object captions, scored
  by the scene detector (per claim, and "all": every claim of the caption right);
- x0 order: from shared noise at t = 900, the predicted image's second-named object minus first, in
  x and y, per relation ("left of" should be positive in x, "right of" negative; "above" positive in
  y, "below" negative);
- eps-mean slope: at t = 999 / 900 / 600, the slope of the predicted against the true per-image mean
  of the noise (1 = the model sets an image's overall colour; the shipped base must keep > 0.9).
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
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "eval"))
import detector  # noqa: E402
import sample  # noqa: E402
import scenes  # noqa: E402
import train  # noqa: E402
from diffusion import GaussianDiffusion  # noqa: E402
from tokenizer import CaptionTokenizer  # noqa: E402

RELATIONS = ("left of", "right of", "above", "below")
ORDER_PAIRS = (("red", "circle", "blue", "square"), ("green", "star", "yellow", "heart"),
               ("purple", "triangle", "orange", "circle"), ("white", "square", "black", "star"))


def fixed_scenes(n, seed, keep, relation_share=0.0):
    """The first n scenes of a seeded stream that keep(scene) accepts: the same list every call."""
    rng, out = random.Random(seed), []
    while len(out) < n:
        scene = scenes.sample_scene(rng, relation_share=relation_share)
        if keep(scene):
            out.append(scene)
    return out


def relation_scenes(n=48, seed=777):
    return fixed_scenes(n, seed, lambda scene: scene["relation"], relation_share=1.0)


def one_object_scenes(n=24, seed=778):
    return fixed_scenes(n, seed, lambda scene: len(scene["objects"]) == 1)


def score(images_u8, captions):
    """Percent of claims right per kind ('colour', 'relation', ..., 'all'), kinds with no claim left out."""
    claims = {}
    for image, caption in zip(images_u8, captions):
        for kind, results in detector.check(image, caption).items():
            claims.setdefault(kind, []).extend(results)
    return {kind: round(100 * sum(r) / len(r), 1) for kind, r in claims.items() if r}


def relation_accuracy(model, opt, seed=0, guidance=3.0):
    out = {}
    for name, drawn in (("relation captions", relation_scenes()), ("one-object captions", one_object_scenes())):
        captions = [scene["caption"].lower() for scene in drawn]
        images = sample.sample_base(model, opt, captions, guidance, "50", seed=seed)
        out[name] = score(sample.to_u8(images), captions)
    return out


def x0_at(model, opt, captions, noise, t):
    """The x0 prediction at step t for each caption from x_t = noise at that level (a mid-gray image's
    x_t); noise is [1 or len(captions), 3, S, S]."""
    diffusion = GaussianDiffusion.create(opt["noise_schedule"], opt["diffusion_steps"])
    tokens, mask = sample.tokens_for(captions, opt["text_ctx"], CaptionTokenizer())
    steps = torch.full((len(captions),), t)
    x_t = noise.expand(len(captions), -1, -1, -1) * diffusion.sqrt_one_minus_alphas_cumprod[t]
    with torch.no_grad():
        eps = model(x_t, steps, tokens=tokens, mask=mask)[:, :3]
    return diffusion.predict_xstart_from_eps(x_t, steps, eps).clamp(-1, 1)


def colour_centre(image_u8, colour, spread=40.0):
    """(x, y) in [0, 1) of an HxWx3 image's mass near a palette colour, weighted by closeness."""
    reference = np.array(scenes.COLOURS[colour], float)
    weight = np.exp(-((image_u8.astype(float) - reference) ** 2).sum(-1) / (2 * spread ** 2))
    ys, xs = np.mgrid[0:image_u8.shape[0], 0:image_u8.shape[1]] / image_u8.shape[0]
    return (weight * xs).sum() / weight.sum(), (weight * ys).sum() / weight.sum()


def x0_order(model, opt, t=900, noises=8):
    """{relation: (mean second-minus-first x, mean second-minus-first y)} over ORDER_PAIRS x noises."""
    items = [(f"a {a} {sa} {rel} a {b} {sb}", a, b, rel) for a, sa, b, sb in ORDER_PAIRS for rel in RELATIONS]
    s = opt["image_size"]
    noise = torch.randn(noises, 3, s, s, generator=torch.Generator().manual_seed(0))
    images = sample.to_u8(x0_at(model, opt, [item[0] for item in items] * noises,
                                noise.repeat_interleave(len(items), dim=0), t))
    gaps = {rel: [] for rel in RELATIONS}
    for (_, first, second, rel), image in zip(items * noises, images):
        (x1, y1), (x2, y2) = colour_centre(image, first), colour_centre(image, second)
        gaps[rel].append((x2 - x1, y2 - y1))
    return {rel: tuple(float(v) for v in np.mean(g, axis=0)) for rel, g in gaps.items()}


def eps_mean_slopes(model, opt, ts=(999, 900, 600), images=64, seed=0):
    """{t: slope} on one batch of training scenes, fresh noise for each t in turn."""
    torch.manual_seed(seed)
    x0, kw = train.Batcher("base", opt, 99, p_empty_caption=0.0, p_zero_mask=1.0)(images)
    diffusion = GaussianDiffusion.create(opt["noise_schedule"], opt["diffusion_steps"])
    slopes = {}
    for t in ts:
        steps = torch.full((images,), t)
        noise = torch.randn_like(x0)
        with torch.no_grad():
            eps = model(diffusion.q_sample(x0, steps, noise), steps, **kw)[:, :3]
        true_mean, predicted_mean = noise.mean((2, 3)).flatten(), eps.mean((2, 3)).flatten()
        slopes[t] = ((true_mean * predicted_mean).sum() / (true_mean ** 2).sum()).item()
    return slopes


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--seeds", default="0", help="sampling seeds for the relation accuracy")
    ap.add_argument("--skip-sampling", action="store_true", help="only the x0 order and the eps-mean slope")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for run in args.runs:
        model, opt, path = sample.load(run)
        report = {"checkpoint": path}
        if not args.skip_sampling:
            report["accuracy"] = {seed: relation_accuracy(model, opt, int(seed)) for seed in args.seeds.split(",")}
        report["x0 order at t=900"] = {rel: [round(v, 3) for v in gap] for rel, gap in x0_order(model, opt).items()}
        report["eps-mean slope"] = {t: round(v, 3) for t, v in eps_mean_slopes(model, opt).items()}
        print(json.dumps(report, indent=1), flush=True)


if __name__ == "__main__":
    main()
