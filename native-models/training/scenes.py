"""The GLIDE-mini procedural scene world: 1-3 flat-coloured shapes on a plain background,
with captions in varied natural English. Rendered anti-aliased (2x supersampled) at the
upsampler's resolution and box-downscaled for the base model."""
import math
import random

import numpy as np
from PIL import Image, ImageDraw

COLOURS = {
    "red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 90, 220), "yellow": (240, 210, 40),
    "purple": (140, 60, 190), "orange": (245, 140, 30), "white": (245, 245, 245), "black": (20, 20, 20),
}
BACKGROUNDS = {"white": (245, 245, 245), "black": (20, 20, 20), "gray": (128, 128, 128),
               "light blue": (170, 210, 240)}
SHAPES = ["circle", "square", "triangle", "star", "heart"]
SIZES = {"small": 0.11, "large": 0.18}  # "radius" as a fraction of the image width
POSITIONS = {
    "top left": (0.25, 0.25), "top": (0.5, 0.25), "top right": (0.75, 0.25),
    "left": (0.25, 0.5), "center": (0.5, 0.5), "right": (0.75, 0.5),
    "bottom left": (0.25, 0.75), "bottom": (0.5, 0.75), "bottom right": (0.75, 0.75),
}
RELATIONS = ["left of", "right of", "above", "below"]

# (colour, shape, position) combinations never rendered in training: evaluation prompts.
HELD_OUT = {
    ("red", "star", "bottom right"), ("blue", "heart", "top left"), ("green", "circle", "right"),
    ("yellow", "triangle", "bottom"), ("purple", "square", "top"), ("orange", "heart", "center"),
    ("white", "star", "left"), ("black", "triangle", "top right"),
}

POS_PHRASES = {
    "left": ["on the left", "on the left side"], "right": ["on the right", "on the right side"],
    "top": ["at the top"], "bottom": ["at the bottom"], "center": ["in the center", "in the middle"],
    "top left": ["in the top left corner", "at the top left"],
    "top right": ["in the top right corner", "at the top right"],
    "bottom left": ["in the bottom left corner", "at the bottom left"],
    "bottom right": ["in the bottom right corner", "at the bottom right"],
}
REL_PHRASES = {"left of": ["to the left of", "left of"], "right of": ["to the right of", "right of"],
               "above": ["above"], "below": ["below", "under"]}
PREFIXES = ["a picture of ", "an image of ", "a drawing of "]


# ----------------------------------------------------------------------------- geometry
def shape_polygon(shape, cx, cy, r):
    """Vertices (or None for circle) of a shape of nominal radius r centred at (cx, cy)."""
    if shape == "square":
        h = r * 0.85
        return [(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h)]
    if shape == "triangle":
        R = r * 1.15
        return [(cx + R * math.sin(a), cy - R * math.cos(a)) for a in (0, 2 * math.pi / 3, 4 * math.pi / 3)]
    if shape == "star":
        R, ri = r * 1.15, r * 1.15 * 0.45
        pts = []
        for i in range(10):
            a = i * math.pi / 5
            rr = R if i % 2 == 0 else ri
            pts.append((cx + rr * math.sin(a), cy - rr * math.cos(a)))
        return pts
    if shape == "heart":
        pts = []
        for i in range(72):
            t = 2 * math.pi * i / 72
            x = 16 * math.sin(t) ** 3
            y = 13 * math.cos(t) - 5 * math.cos(2 * t) - 2 * math.cos(3 * t) - math.cos(4 * t)
            pts.append((cx + x * r / 15.0, cy - (y + 2.5) * r / 15.0))
        return pts
    return None


def draw_shape(draw, shape, cx, cy, r, fill):
    poly = shape_polygon(shape, cx, cy, r)
    if poly is None:
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    else:
        draw.polygon(poly, fill=fill)


# ----------------------------------------------------------------------------- scenes
def _bucket(v):
    return 0 if v < 0.375 else (2 if v > 0.625 else 1)


def position_name(x, y):
    col, row = _bucket(x), _bucket(y)
    names = {(0, 0): "top left", (1, 0): "top", (2, 0): "top right", (0, 1): "left", (1, 1): "center",
             (2, 1): "right", (0, 2): "bottom left", (1, 2): "bottom", (2, 2): "bottom right"}
    return names[(col, row)]


def relation_holds(a, b, rel, margin=0.06):
    """a, b: dicts with x, y (fractions). True when 'a rel b' holds."""
    if rel == "left of":
        return a["x"] < b["x"] - margin
    if rel == "right of":
        return a["x"] > b["x"] + margin
    if rel == "above":
        return a["y"] < b["y"] - margin
    if rel == "below":
        return a["y"] > b["y"] + margin
    raise ValueError(rel)


def _sample_objects(rng, n, bg, relation=None, held_out=HELD_OUT):
    for _ in range(200):
        anchors = rng.sample(list(POSITIONS), n)
        objs = []
        for pos in anchors:
            colour = rng.choice([c for c in COLOURS if COLOURS[c] != BACKGROUNDS[bg]])
            shape = rng.choice(SHAPES)
            size = rng.choice(list(SIZES))
            ax, ay = POSITIONS[pos]
            objs.append({"colour": colour, "shape": shape, "size": size, "position": pos,
                         "x": ax + rng.uniform(-0.03, 0.03), "y": ay + rng.uniform(-0.03, 0.03),
                         "r": SIZES[size] * rng.uniform(0.93, 1.07)})
        ok = all((o["colour"], o["shape"], o["position"]) not in held_out for o in objs)
        for i in range(n):
            for j in range(i + 1, n):
                a, b = objs[i], objs[j]
                if math.hypot(a["x"] - b["x"], a["y"] - b["y"]) < (a["r"] + b["r"]) * 1.2 + 0.02:
                    ok = False
        if relation is not None and not relation_holds(objs[0], objs[1], relation):
            ok = False
        if ok:
            return objs
    return None


