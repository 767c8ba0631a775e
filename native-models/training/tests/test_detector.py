"""The scene-parsing detector and the scorer."""
import json
import os
import random
import tempfile
import unittest

import numpy as np
from PIL import Image

from . import _paths  # noqa: F401

import detector  # noqa: E402
import sample  # noqa: E402
import scenes  # noqa: E402
import score  # noqa: E402


class TestDetector(unittest.TestCase):
    def test_accuracy_on_clean_renders(self):
        rng = random.Random(11)
        n, ok, claims = 120, 0, []
        for _ in range(n):
            s = scenes.sample_scene(rng)
            img = scenes.render(s, 128)
            det = detector.detect(img)
            ok += detector.scene_matches(det, s)
            claims += detector.check(img, s["caption"], det)["all"]
        self.assertGreaterEqual(ok / n, 0.95)
        self.assertGreaterEqual(sum(claims) / len(claims), 0.95)

    def test_accuracy_on_32px_renders(self):
        # the base model's resolution: box-downscaled renders, shapes by template matching
        rng = random.Random(12)
        n = 80
        ok = sum(detector.scene_matches(detector.detect(scenes.downscale(scenes.render(s, 128), 4)), s)
                 for s in (scenes.sample_scene(rng) for _ in range(n)))
        self.assertGreaterEqual(ok / n, 0.95)

    def test_parse_caption(self):
        p = detector.parse_caption("A picture of a small green triangle above a large yellow star on a light blue background")
        self.assertEqual(p["background"], "light blue")
        self.assertEqual([(o["colour"], o["shape"], o["size"]) for o in p["objects"]],
                         [("green", "triangle", "small"), ("yellow", "star", "large")])
        self.assertEqual(p["relation"], (0, "above", 1))
        p = detector.parse_caption("a red circle in the top left corner, a blue square and a white heart on the right")
        self.assertEqual([o["position"] for o in p["objects"]], ["top left", None, "right"])
        self.assertIsNone(p["relation"])

    def test_wrong_caption_fails(self):
        s = {"background": "white", "objects": [{"colour": "red", "shape": "circle", "x": 0.25, "y": 0.5, "r": 0.18}]}
        img = scenes.render(s, 128)
        self.assertTrue(detector.check(img, "a large red circle on the left")["all"][0])
        r = detector.check(img, "a blue square on the right")
        self.assertEqual((r["colour"], r["all"]), ([False], [False]))
        r = detector.check(img, "a red star on the left")
        self.assertEqual((r["colour"], r["shape"], r["position"]), ([True], [False], [True]))

    def test_single_object_targets_count_one_object_captions_only(self):
        with tempfile.TemporaryDirectory() as d:
            rng = random.Random(11)
            items = []
            while len(items) < 6:
                scene = scenes.sample_scene(rng)
                if len(scene["objects"]) == 1 and scene["objects"][0]["position_said"] or \
                        len(scene["objects"]) == 2 and len(items) % 2:
                    name = f"{len(items)}.png"
                    Image.fromarray(scenes.render(scene, 128)).save(os.path.join(d, name))
                    items.append({"image": name, "caption": scene["caption"], "group": "rendered"})
            rows = score.score(items, d)[("text2im", "rendered", "classifier-free", None)]
            singles = sum(len(detector.parse_caption(it["caption"])["objects"]) == 1 for it in items)
            self.assertEqual(rows["1-obj c+s"], [singles, singles])
            self.assertEqual(rows["1-obj pos"], [singles, singles])
            self.assertLess(singles, len(items))
            self.assertIn("1-obj pos", score.table({("text2im", "rendered", "classifier-free", None): rows}))

    def test_clip_guided_rows_are_their_own_rows(self):
        with tempfile.TemporaryDirectory() as d:
            scene = scenes.sample_scene(random.Random(5))
            Image.fromarray(scenes.render(scene, 128)).save(os.path.join(d, "0.png"))
            items = [{"image": "0.png", "caption": scene["caption"], "group": "g", "guidance": 3},
                     {"image": "0.png", "caption": scene["caption"], "group": "g", "guidance": 3, "mode": "clip"}]
            rows = score.score(items, d)
            self.assertEqual(set(rows), {("text2im", "g", "classifier-free", 3), ("text2im", "g", "clip", 3)})
            lines = score.table(rows).splitlines()[2:]
            self.assertEqual([line.split()[2] for line in lines], ["3", "c3"])

    def test_score_inpainting(self):
        with tempfile.TemporaryDirectory() as d:
            items = []
            for i, c in enumerate(sample.inpaint_cases(3)):
                src, tgt = scenes.render(c["scene"], 128), scenes.render(c["target"], 128)
                m = (sample.box_mask(c["box"], 128) * 255).astype(np.uint8)
                for name, arr in (("s", src), ("t", tgt), ("m", m)):
                    Image.fromarray(arr).save(os.path.join(d, f"{name}{i}.png"))
                items.append({"image": f"t{i}.png", "source": f"s{i}.png", "mask": f"m{i}.png",
                              "caption": c["caption"], "kind": "inpaint", "group": "good"})
                items.append({"image": f"s{i}.png", "source": f"s{i}.png", "mask": f"m{i}.png",
                              "caption": c["caption"], "kind": "inpaint", "group": "unchanged"})
            with open(os.path.join(d, "items.json"), "w") as f:
                json.dump(items, f)
            rows = score.score(items, d)
            good = rows[("inpaint", "good", "classifier-free", None)]
            bad = rows[("inpaint", "unchanged", "classifier-free", None)]
            self.assertEqual(good["success"], [3, 3])
            self.assertEqual(bad["success"], [0, 3])
            self.assertIn("success", score.table(rows))


if __name__ == "__main__":
    unittest.main()
