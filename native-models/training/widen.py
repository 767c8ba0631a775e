"""Widen a trained GLIDE-mini model's levels (channel_mult entries doubled) without changing what
it computes, so training can go on from it in the wider architecture.

Why: GLIDE's GroupNorm always has 32 groups. With 32 channels at the top level each group is one
channel, so the final norm removes every channel's spatial mean and the U-Net cannot output the
image-wide mean of eps: the global colour of a sample is then left to the noise. Two channels per
group (64) let the mean through as the difference of the pair.

Each old channel c becomes the pair (2c, 2c + 1), which GroupNorm(32) puts in one group with the
same statistics as before; weights reading a pair are split between its two channels (1 + d and
1 - d halves, d random) so the sum is unchanged but the two copies get different gradients.

    /usr/bin/python3 native-models/training/widen.py --run native-models/training/checkpoints/base \
        --set channel_mult=2,2,2 --out /tmp/widened.pt
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from glide_model import AttentionBlock, ResBlock, create_model, parse_channel_mult  # noqa: E402
from train import with_overrides  # noqa: E402


def channel_map(old_c, new_c):
    """New channel -> old channel index."""
    if new_c == old_c:
        return list(range(old_c))
    if new_c == 2 * old_c:
        return [c // 2 for c in range(new_c)]
    raise ValueError(f"can only keep or double a width ({old_c} -> {new_c})")


def read_weights(old_w, new_in, gen, split=0.1):
    """old_w [out, in, ...] read through new_in (new input channel -> old): pairs share the weight."""
    counts = {}
    for o in new_in:
        counts[o] = counts.get(o, 0) + 1
    w = old_w[:, new_in].clone()
    seen = {}
    for i, o in enumerate(new_in):
        if counts[o] == 2:
            if o not in seen:
                seen[o] = torch.randn(w[:, i].shape, generator=gen) * split
                w[:, i] = old_w[:, o] * (1 + seen[o]) / 2
            else:
                w[:, i] = old_w[:, o] * (1 - seen[o]) / 2
    return w


def widen_state_dict(old_sd, old_opt, new_opt, seed=0):
    old_model = create_model(**old_opt)
    old_model.load_state_dict(old_sd, strict=True)
    new_model = create_model(**new_opt)
    gen = torch.Generator().manual_seed(seed)
    old_mods = dict(old_model.named_modules())
    new_sd = {k: v.clone() for k, v in new_model.state_dict().items()}
    done = set()
    approximate = []

    def put(name, tensor):
        assert new_sd[name].shape == tensor.shape, (name, tuple(new_sd[name].shape), tuple(tensor.shape))
        new_sd[name] = tensor.contiguous()
        done.add(name)

    def conv(prefix, out_map, in_map):
        old = old_mods[prefix]
        put(prefix + ".weight", read_weights(old.weight.data[out_map], in_map, gen))
        put(prefix + ".bias", old.bias.data[out_map])

    def norm(prefix, m):
        old = old_mods[prefix]
        old_size, new_size = old.num_channels // 32, len(m) // 32
        if any({m[c] // old_size for c in range(k * new_size, (k + 1) * new_size)} != {k} for k in range(32)):
            approximate.append(prefix)  # e.g. a 32 + 64 channel concatenation: new groups mix old ones
        put(prefix + ".weight", old.weight.data[m])
        put(prefix + ".bias", old.bias.data[m])

    def resblock(prefix, in_map, out_c):
        old = old_mods[prefix]
        old_out = old.out_layers[0].num_channels
        out_map = channel_map(old_out, out_c)
        norm(prefix + ".in_layers.0", in_map)
        conv(prefix + ".in_layers.2", out_map, in_map)
        lin = old.emb_layers[1]
        scale_shift = torch.cat([lin.weight.data[:old_out][out_map], lin.weight.data[old_out:][out_map]])
        put(prefix + ".emb_layers.1.weight", scale_shift)
        put(prefix + ".emb_layers.1.bias", torch.cat([lin.bias.data[:old_out][out_map], lin.bias.data[old_out:][out_map]]))
        norm(prefix + ".out_layers.0", out_map)
        conv(prefix + ".out_layers.3", out_map, out_map)
        new_skip = prefix + ".skip_connection.weight" in new_sd
        old_skip = not isinstance(old.skip_connection, torch.nn.Identity)
        if new_skip and old_skip:
            conv(prefix + ".skip_connection", out_map, in_map)
        elif new_skip:
            # the old identity, read through the maps: each output takes its old channel's pair
            eye = torch.eye(len(set(in_map)))[:, :, None, None]
            put(prefix + ".skip_connection.weight", read_weights(eye[out_map], in_map, gen, split=0.0))
            put(prefix + ".skip_connection.bias", torch.zeros(len(out_map)))
        elif old_skip:
            # a learned 1x1 map becomes the identity: the one place the widened model differs
            approximate.append(prefix)
        return out_map

    def block(prefix, module, in_map):
        m = in_map
        for i, layer in enumerate(module):
            p = f"{prefix}.{i}"
            if isinstance(layer, ResBlock):
                m = resblock(p, m, layer.out_layers[0].num_channels)
            elif isinstance(layer, AttentionBlock):
                if len(m) != len(set(m)):
                    raise ValueError(f"{p}: widening a level with attention is not supported")
                for k in new_sd:
                    if k.startswith(p + "."):
                        put(k, old_sd[k])
            else:
                raise ValueError(f"unexpected layer {p}")
        return m

    first = new_model.input_blocks[0][0]
    old_first = old_mods["input_blocks.0.0"]
    in_map = list(range(first.in_channels))
    m = channel_map(old_first.out_channels, first.out_channels)
    conv("input_blocks.0.0", m, in_map)
    maps = [m]
    for i in range(1, len(new_model.input_blocks)):
        m = block(f"input_blocks.{i}", new_model.input_blocks[i], m)
        maps.append(m)
    m = block("middle_block", new_model.middle_block, m)
    for i in range(len(new_model.output_blocks)):
        skip = maps.pop()
        old_h = len(set(m))
        m = block(f"output_blocks.{i}", new_model.output_blocks[i], m + [old_h + s for s in skip])
    norm("out.0", m)
    conv("out.2", list(range(new_model.out[2].out_channels)), m)
    for k, v in old_sd.items():
        if k not in done and not any(k.startswith(a + ".skip_connection.") for a in approximate):
            put(k, v)
    missing = set(new_sd) - done
    if missing:
        raise ValueError(f"not mapped: {sorted(missing)}")
    return new_sd, approximate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True, help="folder with options.json and final.pt")
    ap.add_argument("--ckpt", default=None)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--out", required=True, help="the widened state dict (.pt); options go beside it")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with open(os.path.join(args.run, "options.json")) as f:
        old_opt = json.load(f)
    new_opt = with_overrides(old_opt, args.set)
    old_sd = torch.load(args.ckpt or os.path.join(args.run, "final.pt"), map_location="cpu")
    new_sd, approximate = widen_state_dict(old_sd, old_opt, new_opt, args.seed)
    if approximate:
        print(f"not function-preserving at {approximate} (a learned skip made the identity, or a norm over a mixed-width concatenation)")
    torch.save(new_sd, args.out)
    stem = os.path.splitext(args.out)[0]
    with open(stem + ".options.json", "w") as f:
        json.dump(new_opt, f, indent=1)
    source_recipe = os.path.join(args.run, "recipe.json")
    with open(stem + ".recipe.json", "w") as f:
        json.dump({"widened": {"from": args.ckpt or os.path.join(args.run, "final.pt"), "set": args.set,
                               "seed": args.seed, "not_function_preserving_at": approximate,
                               "command": " ".join([sys.executable] + sys.argv)},
                   "source_recipe": json.load(open(source_recipe)) if os.path.exists(source_recipe) else None},
                  f, indent=1)
    print(f"widened {parse_channel_mult(old_opt['channel_mult'], old_opt['image_size'])} -> "
          f"{parse_channel_mult(new_opt['channel_mult'], new_opt['image_size'])}: {args.out}")


if __name__ == "__main__":
    main()
