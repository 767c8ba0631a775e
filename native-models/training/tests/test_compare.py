"""compare.py's paired statistics (the Quality/Fast eval comparison)."""
import json
import math
import os
import tempfile
import unittest

from . import _paths  # noqa: F401

import compare  # noqa: E402


def runs(*images):
    """One run's scored images: {file name: (row key, {column: claims})}."""
    key = ("text2im", "g", "classifier-free", 3)
    return {name: (key, {"colour": claims}) for name, claims in images}


class TestPairedComparison(unittest.TestCase):
    def test_images_are_paired_by_name_and_run(self):
        first = runs(("a.png", [1, 1]), ("b.png", [1, 0]), ("only-first.png", [1]))
        second = runs(("a.png", [1, 0]), ("b.png", [1, 1]), ("only-second.png", [0]))
        pairs = compare.paired_claims([first], [second])
        self.assertEqual(list(pairs), [(("text2im", "g", "classifier-free", 3), "colour")])
        self.assertEqual(sorted(pairs.values())[0], [([1, 1], [1, 0]), ([1, 0], [1, 1])])
        with self.assertRaises(SystemExit):
            compare.paired_claims([first, first], [second])

    def test_difference_error_and_discordant_claims(self):
        # Ten images of one claim each: the second run loses two and gains none.
        pairs = [([1], [0])] * 2 + [([1], [1])] * 8
        diff, se, first_only, second_only = compare.paired_difference(pairs)
        self.assertAlmostEqual(diff, -20.0)
        self.assertEqual((first_only, second_only), (2, 0))
        # Clustered error of a mean of ten differences (-1, -1, 0 × 8): sd / sqrt(n) with n / (n - 1).
        residuals = 2 * (-1 + 0.2) ** 2 + 8 * 0.2**2
        self.assertAlmostEqual(se, 100 * math.sqrt(10 / 9 * residuals) / 10)

    def test_identical_runs_differ_by_nothing(self):
        pairs = [([1, 0, 1], [1, 0, 1]), ([0], [0])]
        self.assertEqual(compare.paired_difference(pairs), (0.0, 0.0, 0, 0))


if __name__ == "__main__":
    unittest.main()


def run_folder(parent, name, settings, clip_settings=None, key="clipSettings"):
    """A run's folder as eval:mini writes it: score.json and unet-evaluations.json."""
    folder = os.path.join(parent, name)
    os.makedirs(folder)
    row = {"kind": "text2im", "group": "relations", "mode": "clip", "guidance": 3,
           "counts": {"colour": [3, 4]}}
    with open(os.path.join(folder, "score.json"), "w") as handle:
        json.dump([row], handle)
    evaluations = {"preset": "fast", "settings": settings,
                   "sections": [{"section": "clip c3", "images": 2, "baseRows": 50,
                                 "upsampleRows": 6, "seconds": 1.0}]}
    if clip_settings is not None:
        evaluations[key] = clip_settings
    with open(os.path.join(folder, "unet-evaluations.json"), "w") as handle:
        json.dump(evaluations, handle)
    return folder


class TestPooling(unittest.TestCase):
    def test_pools_runs_of_the_same_settings_and_refuses_other_clip_settings(self):
        settings = {"baseRespacing": "3,17+2-500"}
        clip = {"baseRespacing": "4,20+2-500"}
        with tempfile.TemporaryDirectory() as parent:
            a = run_folder(parent, "a", settings, clip)
            b = run_folder(parent, "b", settings, clip)
            rows, evaluations = compare.load(f"{a},{b}")
            self.assertEqual(rows[("text2im", "relations", "clip", 3)]["counts"]["colour"], [6, 8])
            self.assertEqual(evaluations["sections"][0]["baseRows"], 100)
            self.assertIn("CLIP rows: " + json.dumps(clip),
                          "\n".join(compare.evaluation_lines("fast", evaluations)))
            # A run whose CLIP rows used other settings (or none recorded) is not pooled.
            older = run_folder(parent, "older", settings)
            with self.assertRaises(SystemExit):
                compare.load(f"{a},{older}")

    def assert_pools_case_settings_and_refuses(self, key, label, case_settings, older_settings):
        """Two runs with `key` recorded pool and print it under `label`; an older run does not."""
        settings = {"baseRespacing": "3,17+2-500"}
        with tempfile.TemporaryDirectory() as parent:
            a = run_folder(parent, "a", settings, case_settings, key=key)
            b = run_folder(parent, "b", settings, case_settings, key=key)
            rows, evaluations = compare.load(f"{a},{b}")
            self.assertEqual(rows[("text2im", "relations", "clip", 3)]["counts"]["colour"], [6, 8])
            self.assertIn(f"{label}: " + json.dumps(case_settings),
                          "\n".join(compare.evaluation_lines("fast", evaluations)))
            older = run_folder(parent, "older", settings, older_settings)
            with self.assertRaises(SystemExit):
                compare.load(f"{a},{older}")

    def test_keeps_one_row_settings_apart_from_the_older_clip_settings(self):
        # The same fields recorded as clipSettings: that run's guidance-1 rows ran Fast's own
        # steps, so it is not pooled.
        one_row = {"baseRespacing": "4,20+2-500"}
        self.assert_pools_case_settings_and_refuses(
            "oneRowSettings", "CLIP rows and guidance 1", one_row, one_row)

    def test_keeps_runs_with_strong_guidance_settings_apart_from_older_ones(self):
        # An older run recorded no such settings: its rows at guidance 5 ran the default steps.
        self.assert_pools_case_settings_and_refuses(
            "strongGuidanceSettings", "guidance above the mode's default",
            {"baseRespacing": "3,21+2-500"}, None)
