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
REPO = os.path.dirname(os.path.dirname(HERE))


def lineage(run):
    """Stages of a run resumed with --init from another run's latest.pt: [{run, recipe, steps, wall_s}]."""
    with open(os.path.join(run, "recipe.json")) as f:
        rec = json.load(f)
    init = rec.get("init")
    stages = []
    widened = next((p for p in (os.path.splitext(os.path.join(base, init))[0] + ".recipe.json"
                                for base in (REPO, HERE)) if os.path.exists(p)), None) if init else None
    if widened:
        with open(widened) as f:
            stages.append(json.load(f))
    elif init:
        parent = next((p for p in (os.path.dirname(os.path.join(base, init)) for base in (REPO, HERE))
                       if os.path.isdir(p)), os.path.dirname(init))
        log = os.path.join(parent, "train.log")
        saves = [l for l in open(log) if "saved latest.pt at step" in l] if os.path.exists(log) else []
        if saves:
            step = int(saves[-1].split("at step ")[1])
            wall = None
            with open(os.path.join(parent, "loss.csv")) as f:
                rows = [l.split(",") for l in f.read().split("\n")[1:] if l]
            before = [r for r in rows if int(r[0]) <= step]
            if before:
                wall = float(before[-1][1])
            stages = lineage(parent)
            with open(os.path.join(parent, "recipe.json")) as f:
                prec = json.load(f)
            stages.append({"run": os.path.relpath(parent, REPO), "recipe": prec, "steps": step,
                           "wall_s_approx": wall})
    return stages


def lineage_stage(run):
    """Steps and wall time of a run at its last latest.pt save."""
    saves = [l for l in open(os.path.join(run, "train.log")) if "saved latest.pt at step" in l]
    step = int(saves[-1].split("at step ")[1])
    with open(os.path.join(run, "loss.csv")) as f:
        rows = [l.split(",") for l in f.read().split("\n")[1:] if l]
    before = [r for r in rows if int(r[0]) <= step]
    return {"steps": step, "wall_s_approx": float(before[-1][1]) if before else None}


def enrich_totals(rec):
    st = rec.get("resumed_from", [])
    earlier = [s.get("source_recipe") or {} for s in st if "widened" in s]
    steps = [s.get("steps", 0) for s in st] + [e.get("total_steps", e.get("steps", 0)) for e in earlier]
    walls = [s.get("wall_s_approx") or 0 for s in st] + [e.get("total_wall_time_s", e.get("wall_time_s", 0))
                                                         for e in earlier]
    rec["total_steps"] = sum(steps) + rec.get("steps", 0)
    rec["total_wall_time_s"] = round(sum(walls) + (rec.get("wall_time_s") or 0), 1)
    return rec


def enrich(run):
    """recipe.json plus the resumed-from stages and the totals."""
    with open(os.path.join(run, "recipe.json")) as f:
        rec = json.load(f)
    st = lineage(run)
    if st:
        rec["resumed_from"] = st
        enrich_totals(rec)
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default=os.path.join(HERE, "runs"))
    ap.add_argument("--dest", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--base-run", default=None, help="default <runs>/base")
    ap.add_argument("--upsample-run", default=None, help="default <runs>/upsample")
    ap.add_argument("--allow-latest", action="store_true", help="publish latest.pt when final.pt is missing")
    args = ap.parse_args()
    plan = []
    for name in ("base", "upsample"):
        run = getattr(args, f"{name}_run") or os.path.join(args.runs, name)
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
        shutil.copyfile(os.path.join(run, "options.json"), os.path.join(dst, "options.json"))
        rec = enrich(run)
        if not src.endswith("final.pt"):
            rec["snapshot"] = "EMA weights of latest.pt (training stopped early)"
            stage = lineage_stage(run)
            rec["steps"], rec["wall_time_s"] = stage["steps"], stage["wall_s_approx"]
            rec = enrich_totals(rec)
        with open(os.path.join(dst, "recipe.json"), "w") as f:
            json.dump(rec, f, indent=1)
        print(f"{name}: {src} -> {dst}/final.pt ({os.path.getsize(src) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
