"""Draw the GLIDE-mini training curves (loss.csv of each run) as a PNG with PIL only.

    /usr/bin/python3 native-models/training/plot_loss.py [--runs native-models/training/runs] \
        [--out native-models/glide-mini-loss.png]
"""
import argparse
import csv
import math
import json
import os

from PIL import Image, ImageDraw

import runs

HERE = runs.HERE


def read(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [{k: float(v) for k, v in r.items()} for r in rows]


def history(run):
    """loss.csv rows of a run, preceded by those of the run it was initialised from (--init
    DIR/latest.pt or DIR/final.pt), cut at the step it resumed from; returns rows and the resume steps."""
    rows = read(os.path.join(run, "loss.csv"))
    resumes = []
    try:
        with open(os.path.join(run, "recipe.json")) as f:
            init = json.load(f).get("init")
    except FileNotFoundError:
        init = None
    point = runs.resume_point(init) if init else None
    if point is not None:
        parent, cut, _ = point
        if os.path.exists(os.path.join(parent, "loss.csv")):
            prev, prev_resumes = history(parent)
            cut += prev_resumes[-1] if prev_resumes else 0  # the parent's steps count on from its own resume
            prev = [r for r in prev if r["step"] <= cut]
            rows = prev + [dict(r, step=r["step"] + cut) for r in rows]
            resumes = prev_resumes + [cut]
    return rows, resumes


def smooth(vals, k=3):
    out = []
    for i in range(len(vals)):
        w = vals[max(0, i - k + 1): i + 1]
        out.append(sum(w) / len(w))
    return out


def panel(draw, box, title, series, colors, marks=()):
    x0, y0, x1, y1 = box
    draw.rectangle(box, outline=(0, 0, 0))
    draw.text((x0 + 6, y0 - 16), title, fill=(0, 0, 0))
    pts = [(s, v) for name, data in series for s, v in data if v > 0]
    if not pts:
        return
    smax = max(s for s, _ in pts)
    lo = math.floor(math.log10(min(v for _, v in pts)) * 2) / 2
    hi = math.ceil(math.log10(max(v for _, v in pts)) * 2) / 2
    hi = max(hi, lo + 0.5)

    def xy(s, v):
        return (x0 + (x1 - x0) * s / smax, y1 - (y1 - y0) * (math.log10(v) - lo) / (hi - lo))

    e = lo
    while e <= hi + 1e-9:
        _, yy = xy(0, 10 ** e)
        draw.line([(x0, yy), (x1, yy)], fill=(225, 225, 225))
        draw.text((x0 - 44, yy - 6), f"{10 ** e:.3g}", fill=(80, 80, 80))
        e += 0.5
    for k in range(5):
        s = smax * k / 4
        xx, _ = xy(s, 10 ** lo)
        draw.text((xx - 10, y1 + 4), f"{int(s)}", fill=(80, 80, 80))
    draw.text(((x0 + x1) / 2 - 40, y1 + 18), "training step", fill=(0, 0, 0))
    for m in marks:
        xx, _ = xy(m, 10 ** lo)
        draw.line([(xx, y0), (xx, y1)], fill=(150, 150, 150))
        draw.text((xx + 4, y1 - 30), "resumed, t-weighted:", fill=(120, 120, 120))
        draw.text((xx + 4, y1 - 18), "loss not comparable", fill=(120, 120, 120))
    for (name, data), col, ly in zip(series, colors, range(len(series))):
        line = [xy(s, v) for s, v in data if v > 0]
        if len(line) > 1:
            draw.line(line, fill=col, width=2)
        draw.line([(x1 - 150, y0 + 12 + 14 * ly), (x1 - 130, y0 + 12 + 14 * ly)], fill=col, width=2)
        draw.text((x1 - 125, y0 + 6 + 14 * ly), name, fill=(0, 0, 0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default=os.path.join(HERE, "runs"))
    ap.add_argument("--out", default=os.path.join(HERE, "..", "glide-mini-loss.png"))
    ap.add_argument("--base-run", default=None, help="default <runs>/base")
    ap.add_argument("--upsample-run", default=None, help="default <runs>/upsample")
    ap.add_argument("--title", default="GLIDE-mini training loss (hybrid = eps MSE + VB; log scale; each point averages 50 steps)")
    args = ap.parse_args()
    W, H = 1000, 420
    img = Image.new("RGB", (W, H), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.text((20, 8), args.title, fill=(0, 0, 0))
    for i, (name, title) in enumerate((("base", "base-inpaint 32px"), ("upsample", "upsample-inpaint x4 (32->128)"))):
        run = getattr(args, f"{name}_run") or os.path.join(args.runs, name)
        if not os.path.exists(os.path.join(run, "loss.csv")):
            continue
        rows, resumes = history(run)
        steps = [r["step"] for r in rows]
        series = [(k, list(zip(steps, smooth([r[k] for r in rows])))) for k in ("loss", "mse", "vb")]
        panel(d, (70 + i * 480, 50, 70 + i * 480 + 400, H - 50), f"{title}: {int(steps[-1])} steps", series,
              [(20, 20, 20), (40, 90, 220), (220, 40, 40)], resumes)
    img.save(args.out)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
