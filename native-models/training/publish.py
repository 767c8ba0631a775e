"""Copy finished GLIDE-mini runs into the committed folder native-models/training/checkpoints/.

    /usr/bin/python3 native-models/training/publish.py [--runs native-models/training/runs] [--allow-latest]
        [--models base,upsample]

For each of base and upsample: checkpoints/<model>/{final.pt, options.json, recipe.json} (and the
run's training-only head files, layout_heads.pt and token_side_head.pt, when it has them, so a run
resumed from there keeps them). Refuses to
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
import runs  # noqa: E402
from glide_model import create_model  # noqa: E402
from train import LayoutHeads, TokenSideHead  # noqa: E402

LIMIT = 60 * 1000 * 1000
HEAD_FILES = (LayoutHeads.FILE, TokenSideHead.FILE)
REPO = runs.REPO


def lineage(run):
    """Stages a run was resumed from with --init: another run's latest.pt or final.pt ({run, recipe,
    steps, wall_s_approx}, after that run's own stages), a widened checkpoint (widen.py's record) or a
    published checkpoint ({published, recipe, steps, wall_s_approx}: its record holds its history)."""
    with open(os.path.join(run, "recipe.json")) as f:
        init = json.load(f).get("init")
    if not init:
        return []
    widened = runs.resolve(os.path.splitext(init)[0] + ".recipe.json")
    if os.path.exists(widened):
        with open(widened) as f:
            return [json.load(f)]
    point = runs.resume_point(init)
    if point is None:
        folder = runs.resolve(os.path.dirname(init))
        record = os.path.join(folder, "recipe.json")
        if not os.path.exists(record):
            return []
        with open(record) as f:
            published = json.load(f)
        return [{"published": os.path.relpath(folder, REPO), "recipe": published,
                 "steps": published.get("total_steps", published.get("steps", 0)),
                 "wall_s_approx": published.get("total_wall_time_s", published.get("wall_time_s"))}]
    parent, steps, wall = point
    with open(os.path.join(parent, "recipe.json")) as f:
        parent_recipe = json.load(f)
    return lineage(parent) + [{"run": os.path.relpath(parent, REPO), "recipe": parent_recipe,
                               "steps": steps, "wall_s_approx": wall}]


def enrich(run, snapshot=False):
    """recipe.json plus the resumed-from stages and the totals; snapshot: the run was stopped, so
    its steps and wall time are those of its last latest.pt."""
    with open(os.path.join(run, "recipe.json")) as f:
        rec = json.load(f)
    if snapshot:
        rec["snapshot"] = "EMA weights of latest.pt (training stopped early)"
        rec["steps"], rec["wall_time_s"] = runs.last_snapshot(run)
    stages = lineage(run)
    if not stages:
        return rec
    rec["resumed_from"] = stages
    earlier = [s.get("source_recipe") or {} for s in stages if "widened" in s]
    steps = [s.get("steps", 0) for s in stages] + [e.get("total_steps", e.get("steps", 0)) for e in earlier]
    walls = [s.get("wall_s_approx") or 0 for s in stages] + [e.get("total_wall_time_s", e.get("wall_time_s", 0))
                                                             for e in earlier]
    rec["total_steps"] = sum(steps) + rec.get("steps", 0)
    rec["total_wall_time_s"] = round(sum(walls) + (rec.get("wall_time_s") or 0), 1)
    return rec


def copy_run_files(run, checkpoint, dst):
    """The checkpoint as dst/final.pt, the run's options and, when it has them, its training-only
    head files (a run resumed from dst/final.pt picks them up)."""
    os.makedirs(dst, exist_ok=True)
    shutil.copyfile(checkpoint, os.path.join(dst, "final.pt"))
    shutil.copyfile(os.path.join(run, "options.json"), os.path.join(dst, "options.json"))
    for name in HEAD_FILES:
        if os.path.exists(os.path.join(run, name)):
            shutil.copyfile(os.path.join(run, name), os.path.join(dst, name))
        elif os.path.exists(os.path.join(dst, name)):
            os.remove(os.path.join(dst, name))  # they belonged to the checkpoint being replaced


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default=os.path.join(HERE, "runs"))
    ap.add_argument("--dest", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--base-run", default=None, help="default <runs>/base")
    ap.add_argument("--upsample-run", default=None, help="default <runs>/upsample")
    ap.add_argument("--allow-latest", action="store_true", help="publish latest.pt when final.pt is missing")
    ap.add_argument("--models", default="base,upsample", help="which to publish (the others stay as they are)")
    args = ap.parse_args()
    names = args.models.split(",")
    plan = []
    for name in names:
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
    kept = [os.path.join(args.dest, n, "final.pt") for n in ("base", "upsample") if n not in names]
    total = sum(os.path.getsize(p) for _, _, p in plan) + sum(os.path.getsize(p) for p in kept if os.path.exists(p))
    if total > LIMIT:
        sys.exit(f"{total / 1e6:.1f} MB is over the 60 MB budget")
    for name, run, src in plan:
        dst = os.path.join(args.dest, name)
        rec = enrich(run, snapshot=not src.endswith("final.pt"))  # before dst's own record is replaced
        copy_run_files(run, src, dst)
        with open(os.path.join(dst, "recipe.json"), "w") as f:
            json.dump(rec, f, indent=1)
        print(f"{name}: {src} -> {dst}/final.pt ({os.path.getsize(src) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
