"""Train a GLIDE-mini model (base-inpaint 32px or x4 upsample-inpaint 32->128) on the CPU or a GPU.

    /usr/bin/python3 native-models/training/train.py --model base --minutes 140 \
        --out native-models/training/runs/base

Writes into --out: options.json (glide-text2im options), recipe.json, train.log, loss.csv,
latest.pt (EMA weights, refreshed during training) and final.pt (EMA weights at the end):
`torch.save(model.state_dict())`, float32, the official checkpoint format.
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenes  # noqa: E402
from diffusion import GaussianDiffusion  # noqa: E402
from glide_model import AttentionBlock, create_model  # noqa: E402
from grow import load_grown  # noqa: E402
from masks import random_mask  # noqa: E402
from tokenizer import CaptionTokenizer  # noqa: E402

COMMON = dict(
    num_heads=1, num_heads_upsample=-1, dropout=0.0, text_ctx=40, xf_width=64, xf_layers=3,
    xf_heads=4, xf_final_ln=True, xf_padding=True, diffusion_steps=1000, timestep_respacing="",
    use_scale_shift_norm=True, resblock_updown=True, use_fp16=False, cache_text_emb=False, inpaint=True,
)
OPTIONS = {
    # channel_mult starts at 2: GroupNorm's 32 groups need two channels each at the output level,
    # or the model cannot set an image's overall colour (see widen.py)
    "base": dict(COMMON, image_size=32, num_channels=32, num_res_blocks=1, channel_mult="2,2,2",
                 num_head_channels=32, attention_resolutions="8", noise_schedule="squaredcos_cap_v2",
                 super_res=False),
    "upsample": dict(COMMON, image_size=128, num_channels=32, num_res_blocks=1, channel_mult="2,1,2",
                     num_head_channels=32, attention_resolutions="32", noise_schedule="linear",
                     super_res=True),
}
FULL_RES = 128


def with_overrides(options, items):
    """A copy of an option dict with KEY=VALUE overrides, each value of its option's type."""
    options = dict(options)
    for item in items:
        key, _, value = item.partition("=")
        if key not in options:
            raise SystemExit(f"unknown option {key}")
        options[key] = type(options[key])(value)
    return options  # scenes are rendered at the upsampler's resolution


