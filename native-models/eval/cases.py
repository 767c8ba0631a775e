"""Writes GLIDE-mini's evaluation cases for `npm run eval:mini` (which generates with the app's
TypeScript engine, then scores with score.py).

    /usr/bin/python3 native-models/eval/cases.py OUT_DIR [--inpaint N] [--size 128]

OUT_DIR/cases.json: {"prompts": [{"caption", "group"}...],
                     "inpaint": [{"caption", "source", "mask", "target": {"colour", "shape"}}...]}
Inpainting sources are rendered scenes (PNG); masks are PNG with white = keep, black = regenerate
(score.py's convention); the caption asks for another colour and shape where the mask is black.
"""
import argparse
import json
import os
import sys

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "training"))
import sample  # noqa: E402
import scenes  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--inpaint", type=int, default=16)
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    inpaint = []
    for index, case in enumerate(sample.inpaint_cases(args.inpaint)):
        source = f"inpaint-{index:02d}-source.png"
        mask = f"inpaint-{index:02d}-mask.png"
        Image.fromarray(scenes.render(case["scene"], args.size)).save(os.path.join(args.out, source))
        keep = sample.box_mask(case["box"], args.size)
        Image.fromarray((keep * 255).astype("uint8")).save(os.path.join(args.out, mask))
        target = case["target"]["objects"][0]
        inpaint.append({
            "caption": case["caption"],
            "source": source,
            "mask": mask,
            "target": {"colour": target["colour"], "shape": target["shape"]},
        })
    with open(os.path.join(args.out, "cases.json"), "w") as handle:
        json.dump({"prompts": scenes.eval_prompts(), "inpaint": inpaint}, handle, indent=1)


if __name__ == "__main__":
    main()
