"""probe.py: the caption sets and scoring the model card's relation figures come from."""
import unittest

import numpy as np

from . import _paths  # noqa: F401

import probe  # noqa: E402
import scenes  # noqa: E402


class TestProbe(unittest.TestCase):
    def test_caption_sets_are_fixed_and_state_what_they_are_for(self):
        relation, one = probe.relation_scenes(), probe.one_object_scenes()
        self.assertEqual([s["caption"] for s in relation], [s["caption"] for s in probe.relation_scenes()])
        self.assertEqual((len(relation), len(one)), (48, 24))
        self.assertTrue(all(s["relation"] in probe.RELATIONS and len(s["objects"]) == 2 for s in relation))
        self.assertEqual({s["relation"] for s in relation}, set(probe.RELATIONS))
        self.assertTrue(all(len(s["objects"]) == 1 for s in one))

    def test_renders_of_the_captions_score_as_right(self):
        # what a perfect model would draw, at the base's 32 px: the scorer must call it right
        drawn = probe.relation_scenes()[:16] + probe.one_object_scenes()[:8]
        images = [scenes.downscale(scenes.render(s, 128), 4) for s in drawn]
        result = probe.score(images, [s["caption"].lower() for s in drawn])
        self.assertGreaterEqual(result["relation"], 90)
        self.assertGreaterEqual(result["all"], 85)
        # and a render of the other arrangement must not score the relation as right
        swapped = []
        for s in drawn[:16]:
            a, b = s["objects"]
            moved = [dict(a, x=b["x"], y=b["y"]), dict(b, x=a["x"], y=a["y"])]
            swapped.append(scenes.downscale(scenes.render(dict(s, objects=moved), 128), 4))
        self.assertLessEqual(probe.score(swapped, [s["caption"].lower() for s in drawn[:16]])["relation"], 10)

    def test_colour_centre_finds_each_object(self):
        scene = {"background": "white", "objects": [
            {"shape": "circle", "colour": "red", "x": 0.25, "y": 0.7, "r": 0.12},
            {"shape": "square", "colour": "blue", "x": 0.75, "y": 0.3, "r": 0.12}]}
        image = scenes.downscale(scenes.render(scene, 128), 4)
        for o in scene["objects"]:
            x, y = probe.colour_centre(image, o["colour"])
            self.assertLess(np.hypot(x - o["x"], y - o["y"]), 0.08)


if __name__ == "__main__":
    unittest.main()
