"""Reading training run folders (train.log, loss.csv, recipe.json), shared by publish.py and
plot_loss.py."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def resolve(path):
    """A path from a recipe (--init was given relative to the repository or to this folder)."""
    if os.path.isabs(path):
        return path
    return next((p for p in (os.path.join(base, path) for base in (REPO, HERE)) if os.path.exists(p)),
                os.path.join(REPO, path))


def last_snapshot(run):
    """(step, elapsed seconds or None) of a run's last latest.pt save, or None when it saved none."""
    log = os.path.join(run, "train.log")
    saves = [line for line in open(log) if "saved latest.pt at step" in line] if os.path.exists(log) else []
    if not saves:
        return None
    step = int(saves[-1].split("at step ")[1])
    loss_csv = os.path.join(run, "loss.csv")
    rows = []
    if os.path.exists(loss_csv):
        with open(loss_csv) as f:
            rows = [line.split(",") for line in f.read().split("\n")[1:] if line]
    before = [r for r in rows if int(r[0]) <= step]
    return step, (float(before[-1][1]) if before else None)


def resume_point(init):
    """(run folder, steps, elapsed seconds or None) of the run checkpoint an --init path names: all
    of a finished run for its final.pt, up to the last snapshot for latest.pt. None when the path
    is not in a training run's folder (a published or widened checkpoint)."""
    parent = resolve(os.path.dirname(init))
    if not os.path.exists(os.path.join(parent, "train.log")):
        return None
    if os.path.basename(init) == "final.pt":
        with open(os.path.join(parent, "recipe.json")) as f:
            recipe = json.load(f)
        return parent, recipe["steps"], recipe.get("wall_time_s")
    snapshot = last_snapshot(parent)
    return None if snapshot is None else (parent, snapshot[0], snapshot[1])