def _article(word):
    return "an" if word[0] in "aeiou" else "a"


def describe(o, rng, with_size=None, with_pos=None):
    words = []
    if with_size if with_size is not None else rng.random() < 0.4:
        words.append(o["size"])
        o["size_said"] = True
    words += [o["colour"], o["shape"]]
    text = _article(words[0]) + " " + " ".join(words)
    if with_pos if with_pos is not None else rng.random() < 0.5:
        text += " " + rng.choice(POS_PHRASES[o["position"]])
        o["position_said"] = True
    return text


def sample_scene(rng, held_out=HELD_OUT, relation_share=0.0):
    """A random scene: {"background", "objects", "relation", "caption"}. relation_share: the share
    of scenes drawn as two objects in a stated relation before the usual mix (which has 17.5 %)."""
    while True:
        bg = rng.choice(list(BACKGROUNDS))
        if relation_share and rng.random() < relation_share:
            n, relation = 2, rng.choice(RELATIONS)
        else:
            n = rng.choices([1, 2, 3], weights=[0.45, 0.35, 0.2])[0]
            relation = rng.choice(RELATIONS) if n == 2 and rng.random() < 0.5 else None
        objs = _sample_objects(rng, n, bg, relation, held_out)
        if objs is None:
            continue
        for o in objs:
            o["size_said"] = False
            o["position_said"] = False
        if n == 1:
            cap = describe(objs[0], rng, with_pos=rng.random() < 0.65)
        elif relation is not None:
            cap = describe(objs[0], rng, with_pos=False) + " " + rng.choice(REL_PHRASES[relation]) + " " + \
                describe(objs[1], rng, with_pos=False)
        elif n == 2:
            cap = describe(objs[0], rng) + " and " + describe(objs[1], rng)
        else:
            cap = describe(objs[0], rng) + ", " + describe(objs[1], rng) + " and " + describe(objs[2], rng)
        if rng.random() < 0.4:
            cap += " on " + _article(bg) + " " + bg + " background"
            bg_said = True
        else:
            bg_said = False
        if rng.random() < 0.15:
            cap = rng.choice(PREFIXES) + cap
        if rng.random() < 0.15:
            cap = cap[0].upper() + cap[1:]
        return {"background": bg, "background_said": bg_said, "objects": objs,
                "relation": relation, "caption": cap}


def render(scene, size=128, supersample=2):
    """uint8 [size, size, 3] image of a scene."""
    S = size * supersample
    img = Image.new("RGB", (S, S), BACKGROUNDS[scene["background"]])
    d = ImageDraw.Draw(img)
    for o in scene["objects"]:
        draw_shape(d, o["shape"], o["x"] * S, o["y"] * S, o["r"] * S, COLOURS[o["colour"]])
    if supersample > 1:
        img = img.resize((size, size), Image.BOX)
    return np.asarray(img, dtype=np.uint8)


def downscale(img_u8, factor=4):
    """Box (area) downscale of a uint8 HxWx3 image."""
    h, w, c = img_u8.shape
    x = img_u8.reshape(h // factor, factor, w // factor, factor, c).astype(np.float32).mean(axis=(1, 3))
    return np.clip(np.round(x), 0, 255).astype(np.uint8)


def eval_prompts(relations_each=4):
    """Fixed evaluation prompts, each {"caption", "group"}: the held-out colour x shape x position
    combinations ("held-out"); in-distribution prompts covering every colour, shape, size, position
    and relation ("in-distribution"); and relations_each two-object captions per relation, with
    objects told apart by colour or shape ("relations"), so the relation target is measured on more
    than the few captions the random mix has."""
    out = []
    for colour, shape, pos in sorted(HELD_OUT):
        out.append({"caption": f"{_article(colour)} {colour} {shape} {POS_PHRASES[pos][0]}", "group": "held-out"})
    rng = random.Random(1234)
    for i in range(24):
        s = sample_scene(rng)
        out.append({"caption": s["caption"].lower(), "group": "in-distribution"})
    rng = random.Random(4321)
    per_relation = {relation: [] for relation in RELATIONS}
    while any(len(captions) < relations_each for captions in per_relation.values()):
        s = sample_scene(rng, relation_share=1.0)
        if not s["relation"] or len(per_relation[s["relation"]]) == relations_each:
            continue
        a, b = s["objects"]
        if (a["colour"], a["shape"]) != (b["colour"], b["shape"]):  # two alike would satisfy either order
            per_relation[s["relation"]].append(s["caption"].lower())
    for relation in RELATIONS:
        out.extend({"caption": caption, "group": "relations"} for caption in per_relation[relation])
    return out


if __name__ == "__main__":
    rng = random.Random(0)
    for _ in range(30):
        print(sample_scene(rng)["caption"])
