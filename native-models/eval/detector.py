"""Scene-parsing detector for the GLIDE-mini scene world.

`detect(img)` segments an RGB image against the palette (nearest palette colour, connected
components), classifies each component's shape from rotation-free geometric features against
prototypes rendered by the scene world itself, and reads size, position and relations from
areas and centroids. `check(img, caption)` parses a caption of the scene world and says which of
its claims (colour, shape, size, position, relation, background, count) the image satisfies.
"""
import math
import os
import re
import sys
from collections import deque

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "training"))
import scenes  # noqa: E402

OBJ_NAMES = list(scenes.COLOURS)
BG_NAMES = list(scenes.BACKGROUNDS)
# palette entries: object colours, then background-only colours
_PAL_NAMES = OBJ_NAMES + [b for b in BG_NAMES if scenes.BACKGROUNDS[b] not in scenes.COLOURS.values()]
_PAL = np.array([scenes.COLOURS.get(n, scenes.BACKGROUNDS.get(n)) for n in _PAL_NAMES], dtype=np.float32)
MAX_COLOUR_DIST = 70.0
MIN_AREA_FRAC = 0.005
SIZE_THRESHOLD = (scenes.SIZES["small"] + scenes.SIZES["large"]) / 2


def _as_u8(img):
    img = np.asarray(img)
    if img.dtype != np.uint8:  # float in [-1, 1] or [0, 1]
        img = img.astype(np.float32)
        if img.min() < -0.01:
            img = (img + 1) * 127.5
        elif img.max() <= 1.0:
            img = img * 255
        img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    if img.ndim == 3 and img.shape[0] == 3 and img.shape[-1] != 3:
        img = img.transpose(1, 2, 0)
    return img[..., :3]


def label_pixels(img):
    d = ((img[..., None, :].astype(np.float32) - _PAL[None, None]) ** 2).sum(-1)
    lab = d.argmin(-1)
    lab[np.sqrt(d.min(-1)) > MAX_COLOUR_DIST] = -1
    return lab


def components(mask):
    """4-connected components of a boolean mask: list of (ys, xs) index arrays."""
    h, w = mask.shape
    seen = np.zeros_like(mask, dtype=bool)
    out = []
    ys0, xs0 = np.nonzero(mask)
    for y0, x0 in zip(ys0, xs0):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        q = deque([(y0, x0)])
        ys, xs = [], []
        while q:
            y, x = q.popleft()
            ys.append(y)
            xs.append(x)
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    q.append((ny, nx))
        out.append((np.array(ys), np.array(xs)))
    return out


def shape_features(ys, xs):
    """Scale-free features of a pixel set (y axis pointing down)."""
    a = float(len(ys))
    cy, cx = ys.mean() + 0.5, xs.mean() + 0.5
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    w, h = x1 - x0, y1 - y0
    rmax = np.sqrt(((ys + 0.5 - cy) ** 2 + (xs + 0.5 - cx) ** 2).max()) + 0.5
    return np.array([
        a / (math.pi * rmax ** 2),          # fill of the circumscribed circle
        a / (w * h),                        # fill of the bounding box
        (cy - (y0 + y1) / 2) / h,           # centroid below (+) / above (-) the box centre
        w / h,                              # aspect
    ])


_PROTO = {}


def _prototypes(res):
    """Mean feature vector and unit-radius area per shape, rendered at resolution `res`."""
    if res in _PROTO:
        return _PROTO[res]
    feats, areas = {}, {}
    for shape in scenes.SHAPES:
        fs, ks = [], []
        for r in (0.10, 0.12, 0.145, 0.17, 0.19):
            for dx in (0.0, 0.37):
                sc = {"background": "white", "objects": [
                    {"shape": shape, "colour": "black", "x": 0.5 + dx / res, "y": 0.5 + dx / res, "r": r}]}
                img = scenes.render(sc, res)
                ys, xs = np.nonzero(label_pixels(img) == OBJ_NAMES.index("black"))
                fs.append(shape_features(ys, xs))
                ks.append(len(ys) / (r * res) ** 2)
        feats[shape] = (np.mean(fs, 0), np.std(fs, 0))
        areas[shape] = float(np.mean(ks))
    scale = np.maximum(np.std([feats[s][0] for s in scenes.SHAPES], 0), 1e-3)
    _PROTO[res] = (feats, areas, scale)
    return _PROTO[res]


def classify_shape(ys, xs, res):
    feats, _, scale = _prototypes(res)
    f = shape_features(ys, xs)
    d = {s: float((((f - feats[s][0]) / scale) ** 2).sum()) for s in scenes.SHAPES}
    return min(d, key=d.get)


