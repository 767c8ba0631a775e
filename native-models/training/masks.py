"""Random inpainting masks in GLIDE's convention: 1 = keep, 0 = regenerate."""
import math

import numpy as np
from PIL import Image, ImageDraw


def _canvas(size, ss):
    img = Image.new("L", (size * ss, size * ss), 255)
    return img, ImageDraw.Draw(img)


def random_mask(rng, size, scene=None, ss=None):
    """A float32 [size, size] mask with some region set to 0. `rng` is random.Random."""
    ss = ss or max(1, 256 // size)
    S = size * ss
    img, d = _canvas(size, ss)
    kind = rng.choices(["rect", "blob", "brush", "object"], weights=[0.3, 0.25, 0.2, 0.25])[0]
    if kind == "object" and not (scene and scene.get("objects")):
        kind = "rect"
    if kind == "rect":
        for _ in range(rng.choice([1, 1, 2])):
            w, h = rng.uniform(0.2, 0.7) * S, rng.uniform(0.2, 0.7) * S
            x, y = rng.uniform(0, S - w), rng.uniform(0, S - h)
            d.rectangle([x, y, x + w, y + h], fill=0)
    elif kind == "blob":
        cx, cy = rng.uniform(0.2, 0.8) * S, rng.uniform(0.2, 0.8) * S
        for _ in range(rng.randint(2, 5)):
            rx, ry = rng.uniform(0.08, 0.22) * S, rng.uniform(0.08, 0.22) * S
            ox, oy = cx + rng.uniform(-0.15, 0.15) * S, cy + rng.uniform(-0.15, 0.15) * S
            d.ellipse([ox - rx, oy - ry, ox + rx, oy + ry], fill=0)
    elif kind == "brush":
        for _ in range(rng.randint(1, 3)):
            x, y = rng.uniform(0.1, 0.9) * S, rng.uniform(0.1, 0.9) * S
            width = int(rng.uniform(0.06, 0.15) * S)
            pts = [(x, y)]
            ang = rng.uniform(0, 2 * math.pi)
            for _ in range(rng.randint(2, 6)):
                ang += rng.uniform(-1.2, 1.2)
                step = rng.uniform(0.1, 0.3) * S
                x = min(max(x + step * math.cos(ang), 0), S)
                y = min(max(y + step * math.sin(ang), 0), S)
                pts.append((x, y))
            d.line(pts, fill=0, width=width, joint="curve")
            for px, py in pts:
                d.ellipse([px - width / 2, py - width / 2, px + width / 2, py + width / 2], fill=0)
    else:  # a box around one object, with a margin: "replace this object"
        o = rng.choice(scene["objects"])
        r = o["r"] * rng.uniform(1.4, 2.0)
        d.rectangle([(o["x"] - r) * S, (o["y"] - r) * S, (o["x"] + r) * S, (o["y"] + r) * S], fill=0)
    img = img.resize((size, size), Image.BOX)
    return (np.asarray(img, dtype=np.float32) / 255.0 > 0.5).astype(np.float32)