def to_tensor(u8):
    """uint8 [N,H,W,3] -> float32 [N,3,H,W] in [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(u8)).permute(0, 3, 1, 2).float() / 127.5 - 1.0


class Batcher:
    def __init__(self, kind, options, seed, p_empty_caption=0.2, p_zero_mask=0.4, crop=48, layout_labels=False,
                 relation_share=0.0, token_sides=False):
        self.kind, self.opt = kind, options
        self.relation_share = relation_share
        self.rng = random.Random(seed)
        self.tok = CaptionTokenizer()
        self.p_empty, self.p_zero, self.crop = p_empty_caption, p_zero_mask, crop
        self.layout_labels = layout_labels
        self.token_sides = token_sides

    def __call__(self, n):
        rng, ctx = self.rng, self.opt["text_ctx"]
        hi, caps = [], []
        sc = []
        for _ in range(n):
            s = scenes.sample_scene(rng, relation_share=self.relation_share)
            sc.append(s)
            hi.append(scenes.render(s, FULL_RES))
            caps.append("" if rng.random() < self.p_empty else s["caption"])
        hi = np.stack(hi)
        lo = np.stack([scenes.downscale(h, 4) for h in hi])
        toks, masks = zip(*(self.tok.padded_tokens_and_mask(c, ctx) for c in caps))
        batch = {"tokens": torch.tensor(toks, dtype=torch.long), "mask": torch.tensor(masks, dtype=torch.bool)}
        if self.kind == "base":
            x0 = to_tensor(lo)
            size = lo.shape[1]
        else:
            c, cl = self.crop, self.crop // 4
            xs, ls, crops = [], [], []
            for h, l in zip(hi, lo):
                if c < FULL_RES:
                    i, j = rng.randrange(0, (FULL_RES - c) // 4 + 1), rng.randrange(0, (FULL_RES - c) // 4 + 1)
                else:
                    i = j = 0
                xs.append(h[i * 4:i * 4 + c, j * 4:j * 4 + c])
                ls.append(l[i:i + cl, j:j + cl])
                crops.append((i * 4, j * 4))
            x0 = to_tensor(np.stack(xs))
            batch["low_res"] = to_tensor(np.stack(ls))  # already 8-bit, as at inference
            size = FULL_RES
        ms = []
        for k, s in enumerate(sc):
            if rng.random() < self.p_zero:
                m = np.zeros((size, size), np.float32)
            else:
                m = random_mask(rng, size, s)
            if self.kind != "base" and self.crop < FULL_RES:
                i, j = crops[k]
                m = m[i:i + self.crop, j:j + self.crop]
            ms.append(m)
        m = torch.from_numpy(np.stack(ms))[:, None]
        batch["inpaint_mask"] = m
        batch["inpaint_image"] = x0 * m
        if self.layout_labels:
            batch["layout_labels"] = torch.tensor([layout_labels(s, c) for s, c in zip(sc, caps)], dtype=torch.long)
        if self.token_sides:
            batch["token_sides"] = torch.tensor([token_sides(s, c, self.tok, ctx) for s, c in zip(sc, caps)],
                                                dtype=torch.long)
        return x0, batch


POSITION_NAMES = list(scenes.POSITIONS)
COLOUR_NAMES, SHAPE_NAMES = list(scenes.COLOURS), scenes.SHAPES
IGNORE = -100


def layout_labels(scene, caption):
    """(position, relation, lead colour, lead shape) classes of what a caption says about layout, for
    the --layout-aux heads.

    position: the index of the single object's stated position, len(POSITION_NAMES) when the caption
    states none; relation: the index of the stated relation, len(RELATIONS) for a two-object caption
    without one. Lead colour and shape bind the relation to its objects: for a stated relation, the
    colour (shape) of the object on the left, or for "above"/"below" of the one on top, offset by the
    number of colours (shapes) for the vertical relations. IGNORE where a label does not apply (empty
    caption, other object counts, no stated relation)."""
    objects = scene["objects"]
    if not caption:
        return IGNORE, IGNORE, IGNORE, IGNORE
    position = IGNORE
    if len(objects) == 1:
        said = objects[0]["position_said"]
        position = POSITION_NAMES.index(objects[0]["position"]) if said else len(POSITION_NAMES)
    relation = lead_colour = lead_shape = IGNORE
    if len(objects) == 2 and not scene["relation"]:
        relation = len(scenes.RELATIONS)
    elif len(objects) == 2:
        relation = scenes.RELATIONS.index(scene["relation"])
        first, second = objects
        vertical, first_leads = relation_axis(scene["relation"])
        lead = first if first_leads else second
        lead_colour = vertical * len(COLOUR_NAMES) + COLOUR_NAMES.index(lead["colour"])
        lead_shape = vertical * len(SHAPE_NAMES) + SHAPE_NAMES.index(lead["shape"])
    return position, relation, lead_colour, lead_shape


def relation_axis(relation):
    """(vertical, first_leads) of "A <relation> B": whether the relation is above/below, and whether A
    is the object on the left (or on top)."""
    return relation in ("above", "below"), relation in ("left of", "above")


SIDE_NAMES = ["left", "right", "top", "bottom"]


def token_sides(scene, caption, tokenizer, text_ctx):
    """Per caption token, the side (index into SIDE_NAMES) of the object whose description the token
    belongs to, for a caption that states a relation; IGNORE for the relation phrase, a stated
    background, padding and every token of other captions. The --token-side-aux head reads these from
    the text transformer's per-token outputs, which the U-Net's attention blocks attend to."""
    labels = [IGNORE] * text_ctx
    relation = scene["relation"]
    if not caption or not relation:
        return labels
    lower = caption.lower()
    phrase = next(f" {p} " for p in scenes.REL_PHRASES[relation] if f" {p} " in lower)
    split = lower.index(phrase)
    tail = lower.find(" on a", split)
    vertical, first_leads = relation_axis(relation)
    first_side, second_side = 2 * vertical + (not first_leads), 2 * vertical + first_leads
    a_end = len(tokenizer.encode(caption[:split]))
    b_start = len(tokenizer.encode(caption[:split + len(phrase) - 1]))
    b_end = len(tokenizer.encode(caption[:tail])) if tail >= 0 else len(tokenizer.encode(caption))
    for k in range(min(a_end, text_ctx)):
        labels[k] = first_side
    for k in range(b_start, min(b_end, text_ctx)):
        labels[k] = second_side
    return labels


class TokenSideHead(torch.nn.Module):
    """Training-only classifier of token_sides from the text transformer's per-token outputs; saved
    beside a run's checkpoints (FILE), like LayoutHeads."""

    FILE = "token_side_head.pt"

    def __init__(self, width):
        super().__init__()
        self.side = torch.nn.Linear(width, len(SIDE_NAMES))

    def loss(self, xf_out, labels):
        logits = self.side(xf_out.permute(0, 2, 1))
        if not (labels != IGNORE).any():
            return logits.sum() * 0
        return torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)