_UNIT = {}


def _unit_template(shape):
    """Area (in r^2 units) and centroid offset (in r units) of a shape drawn at radius r."""
    if shape not in _UNIT:
        from PIL import Image, ImageDraw
        S, r = 400, 100.0
        img = Image.new("L", (S, S), 0)
        scenes.draw_shape(ImageDraw.Draw(img), shape, S / 2, S / 2, r, 255)
        a = np.asarray(img, dtype=np.float64) / 255
        ys, xs = np.mgrid[0:S, 0:S] + 0.5
        m = a.sum()
        _UNIT[shape] = (m / r ** 2, ((xs * a).sum() / m - S / 2) / r, ((ys * a).sum() / m - S / 2) / r)
    return _UNIT[shape]


def _render_alpha(shape, cx, cy, r, box, ss=4):
    """Coverage of a shape (pixel units, centre cx, cy, radius r) over the window box=(y0, y1, x0, x1)."""
    from PIL import Image, ImageDraw
    y0, y1, x0, x1 = box
    img = Image.new("L", ((x1 - x0) * ss, (y1 - y0) * ss), 0)
    scenes.draw_shape(ImageDraw.Draw(img), shape, (cx - x0) * ss, (cy - y0) * ss, r * ss, 255)
    a = np.asarray(img, dtype=np.float32).reshape(y1 - y0, ss, x1 - x0, ss).mean(axis=(1, 3))
    return a / 255.0


def classify_shape_template(img, ys, xs, obj_rgb, bg_rgb):
    """Shape whose anti-aliased rendering best explains the object's coverage (for low resolutions)."""
    h, w = img.shape[:2]
    pad = 3
    y0, y1 = max(int(ys.min()) - pad, 0), min(int(ys.max()) + 1 + pad, h)
    x0, x1 = max(int(xs.min()) - pad, 0), min(int(xs.max()) + 1 + pad, w)
    win = img[y0:y1, x0:x1].astype(np.float32)
    c, b = np.array(obj_rgb, np.float32), np.array(bg_rgb, np.float32)
    alpha = np.clip(((win - b) * (c - b)).sum(-1) / max(float(((c - b) ** 2).sum()), 1.0), 0, 1)
    # keep only the component and its 1-pixel ring (other objects in the window are not ours)
    own = np.zeros((y1 - y0, x1 - x0), bool)
    own[ys - y0, xs - x0] = True
    ring = own.copy()
    ring[1:] |= own[:-1]
    ring[:-1] |= own[1:]
    ring[:, 1:] |= ring[:, :-1].copy()
    ring[:, :-1] |= ring[:, 1:].copy()
    alpha = alpha * ring
    m = alpha.sum()
    gy, gx = np.mgrid[y0:y1, x0:x1] + 0.5
    cy, cx = (gy * alpha).sum() / m, (gx * alpha).sum() / m
    best, best_err = None, None
    for shape in scenes.SHAPES:
        k, ox, oy = _unit_template(shape)
        r = math.sqrt(m / k)
        t = _render_alpha(shape, cx - ox * r, cy - oy * r, r, (y0, y1, x0, x1))
        err = float(((t - alpha) ** 2).sum())
        if best_err is None or err < best_err:
            best, best_err = shape, err
    return best


def detect(img):
    img = _as_u8(img)
    h, w = img.shape[:2]
    res = w
    lab = label_pixels(img)
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    border = border[border >= 0]
    bg_label = int(np.bincount(border, minlength=len(_PAL)).argmax()) if len(border) else -1
    bg_rgb = tuple(int(v) for v in _PAL[bg_label]) if bg_label >= 0 else None
    background = next((b for b in BG_NAMES if scenes.BACKGROUNDS[b] == bg_rgb), None)
    _, areas, _ = _prototypes(res)
    objects = []
    for li, name in enumerate(OBJ_NAMES):
        if li == bg_label:
            continue
        m = lab == li
        if m.sum() < MIN_AREA_FRAC * h * w:
            continue
        for ys, xs in components(m):
            if len(ys) < MIN_AREA_FRAC * h * w:
                continue
            if res < 96 and bg_rgb is not None:
                shape = classify_shape_template(img, ys, xs, scenes.COLOURS[name], bg_rgb)
            else:
                shape = classify_shape(ys, xs, res)
            x, y = (xs.mean() + 0.5) / w, (ys.mean() + 0.5) / h
            r = math.sqrt(len(ys) / areas[shape]) / res
            objects.append({"colour": name, "shape": shape, "x": float(x), "y": float(y),
                            "r": float(r), "size": "small" if r < SIZE_THRESHOLD else "large",
                            "position": scenes.position_name(x, y), "area": int(len(ys))})
    objects.sort(key=lambda o: -o["area"])
    return {"background": background, "objects": objects}


