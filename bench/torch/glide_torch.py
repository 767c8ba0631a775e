"""PyTorch side of `npm run bench -- --vs-torch` (run by bench/vsTorch.ts with /usr/bin/python3).

Subcommands (every result is one JSON line on stdout):

  make   --kind K --options JSON --seed N --out FILE.pt
         Builds the GLIDE U-Net of native-models/training/glide_model.py with glide-text2im's
         options, random weights from torch.manual_seed(N) (the modules GLIDE initialises to zero
         get PyTorch's default init instead, so every output depends on every weight), and saves
         the state dict with torch.save, which the app then imports like any checkpoint.

  step   --kind K --options JSON --checkpoint FILE.pt --inputs DIR --threads T --runs R
         Loads the checkpoint, encodes the text once, then times R U-Net forwards (after one
         warm-up) at T threads, as the app times its denoise call. The inputs are the raw float32
         / int64 files bench/vsTorch.ts wrote (x, timesteps, tokens, mask, low_res); the first
         forward's output is written to DIR/torch_out.f32 so the app side can compare.
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "native-models", "training"))

from glide_model import create_model  # noqa: E402


def build(options):
    return create_model(**options)


def make(args):
    options = json.loads(args.options)
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    model = build(options)
    for module in model.modules():
        weight = getattr(module, "weight", None)
        if isinstance(weight, torch.nn.Parameter) and hasattr(module, "reset_parameters"):
            if not weight.detach().any():
                module.reset_parameters()
    state = {name: tensor.detach().contiguous() for name, tensor in model.state_dict().items()}
    partial = args.out + ".partial"
    torch.save(state, partial)
    os.replace(partial, args.out)
    parameters = sum(t.numel() for t in state.values())
    print(json.dumps({"parameters": parameters, "seconds": time.perf_counter() - start}))


def read(directory, name, dtype, shape):
    return torch.from_numpy(np.fromfile(os.path.join(directory, name), dtype=dtype).reshape(shape))


def step(args):
    options = json.loads(args.options)
    torch.set_num_threads(args.threads)
    model = build(options)
    state = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    del state
    model.eval()
    meta = json.load(open(os.path.join(args.inputs, "inputs.json")))
    batch, size, ctx = meta["batch"], meta["size"], meta["text_ctx"]
    x = read(args.inputs, "x.f32", np.float32, (batch, 3, size, size))
    timesteps = read(args.inputs, "timesteps.i64", np.int64, (batch,))
    tokens = read(args.inputs, "tokens.i64", np.int64, (batch, ctx))
    mask = read(args.inputs, "mask.u8", np.uint8, (batch, ctx)).bool()
    low_res = None
    if options.get("super_res"):
        low = size // 4
        low_res = read(args.inputs, "low_res.f32", np.float32, (batch, 3, low, low))

    with torch.inference_mode():
        xf_proj, xf_out = model.get_text_emb(tokens, mask)

        def forward():
            # The upsampler's bilinear resize of low_res is inside the app's graph too, so it is timed.
            h = x
            if low_res is not None:
                up = torch.nn.functional.interpolate(low_res, (size, size), mode="bilinear", align_corners=False)
                h = torch.cat([x, up], dim=1)
            return model.unet_forward(h, timesteps, xf_proj, xf_out)

        first = forward()
        first.float().numpy().tofile(os.path.join(args.inputs, "torch_out.f32"))
        wall, cpu = [], []
        for _ in range(args.runs):
            wall_start, cpu_start = time.perf_counter(), time.process_time()
            forward()
            wall.append(time.perf_counter() - wall_start)
            cpu.append(time.process_time() - cpu_start)
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "stepSeconds": wall,
                "cpuSeconds": cpu,
                "maxRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("make")
    p.add_argument("--kind", required=True)
    p.add_argument("--options", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    p = sub.add_parser("step")
    p.add_argument("--kind", required=True)
    p.add_argument("--options", required=True)
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--inputs", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    make(args) if args.command == "make" else step(args)


if __name__ == "__main__":
    main()