class LayoutHeads(torch.nn.Module):
    """Training-only classifiers of stated layout from the caption's xf_proj (see layout_labels).

    The U-Net can only place an object where the caption says once the text embedding tells
    positions apart, and the embedding gets no gradient to do so while the U-Net ignores it; these
    heads give the text encoder that gradient. They are saved beside the run's checkpoints (FILE), not
    in them, and a run resumed from that folder loads them from there (see load_head_beside)."""

    FILE = "layout_heads.pt"

    def __init__(self, width):
        super().__init__()
        self.position = torch.nn.Linear(width, len(POSITION_NAMES) + 1)
        self.relation = torch.nn.Linear(width, len(scenes.RELATIONS) + 1)
        self.lead_colour = torch.nn.Linear(width, 2 * len(COLOUR_NAMES))
        self.lead_shape = torch.nn.Linear(width, 2 * len(SHAPE_NAMES))

    def heads(self):
        return self.position, self.relation, self.lead_colour, self.lead_shape

    def loss(self, xf_proj, labels):
        ce = torch.nn.functional.cross_entropy
        loss = xf_proj.sum() * 0
        for i, head in enumerate(self.heads()):
            if (labels[:, i] != IGNORE).any():
                loss = loss + ce(head(xf_proj), labels[:, i], ignore_index=IGNORE)
        return loss


class BatchStream(torch.utils.data.IterableDataset):
    """Endless batches from a Batcher per data-loader worker (worker k seeds its own Batcher)."""

    def __init__(self, kind, options, seed, batch, **batcher_args):
        super().__init__()
        self.kind, self.options, self.seed, self.batch, self.batcher_args = kind, options, seed, batch, batcher_args

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        worker = info.id if info is not None else 0
        batcher = Batcher(self.kind, self.options, self.seed * 1000 + worker, **self.batcher_args)
        while True:
            yield batcher(self.batch)


def batch_source(kind, options, seed, batch, workers, pin_memory=False, **batcher_args):
    """An iterator of (x0, model kwargs); with workers > 0 the scenes are drawn in that many processes."""
    if workers == 0:
        batcher = Batcher(kind, options, seed, **batcher_args)
        return iter(lambda: batcher(batch), None)
    stream = BatchStream(kind, options, seed, batch, **batcher_args)
    return iter(torch.utils.data.DataLoader(stream, batch_size=None, num_workers=workers, pin_memory=pin_memory,
                                            prefetch_factor=4, persistent_workers=True))


TEXT_ENCODER_PREFIXES = ("token_embedding", "positional_embedding", "padding_embedding", "transformer.", "final_ln")
TRAINED_PARTS = ("all", "unet", "attention", "text-attention")


def frozen_parameters(model, trained):
    """The parameters that --train `trained` keeps fixed."""
    if trained == "all":
        return []
    if trained == "unet":
        return [p for name, p in model.named_parameters() if name.startswith(TEXT_ENCODER_PREFIXES)]
    learning = {id(p) for m in model.modules() if isinstance(m, AttentionBlock) for p in m.parameters()}
    if trained == "text-attention":
        learning |= {id(p) for name, p in model.named_parameters() if name.startswith(TEXT_ENCODER_PREFIXES)}
    return [p for p in model.parameters() if id(p) not in learning]


