"""Quick PyTorch-only sampler for GLIDE-mini checkpoints (no ONNX, no app).

Text to image: base(-inpaint) model with an all-zero mask, classifier-free guidance, ancestral
sampling over respaced steps; optionally the x4 upsample(-inpaint) model (DDIM "fast27", noise
temperature 0.997, low_res quantised to 8 bits, like the GLIDE notebook).
Inpainting: the known region (mask 1 = keep) is forced back into every pred_x0.

    /usr/bin/python3 native-models/training/sample.py --base native-models/training/runs/base \
        --upsample native-models/training/runs/upsample --guidance 1,2,3,5 --out /tmp/samples

writes PNGs plus items.json (the input of native-models/eval/score.py) and prints the table.
"""
import argparse
import json
import os
import random
import sys
import time

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenes  # noqa: E402
from diffusion import GaussianDiffusion, guided_model_fn  # noqa: E402
from glide_model import create_model  # noqa: E402
from tokenizer import CaptionTokenizer  # noqa: E402


def load(run_dir, ckpt=None):
    with open(os.path.join(run_dir, "options.json")) as f:
        opt = json.load(f)
    path = ckpt or next(p for p in (os.path.join(run_dir, n) for n in ("final.pt", "latest.pt")) if os.path.exists(p))
    model = create_model(**opt)
    model.load_state_dict(torch.load(path, map_location="cpu"), strict=True)
    return model.eval(), opt, path


