"""Train GLIDE-mini's noised CLIP: image and text encoders in the official noised-CLIP layout.

    nice -n 19 /usr/bin/python3 native-models/training/train_clip.py --out native-models/training/runs/clip \
        --minutes 55 --seed 201

Objective: CLIP's symmetric contrastive loss between scene images and their captions, the images
noised by GLIDE-mini base's schedule (squaredcos_cap_v2, 1000 steps) at a uniform random timestep
each, the image encoder told the timestep (`w_t`), as GLIDE's noised CLIP. Pairs in a batch with the
same caption are not counted as negatives of each other. The temperature is learned (capped at 100)
and written to config.yaml as `logit_scale`, the factor the guidance objective uses.

Writes into --out: config.yaml (the official CLIP config format), image_enc.pt and text_enc.pt
(EMA weights, `torch.save(state_dict)`, float32, the released checkpoints' key names), recipe.json,
train.log, loss.csv, eval.json, and latest_*.pt snapshots during training.
"""
import argparse
import copy
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenes  # noqa: E402
from clip_eval import evaluate, one_word_changed  # noqa: E402
from clip_model import ClipPair, config_yaml, count_parameters, read_config  # noqa: E402
from clip_tokenizer import ClipTokenizer  # noqa: E402
from diffusion import GaussianDiffusion  # noqa: E402

MINI_CONFIG = {
    "logit_scale": 100.0, "beta_schedule": "squaredcos_cap_v2", "n_timesteps": 1000, "image_size": 32,
    "patch_size": 4, "n_vocab": 49408, "max_text_len": 77, "n_embd": 64,
    "n_head_state_text": 16, "n_head_text": 3, "n_xf_blocks_text": 3,
    "n_head_state_image": 16, "n_head_image": 3, "n_xf_blocks_image": 3,
}
MAX_LOGIT_SCALE = 100.0


class PairBatches(torch.utils.data.IterableDataset):
    """Endless batches of (images [N,3,32,32] in [-1, 1], tokens [N,L], lens [N], caption keys)."""

    def __init__(self, seed, batch, relation_share, hard_negatives=False):
        super().__init__()
        self.seed, self.batch, self.relation_share = seed, batch, relation_share
        self.hard_negatives = hard_negatives

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        rng = random.Random(self.seed * 1000 + (info.id if info is not None else 0))
        tokenizer = ClipTokenizer()
        while True:
            sc = [scenes.sample_scene(rng, relation_share=self.relation_share) for _ in range(self.batch)]
            u8 = np.stack([scenes.downscale(scenes.render(s, 128), 4) for s in sc])
            images = torch.from_numpy(u8).permute(0, 3, 1, 2).float() / 127.5 - 1.0
            pairs = [tokenizer.padded_tokens_and_len(s["caption"]) for s in sc]
            lens = torch.tensor([p[1] for p in pairs])
            tokens = torch.tensor([p[0] for p in pairs])[:, :int(lens.max())]
            keys = [s["caption"].lower() for s in sc]
            if not self.hard_negatives:
                yield images, tokens, lens, keys
                continue
            changed = [one_word_changed(s["caption"], rng) for s in sc]
            changed = [c for c in changed if c is not None]
            pairs = [tokenizer.padded_tokens_and_len(c) for c in changed]
            hard_lens = torch.tensor([p[1] for p in pairs])
            hard_tokens = torch.tensor([p[0] for p in pairs])[:, :int(hard_lens.max())]
            yield images, tokens, lens, keys, hard_tokens, hard_lens, changed


def batches(seed, batch, relation_share, workers, hard_negatives=False):
    data = PairBatches(seed, batch, relation_share, hard_negatives)
    if workers == 0:
        return iter(data)
    return iter(torch.utils.data.DataLoader(data, batch_size=None, num_workers=workers, prefetch_factor=4,
                                            persistent_workers=True))


def contrastive_loss(z_image, z_text, log_scale, keys, z_hard=None, hard_keys=()):
    """Symmetric cross-entropy over the batch's image-caption similarities; a pair with the same
    caption as the row's own is left out of that row's negatives. z_hard: extra captions (each a
    scene caption with one word changed) that every image must rank below its own; they join the
    image-to-text side only."""
    logits = log_scale.exp() * z_image @ z_text.T
    n = len(keys)
    ids = {key: i for i, key in enumerate(keys)}
    caption_id = torch.tensor([ids[key] for key in keys])
    same = (caption_id[:, None] == caption_id[None, :]) & ~torch.eye(n, dtype=torch.bool)
    logits = logits.masked_fill(same, float("-inf"))
    target = torch.arange(n)
    image_side = logits
    if z_hard is not None and len(hard_keys):
        hard = log_scale.exp() * z_image @ z_hard.T
        hard_id = torch.tensor([ids.get(key.lower(), -1) for key in hard_keys])
        hard = hard.masked_fill(caption_id[:, None] == hard_id[None, :], float("-inf"))
        image_side = torch.cat([logits, hard], dim=1)
    loss = (F.cross_entropy(image_side, target) + F.cross_entropy(logits.T, target)) / 2
    accuracy = float((image_side.argmax(1) == target).float().mean())
    return loss, accuracy


def training_step(model, log_scale, diffusion, batch, generator):
    images, tokens, lens, keys = batch[:4]
    t = torch.randint(0, diffusion.num_timesteps, (images.shape[0],), generator=generator)
    noise = torch.randn(images.shape, generator=generator)
    xt = diffusion.q_sample(images, t, noise)
    z_hard, hard_keys = None, ()
    if len(batch) > 4:
        hard_tokens, hard_lens, hard_keys = batch[4:]
        z_hard = model.text_embeddings(hard_tokens, hard_lens)
    return contrastive_loss(model.image_embeddings(xt, t), model.text_embeddings(tokens, lens), log_scale, keys,
                            z_hard, hard_keys)