def load_head_beside(init, head, strict=True, fresh=False):
    """Loads a training-only head from its FILE in the folder of the --init checkpoint. When the file
    is missing a resumed run stops (SystemExit) unless fresh, which leaves the head untrained: an
    untrained head's weighted loss starts near seventeen times the diffusion loss, and its gradient
    undoes what the text encoder had learned."""
    if not init or head is None:
        return
    path = os.path.join(os.path.dirname(init), type(head).FILE)
    if os.path.exists(path):
        head.load_state_dict(torch.load(path, map_location="cpu"), strict=strict)
    elif not fresh:
        sys.exit(f"{path} missing: put the head file beside --init, or pass --fresh-heads to start it untrained")


def cpu_state(module):
    """The state dict with every tensor on the CPU, so a checkpoint trained on a GPU loads anywhere."""
    return {k: v.detach().cpu() for k, v in module.state_dict().items()}


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["base", "upsample"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--minutes", type=float, default=140.0, help="wall-time budget")
    ap.add_argument("--max-steps", type=int, default=10 ** 9)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--crop", type=int, default=48, help="upsampler training crop (full res 128)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--workers", type=int, default=0, help="processes drawing scenes (0: in the training loop)")
    ap.add_argument("--save-every-min", type=float, default=10.0)
    ap.add_argument("--bench", type=int, default=0, help="only time this many steps")
    ap.add_argument("--init", default="", help="resume from a state dict")
    ap.add_argument("--t-high-frac", type=float, default=0.0,
                    help="share of each batch whose timesteps are drawn from [--t-high-min, T) instead of [0, T)")
    ap.add_argument("--t-high-min", type=int, default=300)
    ap.add_argument("--init-noise", type=float, default=0.0,
                    help="add Gaussian noise of this many standard deviations (per tensor) to the U-Net's weights")
    ap.add_argument("--lowfreq-weight", type=float, default=0.0,
                    help="weight of the block-averaged eps error (see diffusion.training_losses)")
    ap.add_argument("--layout-aux", type=float, default=0.0,
                    help="weight of the training-only layout classifiers on the text embedding")
    ap.add_argument("--relation-share", type=float, default=0.0,
                    help="share of scenes drawn as two objects in a stated relation, before the usual mix")
    ap.add_argument("--p-zero-mask", type=float, default=0.4, help="share of all-zero (text-to-image) masks")
    ap.add_argument("--train", choices=TRAINED_PARTS, default="all",
                    help="which weights learn: all; unet (the text transformer and its embeddings stay fixed, "
                         "the U-Net and its readers of the text, transformer_proj and encoder_kv, learn); "
                         "attention (only the U-Net's attention blocks, which read the caption's tokens); "
                         "text-attention (the text transformer, its embeddings and the attention blocks)")
    ap.add_argument("--token-side-aux", type=float, default=0.0,
                    help="weight of the training-only classifier of each caption token's object side (token_sides)")
    ap.add_argument("--fresh-heads", action="store_true",
                    help="start untrained the --layout-aux / --token-side-aux heads whose files are not beside "
                         "the --init checkpoint (without it a missing file stops the run)")
    ap.add_argument("--anchor-text", type=float, default=0.0,
                    help="weight of the squared change of xf_proj from the --init model's, relative to its size: "
                         "keeps what the ResBlocks read of the caption while the per-token outputs learn")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a model option, e.g. --set num_channels=64")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    opt = with_overrides(OPTIONS[args.model], args.set)
    model = create_model(**opt)
    fresh_blocks = load_grown(model, torch.load(args.init, map_location="cpu")) if args.init else []
    if args.init_noise:
        # Channels duplicated by widen.py get near-identical updates under Adam; noise on the U-Net's
        # weights lets the copies of a pair part.
        g = torch.Generator().manual_seed(args.seed)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if p.ndim > 1 and not name.startswith(("token_embedding", "transformer")) and p.std() > 0:
                    p.add_(torch.randn(p.shape, generator=g) * args.init_noise * p.std())
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    for p in frozen_parameters(model, args.train):
        p.requires_grad_(False)
    model.to(device)
    ema = copy.deepcopy(model).eval()
    for p in ema.parameters():
        p.requires_grad_(False)
    ema_params, model_params = list(ema.parameters()), list(model.parameters())
    diffusion = GaussianDiffusion.create(opt["noise_schedule"], opt["diffusion_steps"])
    batches = batch_source(args.model, opt, args.seed, args.batch, args.workers, pin_memory=device.type == "cuda",
                           p_zero_mask=args.p_zero_mask, crop=args.crop, layout_labels=bool(args.layout_aux),
                           relation_share=args.relation_share, token_sides=bool(args.token_side_aux))
    heads = LayoutHeads(model.model_channels * 4).to(device) if args.layout_aux else None
    load_head_beside(args.init, heads, strict=False, fresh=args.fresh_heads)  # older files lack the binding heads
    side_head = TokenSideHead(opt["xf_width"]).to(device) if args.token_side_aux else None
    load_head_beside(args.init, side_head, fresh=args.fresh_heads)
    anchor = copy.deepcopy(model).eval() if args.anchor_text else None
    aux_heads = [head for head in (heads, side_head) if head is not None]
    trained = [p for p in model.parameters() if p.requires_grad] + [p for head in aux_heads for p in head.parameters()]
    optim = torch.optim.AdamW(trained, lr=args.lr, weight_decay=0.0,
                              **({"fused": True} if device.type == "cuda" else {}))
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "train.log"), "a", buffering=1)

    def say(msg):
        line = time.strftime("%H:%M:%S ") + msg
        print(line, flush=True)
        log.write(line + "\n")

    n_params = count_params(model)
    say(f"model {args.model}: {n_params:,} parameters ({count_params(model.token_embedding):,} in the token embedding)")
    if fresh_blocks:
        say(f"attention blocks new to {args.init}, starting as the identity: {', '.join(fresh_blocks)}")
    recipe = {"model": args.model, "seed": args.seed, "batch": args.batch, "lr": args.lr, "warmup": args.warmup,
              "lr_schedule": "linear warmup, then cosine over the wall-time budget down to 10%",
              "ema": args.ema, "optimizer": "AdamW(weight_decay=0), grad-norm clip 1.0",
              "minutes_budget": args.minutes, "crop": args.crop if args.model == "upsample" else None,
              "p_empty_caption": 0.2, "p_zero_mask": args.p_zero_mask, "loss": "hybrid: eps MSE + VB (stop-grad mean)" + (
                  f" + {args.lowfreq_weight:g} x block-averaged eps error (blocks 4..image, weight x block size)"
                  if args.lowfreq_weight else ""),
              "threads": args.threads, "device": args.device if device.type == "cpu" else
              f"{args.device} ({torch.cuda.get_device_name(device)})", "data_workers": args.workers,
              "parameters": n_params, "command": " ".join([sys.executable] + sys.argv),
              "init": args.init or None, "init_noise": args.init_noise, "layout_aux": args.layout_aux,
              "relation_share": args.relation_share, "trained": args.train,
              "token_side_aux": args.token_side_aux, "anchor_text": args.anchor_text,
              "fresh_heads": args.fresh_heads,
              "timesteps": "uniform" if not args.t_high_frac else
              f"{args.t_high_frac:.0%} of each batch uniform in [{args.t_high_min}, 1000), the rest uniform in [0, 1000)"}
    if not args.bench:
        with open(os.path.join(args.out, "options.json"), "w") as f:
            json.dump(opt, f, indent=1)
        with open(os.path.join(args.out, "recipe.json"), "w") as f:
            json.dump(recipe, f, indent=1)
    csv = open(os.path.join(args.out, "loss.csv"), "a", buffering=1)
    if csv.tell() == 0:
        csv.write("step,elapsed_s,loss,mse,vb,lr\n")

    budget = args.minutes * 60
    t0 = time.time()
    last_save = t0
    step = 0
    zero = torch.zeros((), device=device)
    acc = {"loss": zero, "mse": zero, "vb": zero, "n": 0, "tdata": 0.0}
    model.train()
    while step < args.max_steps:
        elapsed = time.time() - t0
        if (not args.bench and elapsed > budget) or (args.bench and step >= args.bench):
            break
        frac = min(elapsed / budget, 1.0)
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in optim.param_groups:
            g["lr"] = lr
        td = time.time()
        x0, kw = next(batches)
        x0 = x0.to(device, non_blocking=True)
        kw = {k: v.to(device, non_blocking=True) for k, v in kw.items()}
        labels = kw.pop("layout_labels", None)
        sides = kw.pop("token_sides", None)
        acc["tdata"] += time.time() - td
        t = torch.randint(0, diffusion.num_timesteps, (args.batch,), device=device)
        if args.t_high_frac > 0:
            # importance on the noisy steps (same per-timestep optimum: only the weighting over t changes)
            high = torch.rand(args.batch, device=device) < args.t_high_frac
            t = torch.where(high, torch.randint(args.t_high_min, diffusion.num_timesteps, (args.batch,),
                                                device=device), t)
        losses = diffusion.training_losses(lambda x, ts: model(x, ts, **kw), x0, t,
                                           lowfreq_weight=args.lowfreq_weight)
        loss = losses["loss"].mean()
        if aux_heads or anchor is not None:
            xf_proj, xf_out = model.get_text_emb(kw["tokens"], kw["mask"])
            if heads is not None:
                loss = loss + args.layout_aux * heads.loss(xf_proj, labels)
            if side_head is not None:
                loss = loss + args.token_side_aux * side_head.loss(xf_out, sides)
            if anchor is not None:
                with torch.no_grad():
                    reference, _ = anchor.get_text_emb(kw["tokens"], kw["mask"])
                loss = loss + args.anchor_text * (xf_proj - reference).pow(2).sum() / reference.pow(2).sum()
        optim.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        step += 1
        d = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            torch._foreach_mul_(ema_params, d)
            torch._foreach_add_(ema_params, model_params, alpha=1 - d)
            acc["loss"] = acc["loss"] + loss.detach()
            acc["mse"] = acc["mse"] + losses["mse"].mean()
            acc["vb"] = acc["vb"] + losses["vb"].mean()
        acc["n"] += 1
        every = 10 if args.bench else 50
        if step % every == 0:
            n = acc["n"]
            acc.update({k: acc[k].item() for k in ("loss", "mse", "vb")})
            el = time.time() - t0
            say(f"step {step} elapsed {el:.0f}s loss {acc['loss'] / n:.4f} mse {acc['mse'] / n:.4f} "
                f"vb {acc['vb'] / n:.4f} lr {lr:.2e} {step / el:.3f} steps/s data {acc['tdata'] / n * 1000:.0f}ms/step")
            if not args.bench:
                csv.write(f"{step},{el:.1f},{acc['loss'] / n:.5f},{acc['mse'] / n:.5f},{acc['vb'] / n:.5f},{lr:.3e}\n")
            acc = {"loss": zero, "mse": zero, "vb": zero, "n": 0, "tdata": 0.0}
        if not args.bench and time.time() - last_save > args.save_every_min * 60:
            tmp = os.path.join(args.out, "latest.pt.tmp")
            torch.save(cpu_state(ema), tmp)
            os.replace(tmp, os.path.join(args.out, "latest.pt"))
            say(f"saved latest.pt at step {step}")
            last_save = time.time()
    if args.bench:
        return
    wall = time.time() - t0
    tmp = os.path.join(args.out, "final.pt.tmp")
    torch.save(cpu_state(ema), tmp)
    os.replace(tmp, os.path.join(args.out, "final.pt"))
    torch.save(cpu_state(model), os.path.join(args.out, "raw_final.pt"))
    for head in aux_heads:
        torch.save(cpu_state(head), os.path.join(args.out, type(head).FILE))
    recipe.update({"steps": step, "wall_time_s": round(wall, 1), "final": "final.pt = EMA weights"})
    with open(os.path.join(args.out, "recipe.json"), "w") as f:
        json.dump(recipe, f, indent=1)
    say(f"done: {step} steps in {wall:.0f}s; wrote final.pt")


if __name__ == "__main__":
    main()
