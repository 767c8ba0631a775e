"""Score generated GLIDE-mini images against their captions with the scene-parsing detector.

    /usr/bin/python3 native-models/eval/score.py items.json [--json result.json]

items.json: a JSON list of
  {"image": path, "caption": str, "kind": "text2im" | "inpaint",
   "source": path, "mask": path,          # inpaint only; mask: white/1 = keep, black/0 = regenerate
   "target": {"colour", "shape"},         # inpaint, optional: the object asked for in the hole
                                          #   (default: the caption's first object)
   "guidance": number, "group": str,      # optional, rows are grouped by kind/group/mode/guidance
   "mode": "classifier-free" | "clip"}    # optional (default classifier-free); CLIP-guided rows
                                          #   show their CLIP guidance scale as "c<scale>"
Paths are relative to the JSON file's folder unless absolute. Images: PNG (or .npy).
--json writes one object per row: the shares, n, and "counts" {column: [claims that hold, claims]}.

Prints one row per group: the share of caption claims that hold (colour, shape, size,
position, relation, background), the share of images whose object count is right and whose
every claim holds ("all"); for inpainting also "in-mask" (a detected object of the asked colour and
shape has its centroid inside the hole), "outside" (mean |output - source| over kept pixels, 2 px
away from the hole, <= 4/255) and "success" (both). For text to image, "1-obj c+s" and "1-obj pos"
are the brief's single-object targets: the share of one-object captions whose object has both the
right colour and shape, and of those that state a position, the right position.
"""
import argparse
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detector  # noqa: E402

CLAIMS = ["colour", "shape", "size", "position", "relation", "background", "count", "all"]
OUTSIDE_TOL = 4.0


def _load(path, base):
    if not os.path.isabs(path):
        path = os.path.join(base, path)
    if path.endswith(".npy"):
        return np.load(path)
    return np.asarray(Image.open(path).convert("RGB"))


def _load_mask(path, base, size):
    if not os.path.isabs(path):
        path = os.path.join(base, path)
    if path.endswith(".npy"):
        m = np.load(path).astype(np.float32).squeeze()
        if m.max() > 1:
            m = m / 255.0
        img = Image.fromarray((m * 255).astype(np.uint8))
    else:
        img = Image.open(path).convert("L")
    if img.size != (size, size):
        img = img.resize((size, size), Image.NEAREST)
    return np.asarray(img, dtype=np.float32) / 255.0 > 0.5  # True = keep


def _erode_hole_margin(keep, px=2):
    k = keep.copy()
    for _ in range(px):
        k[1:] &= k[:-1].copy()
        k[:-1] &= k[1:].copy()
        k[:, 1:] &= k[:, :-1].copy()
        k[:, :-1] &= k[:, 1:].copy()
    return k


def score_item(item, base="."):
    img = detector._as_u8(_load(item["image"], base))
    det = detector.detect(img)
    res = detector.check(img, item["caption"], det)
    out = {k: v for k, v in res.items()}
    if item.get("kind", "text2im") == "text2im" and len(detector.parse_caption(item["caption"])["objects"]) == 1:
        out["1-obj c+s"] = [all(res["colour"]) and all(res["shape"])]
        if res["position"]:
            out["1-obj pos"] = [all(res["position"])]
    if item.get("kind") == "inpaint":
        src = detector._as_u8(_load(item["source"], base))
        if src.shape != img.shape:
            src = np.asarray(Image.fromarray(src).resize(img.shape[:2][::-1], Image.BICUBIC))
        keep = _load_mask(item["mask"], base, img.shape[0])
        target = item.get("target")
        if not target:
            objs = detector.parse_caption(item["caption"])["objects"]
            target = objs[0] if objs else None
        h, w = keep.shape
        in_mask = False
        if target:
            for d in det["objects"]:
                yy, xx = min(int(d["y"] * h), h - 1), min(int(d["x"] * w), w - 1)
                if not keep[yy, xx] and d["colour"] == target["colour"] and d["shape"] == target["shape"]:
                    in_mask = True
        kk = _erode_hole_margin(keep)
        diff = np.abs(img.astype(np.float32) - src.astype(np.float32)).mean(-1)
        mad = float(diff[kk].mean()) if kk.any() else 0.0
        out["in-mask"] = [in_mask]
        out["outside"] = [mad <= OUTSIDE_TOL]
        out["success"] = [in_mask and mad <= OUTSIDE_TOL]
        out["outside_mad"] = mad
    return out


def score(items, base="."):
    rows = {}
    for it in items:
        key = (it.get("kind", "text2im"), it.get("group", ""), it.get("mode", "classifier-free"), it.get("guidance"))
        r = score_item(it, base)
        agg = rows.setdefault(key, {"n": 0})
        agg["n"] += 1
        for k, v in r.items():
            if isinstance(v, list):
                a = agg.setdefault(k, [0, 0])
                a[0] += sum(v)
                a[1] += len(v)
    return rows


def table(rows):
    cols = CLAIMS + ["1-obj c+s", "1-obj pos", "in-mask", "outside", "success"]
    head = f"{'kind':8} {'group':10} {'guid':>5} {'n':>4} " + " ".join(f"{c:>10}" for c in cols)
    lines = [head, "-" * len(head)]
    for (kind, group, mode, g), agg in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3] or 0)):
        cells = []
        for c in cols:
            if c in agg and agg[c][1]:
                cells.append(f"{100.0 * agg[c][0] / agg[c][1]:9.1f}%")
            else:
                cells.append(f"{'-':>10}")
        gs = "" if g is None else f"c{g:g}" if mode == "clip" else f"{g:g}"
        lines.append(f"{kind:8} {group:10} {gs:>5} {agg['n']:>4} " + " ".join(cells))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("items")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    with open(args.items) as f:
        items = json.load(f)
    rows = score(items, os.path.dirname(os.path.abspath(args.items)))
    print(table(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"kind": k[0], "group": k[1], "mode": k[2], "guidance": k[3], **{c: (v[0] / v[1] if isinstance(v, list) and v[1] else v)
                        for c, v in agg.items()},
                        "counts": {c: v for c, v in agg.items() if isinstance(v, list)}} for k, agg in rows.items()], f, indent=1)


if __name__ == "__main__":
    main()