# ----------------------------------------------------------------------------- captions
_COL = "|".join(OBJ_NAMES)
_SHP = "|".join(scenes.SHAPES)
_OBJ_RE = re.compile(rf"\b(?:(small|large|big) )?({_COL}) ({_SHP})s?\b")
_BG_RE = re.compile(r"\bon an? (white|black|gray|grey|light blue) background\b")
_POS = sorted({p: k for k, v in scenes.POS_PHRASES.items() for p in v}.items(), key=lambda kv: -len(kv[0]))
_POS += [("in the top left", "top left"), ("in the top right", "top right"), ("in the bottom left", "bottom left"),
         ("in the bottom right", "bottom right"), ("at the center", "center"), ("at the left", "left"),
         ("at the right", "right")]
_POS.sort(key=lambda kv: -len(kv[0]))
_REL = [("to the left of", "left of"), ("to the right of", "right of"), ("left of", "left of"),
        ("right of", "right of"), ("above", "above"), ("below", "below"), ("under", "below")]


def parse_caption(caption):
    """{"objects": [{colour, shape, size|None, position|None}], "relation": (i, rel, j)|None, "background"}"""
    text = caption.lower().strip()
    bg = None
    m = _BG_RE.search(text)
    if m:
        bg = "gray" if m.group(1) == "grey" else m.group(1)
        text = text[:m.start()] + text[m.end():]
    matches = list(_OBJ_RE.finditer(text))
    objs, relation = [], None
    for k, mm in enumerate(matches):
        size = {"big": "large"}.get(mm.group(1), mm.group(1))
        tail = text[mm.end(): matches[k + 1].start() if k + 1 < len(matches) else len(text)]
        pos = next((name for phrase, name in _POS if phrase in tail), None)
        objs.append({"colour": mm.group(2), "shape": mm.group(3), "size": size, "position": pos})
        if k + 1 < len(matches) and relation is None:
            rel = next((name for phrase, name in _REL if phrase in tail), None)
            if rel:
                relation = (k, rel, k + 1)
    return {"objects": objs, "relation": relation, "background": bg}


def check(img, caption, detection=None):
    """Per-claim results for an image against its caption: dict of claim -> list of booleans."""
    det = detection or detect(img)
    spec = parse_caption(caption)
    pool = list(det["objects"])
    matched = []
    for o in spec["objects"]:
        cands = [d for d in pool if d["colour"] == o["colour"]]
        if not cands:
            matched.append(None)
            continue
        best = max(cands, key=lambda d: (d["shape"] == o["shape"],
                                         o["position"] is None or d["position"] == o["position"],
                                         o["size"] is None or d["size"] == o["size"], d["area"]))
        pool.remove(best)
        matched.append(best)
    res = {"colour": [], "shape": [], "size": [], "position": [], "relation": [], "background": [], "count": []}
    for o, d in zip(spec["objects"], matched):
        res["colour"].append(d is not None)
        res["shape"].append(d is not None and d["shape"] == o["shape"])
        if o["size"]:
            res["size"].append(d is not None and d["size"] == o["size"])
        if o["position"]:
            res["position"].append(d is not None and d["position"] == o["position"])
    if spec["relation"]:
        i, rel, j = spec["relation"]
        a, b = matched[i], matched[j]
        res["relation"].append(a is not None and b is not None and scenes.relation_holds(a, b, rel, margin=0.03))
    if spec["background"]:
        res["background"].append(det["background"] == spec["background"])
    res["count"].append(len(det["objects"]) == len(spec["objects"]))
    res["all"] = [all(all(v) for k, v in res.items() if k != "count")]
    return res


def scene_matches(det, scene):
    """True when a detection reproduces a rendered scene exactly (objects, shapes, sizes, positions, background)."""
    if det["background"] != scene["background"] or len(det["objects"]) != len(scene["objects"]):
        return False
    pool = list(det["objects"])
    for o in scene["objects"]:
        hit = [d for d in pool if d["colour"] == o["colour"] and d["shape"] == o["shape"]
               and d["size"] == o["size"] and d["position"] == o["position"]]
        if not hit:
            return False
        pool.remove(hit[0])
    return True
