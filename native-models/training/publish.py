"""Copy finished GLIDE-mini runs into the committed folder native-models/training/checkpoints/.

    /usr/bin/python3 native-models/training/publish.py [--runs native-models/training/runs] [--allow-latest]

For each of base and upsample: checkpoints/<model>/{final.pt, options.json, recipe.json}. Refuses to
copy more than 60 MB in total. Checks that every state dict loads strictly into the model its
options build and is float32. Without --allow-latest only final.pt (training finished) is copied.
"""
import argparse
import json
import os
import shutil
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from glide_model import create_model  # noqa: E402

LIMIT = 60 * 1000 * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default=os.path.join(HERE, "runs"))
    ap.add_argument("--dest", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--allow-latest", action="store_true", help="publish latest.pt when final.pt is missing")
    args = ap.parse_args()
    plan = []
    for name in ("base", "upsample"):
        run = os.path.join(args.runs, name)
        src = os.path.join(run, "final.pt")
        if not os.path.exists(src):
            if not args.allow_latest:
                sys.exit(f"{src} missing (training not finished); use --allow-latest for a snapshot")
            src = os.path.join(run, "latest.pt")
        with open(os.path.join(run, "options.json")) as f:
            opt = json.load(f)
        sd = torch.load(src, map_location="cpu")
        assert all(v.dtype == torch.float32 for v in sd.values())
        create_model(**opt).load_state_dict(sd, strict=True)
        plan.append((name, run, src))
    total = sum(os.path.getsize(p) for _, _, p in plan)
    if total > LIMIT:
        sys.exit(f"{total / 1e6:.1f} MB is over the 60 MB budget")
    for name, run, src in plan:
        dst = os.path.join(args.dest, name)
        os.makedirs(dst, exist_ok=True)
        shutil.copyfile(src, os.path.join(dst, "final.pt"))
        for extra in ("options.json", "recipe.json"):
            shutil.copyfile(os.path.join(run, extra), os.path.join(dst, extra))
        if not src.endswith("final.pt"):
            with open(os.path.join(dst, "recipe.json")) as f:
                rec = json.load(f)
            rec["snapshot"] = "EMA weights of latest.pt, copied while training was still running"
            with open(os.path.join(dst, "recipe.json"), "w") as f:
                json.dump(rec, f, indent=1)
        print(f"{name}: {src} -> {dst}/final.pt ({os.path.getsize(src) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