def to_u8(x):
    """[N,3,H,W] in [-1,1] -> uint8 [N,H,W,3]."""
    return ((x + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def from_u8(u8):
    return torch.from_numpy(np.ascontiguousarray(u8)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def tokens_for(captions, ctx, tok):
    toks, masks = zip(*(tok.padded_tokens_and_mask(c, ctx) for c in captions))
    return torch.tensor(toks), torch.tensor(masks)


def sample_base(model, opt, captions, guidance, respacing="50", seed=0, inpaint_image=None, inpaint_mask=None):
    """Guided ancestral sampling. inpaint_image/mask: [N,3,S,S] / [N,1,S,S] (mask 1 = keep) or None."""
    tok = CaptionTokenizer()
    n, s = len(captions), opt["image_size"]
    t_c, m_c = tokens_for(captions, opt["text_ctx"], tok)
    t_u, m_u = tokens_for([""] * n, opt["text_ctx"], tok)
    kw = {"tokens": torch.cat([t_c, t_u]), "mask": torch.cat([m_c, m_u])}
    denoised_fn = None
    if opt.get("inpaint"):
        if inpaint_image is None:
            inpaint_image = torch.zeros(n, 3, s, s)
            inpaint_mask = torch.zeros(n, 1, s, s)
        else:
            ii, im = inpaint_image, inpaint_mask
            denoised_fn = lambda x0: x0 * (1 - torch.cat([im, im])) + torch.cat([ii, ii]) * torch.cat([im, im])  # noqa
        kw["inpaint_image"] = torch.cat([inpaint_image, inpaint_image])
        kw["inpaint_mask"] = torch.cat([inpaint_mask, inpaint_mask])
    diff = GaussianDiffusion.create(opt["noise_schedule"], opt["diffusion_steps"], respacing)
    g = torch.Generator().manual_seed(seed)
    x_T = torch.randn(n, 3, s, s, generator=g)
    fn = guided_model_fn(model, guidance, **kw)
    out = diff.sample_loop(fn, None, x_T=torch.cat([x_T, x_T]), generator=g, denoised_fn=denoised_fn)
    return out[:n]


def sample_upsample(model, opt, captions, low_res, respacing="fast27", seed=0, temp=0.997,
                    inpaint_image=None, inpaint_mask=None, ddim=True, start_t=None):
    """GLIDE notebook upsampling (DDIM over fast27 from noise x temperature). With start_t, sampling
    starts instead from the bilinear upsample of low_res noised to timestep start_t (SDEdit-style),
    which keeps a briefly trained upsampler's colours anchored to low_res."""
    tok = CaptionTokenizer()
    n, s = len(captions), opt["image_size"]
    t_c, m_c = tokens_for(captions, opt["text_ctx"], tok)
    low_res = from_u8(to_u8(low_res))  # quantise to 8 bits, as the notebook
    kw = {"tokens": t_c, "mask": m_c, "low_res": low_res}
    denoised_fn = None
    if opt.get("inpaint"):
        if inpaint_image is None:
            inpaint_image = torch.zeros(n, 3, s, s)
            inpaint_mask = torch.zeros(n, 1, s, s)
        else:
            ii, im = inpaint_image, inpaint_mask
            denoised_fn = lambda x0: x0 * (1 - im) + ii * im  # noqa
        kw["inpaint_image"], kw["inpaint_mask"] = inpaint_image, inpaint_mask
    diff = GaussianDiffusion.create(opt["noise_schedule"], opt["diffusion_steps"], respacing, max_timestep=start_t)
    g = torch.Generator().manual_seed(seed + 1)
    x_T = torch.randn(n, 3, s, s, generator=g) * temp
    if start_t is not None:
        up = torch.nn.functional.interpolate(low_res, (s, s), mode="bilinear", align_corners=False)
        if inpaint_mask is not None:
            up = up * (1 - inpaint_mask) + inpaint_image * inpaint_mask
        last = torch.full((n,), diff.num_timesteps - 1, dtype=torch.long)
        x_T = diff.q_sample(up, last, x_T / temp)
    fn = lambda x, ts: model(x, ts, **kw)  # noqa
    return diff.sample_loop(fn, None, x_T=x_T, generator=g, ddim=ddim, denoised_fn=denoised_fn)


def inpaint_cases(n, seed=4321):
    """Rendered single/two-object scenes; one object is boxed out (mask 0) and the caption asks for
    a different colour x shape at the same place."""
    rng = random.Random(seed)
    cases = []
    while len(cases) < n:
        s = scenes.sample_scene(rng)
        if len(s["objects"]) > 2:
            continue
        o = s["objects"][0]
        colour = rng.choice([c for c in scenes.COLOURS if c != o["colour"]
                             and scenes.COLOURS[c] != scenes.BACKGROUNDS[s["background"]]
                             and all(c != p["colour"] for p in s["objects"])])
        shape = rng.choice([sh for sh in scenes.SHAPES if sh != o["shape"]])
        new = dict(o, colour=colour, shape=shape)
        new_scene = dict(s, objects=[new] + s["objects"][1:])
        cap = scenes.describe(new, rng, with_size=False, with_pos=True)
        if len(s["objects"]) > 1:
            cap += " and " + scenes.describe(dict(s["objects"][1]), rng, with_size=False, with_pos=True)
        cap += f" on {scenes._article(s['background'])} {s['background']} background"
        r = o["r"] * 1.7
        box = (o["x"] - r, o["y"] - r, o["x"] + r, o["y"] + r)
        cases.append({"scene": s, "target": new_scene, "caption": cap, "box": box})
    return cases


def box_mask(box, size):
    m = np.ones((size, size), np.float32)
    x0, y0, x1, y1 = [int(round(v * size)) for v in box]
    m[max(y0, 0):min(y1, size), max(x0, 0):min(x1, size)] = 0
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="run dir with options.json and final.pt/latest.pt")
    ap.add_argument("--base-ckpt", default=None)
    ap.add_argument("--upsample", default="", help="run dir of the upsampler (optional)")
    ap.add_argument("--upsample-ckpt", default=None)
    ap.add_argument("--guidance", default="1,2,3,5")
    ap.add_argument("--respacing", default="50")
    ap.add_argument("--up-respacing", default="fast27")
    ap.add_argument("--upsample-guidance", default="", help="guidances whose samples are also upsampled (default: all)")
    ap.add_argument("--up-start", type=int, default=None,
                    help="start the upsampler from the noised bilinear low_res at this timestep (default: from noise)")
    ap.add_argument("--samples", type=int, default=1, help="samples per prompt")
    ap.add_argument("--prompts", type=int, default=0, help="use only the first N evaluation prompts")
    ap.add_argument("--inpaint", type=int, default=16, help="number of inpainting cases (0: none)")
    ap.add_argument("--inpaint-guidance", type=float, default=5.0)
    ap.add_argument("--out", default="/tmp/glide-mini-samples")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    sys.path.insert(0, os.path.join(HERE, "..", "eval"))
    import score

    base, bopt, bpath = load(args.base, args.base_ckpt)
    up = uopt = None
    if args.upsample:
        up, uopt, upath = load(args.upsample, args.upsample_ckpt)
    print(f"base {bpath}" + (f", upsampler {upath}" if up is not None else ""), flush=True)
    os.makedirs(args.out, exist_ok=True)
    prompts = scenes.eval_prompts()
    if args.prompts:
        prompts = prompts[:args.prompts]
    captions = [p["caption"] for p in prompts for _ in range(args.samples)]
    items = []
    up_g = [float(v) for v in args.upsample_guidance.split(",")] if args.upsample_guidance else None
    for g in [float(v) for v in args.guidance.split(",")]:
        t0 = time.time()
        x = sample_base(base, bopt, captions, g, args.respacing, seed=args.seed)
        outs = [("base", x)]
        if up is not None and (up_g is None or g in up_g):
            outs.append(("upsampled", sample_upsample(up, uopt, captions, x, args.up_respacing, seed=args.seed,
                                                             start_t=args.up_start)))
        for group, xx in outs:
            for i, (c, im) in enumerate(zip(captions, to_u8(xx))):
                p = os.path.join(args.out, f"t2i_{group}_g{g:g}_{i:03d}.png")
                Image.fromarray(im).save(p)
                held = prompts[i // args.samples]["held_out"]
                items.append({"image": p, "caption": c, "kind": "text2im", "guidance": g,
                              "group": f"{group}{'-heldout' if held else ''}", "held_out": held})
        print(f"guidance {g:g}: {len(captions)} prompts in {time.time() - t0:.0f}s", flush=True)
    if args.inpaint:
        cases = inpaint_cases(args.inpaint, seed=4321 + args.seed)
        S = bopt["image_size"]
        full = np.stack([scenes.render(c["scene"], 128) for c in cases])
        src = np.stack([scenes.downscale(f, 128 // S) for f in full]) if S < 128 else full
        m = np.stack([box_mask(c["box"], S) for c in cases])[:, None]
        caps = [c["caption"] for c in cases]
        t0 = time.time()
        x = sample_base(base, bopt, caps, args.inpaint_guidance, args.respacing, seed=args.seed,
                        inpaint_image=from_u8(src) * torch.from_numpy(m), inpaint_mask=torch.from_numpy(m))
        src_out, m_out = src, m
        if up is not None:
            mf = np.stack([box_mask(c["box"], 128) for c in cases])[:, None]
            x = sample_upsample(up, uopt, caps, x, args.up_respacing, seed=args.seed, start_t=args.up_start,
                                inpaint_image=from_u8(full) * torch.from_numpy(mf), inpaint_mask=torch.from_numpy(mf))
            src_out, m_out = full, mf
        for i, (c, im) in enumerate(zip(caps, to_u8(x))):
            p = os.path.join(args.out, f"inpaint_{i:03d}.png")
            sp = os.path.join(args.out, f"inpaint_{i:03d}_source.png")
            mp = os.path.join(args.out, f"inpaint_{i:03d}_mask.png")
            Image.fromarray(im).save(p)
            Image.fromarray(src_out[i]).save(sp)
            Image.fromarray((m_out[i, 0] * 255).astype(np.uint8)).save(mp)
            items.append({"image": p, "caption": c, "kind": "inpaint", "source": sp, "mask": mp,
                          "guidance": args.inpaint_guidance, "group": "upsampled" if up is not None else "base"})
        print(f"inpainting: {len(caps)} images in {time.time() - t0:.0f}s", flush=True)
    with open(os.path.join(args.out, "items.json"), "w") as f:
        json.dump(items, f, indent=1)
    print(score.table(score.score(items)))


if __name__ == "__main__":
    main()
