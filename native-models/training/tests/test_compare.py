"""compare.py's paired statistics (the Quality/Fast eval comparison)."""
import math
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