def save_pair(model, out, prefix, logit_scale):
    cfg = dict(model.cfg, logit_scale=round(float(logit_scale), 4))
    torch.save(model.image_encoder.state_dict(), os.path.join(out, prefix + "image_enc.pt"))
    torch.save(model.text_encoder.state_dict(), os.path.join(out, prefix + "text_enc.pt"))
    with open(os.path.join(out, "config.yaml"), "w") as f:
        f.write(config_yaml(cfg))
    return cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=55)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0: the time budget)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--ema", type=float, default=0.998)
    ap.add_argument("--seed", type=int, default=201)
    ap.add_argument("--relation-share", type=float, default=0.3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--eval-n", type=int, default=256)
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                    help="config overrides (integers), e.g. patch_size=8")
    ap.add_argument("--init", default="", help="a run or checkpoint folder to go on from (its config wins)")
    ap.add_argument("--hard-negatives", action="store_true",
                    help="each caption with one word changed (colour, shape or side) as an extra negative")
    args = ap.parse_args()
    config = dict(MINI_CONFIG) if not args.init else read_config(os.path.join(args.init, "config.yaml"))
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in config or not isinstance(config[key], int):
            raise SystemExit(f"not an integer config key: {key}")
        config[key] = int(value)

    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    model = ClipPair(config)
    if args.init:
        model.image_encoder.load_state_dict(torch.load(os.path.join(args.init, "image_enc.pt")))
        model.text_encoder.load_state_dict(torch.load(os.path.join(args.init, "text_enc.pt")))
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    start_scale = read_config(os.path.join(args.init, "config.yaml"))["logit_scale"] if args.init else 1 / 0.07
    log_scale = torch.nn.Parameter(torch.tensor(math.log(start_scale)))
    diffusion = GaussianDiffusion.create(config["beta_schedule"], config["n_timesteps"])
    optimizer = torch.optim.AdamW(list(model.parameters()) + [log_scale], lr=args.lr, weight_decay=0.0)
    generator = torch.Generator().manual_seed(args.seed)
    stream = batches(args.seed, args.batch, args.relation_share, args.workers, args.hard_negatives)

    log = open(os.path.join(args.out, "train.log"), "a")
    loss_csv = open(os.path.join(args.out, "loss.csv"), "w")
    loss_csv.write("step,loss,batch_accuracy,logit_scale,seconds\n")

    def say(msg):
        line = time.strftime("%H:%M:%S ") + msg
        print(line, flush=True)
        log.write(line + "\n")
        log.flush()

    recipe = {"command": "train_clip.py " + " ".join(sys.argv[1:]), "seed": args.seed, "batch": args.batch,
              "init": args.init, "hard_negatives": args.hard_negatives,
              "lr": args.lr, "warmup": args.warmup, "ema": args.ema, "relation_share": args.relation_share,
              "lr_schedule": "linear warmup, then cosine over the budget down to 10%",
              "objective": "symmetric contrastive image-caption loss on x_t, t uniform over 0..999 "
                           "(squaredcos_cap_v2), learned temperature capped at 100",
              "config": config,
              "parameters": {"image": count_parameters(model.image_encoder),
                             "text": count_parameters(model.text_encoder)},
              "torch": torch.__version__, "threads": args.threads, "workers": args.workers}
    say(json.dumps(recipe))
    budget = args.minutes * 60
    start = last_snapshot = time.time()
    step, smooth = 0, None
    while True:
        elapsed = time.time() - start
        if elapsed >= budget or (args.max_steps and step >= args.max_steps):
            break
        frac = elapsed / budget if not args.max_steps else step / args.max_steps
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss, accuracy = training_step(model, log_scale, diffusion, next(stream), generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(model.parameters()) + [log_scale], 1.0)
        optimizer.step()
        with torch.no_grad():
            log_scale.clamp_(max=math.log(MAX_LOGIT_SCALE))
            decay = min(args.ema, (1 + step) / (10 + step))
            for pe, pm in zip(ema.parameters(), model.parameters()):
                pe.mul_(decay).add_(pm, alpha=1 - decay)
        step += 1
        smooth = float(loss) if smooth is None else 0.98 * smooth + 0.02 * float(loss)
        loss_csv.write(f"{step},{float(loss):.5f},{accuracy:.4f},{float(log_scale.exp()):.3f},"
                       f"{time.time() - start:.1f}\n")
        if step % 50 == 0:
            loss_csv.flush()
            say(f"step {step} loss {smooth:.4f} batch-acc {accuracy:.3f} scale {float(log_scale.exp()):.2f} "
                f"lr {lr:.2e} {(time.time() - start) / step:.3f} s/step")
        if time.time() - last_snapshot > 600:
            save_pair(ema, args.out, "latest_", log_scale.exp())
            last_snapshot = time.time()
    wall = time.time() - start
    cfg = save_pair(ema, args.out, "", log_scale.exp())
    say(f"done: {step} steps in {wall:.0f} s; logit_scale {cfg['logit_scale']}")
    recipe.update(steps=step, wall_time_s=round(wall), final_logit_scale=cfg["logit_scale"],
                  images_seen=step * args.batch)
    with open(os.path.join(args.out, "recipe.json"), "w") as f:
        json.dump(recipe, f, indent=1)
    ema.cfg = cfg
    result = evaluate(ema, ClipTokenizer(), n=args.eval_n)
    say("eval " + json.dumps(result))
    with open(os.path.join(args.out, "eval.json"), "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
