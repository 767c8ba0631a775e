"""publish.py's training record: the stages a run was resumed from and the totals over all of them."""
import json
import os
import tempfile
import unittest

from . import _paths  # noqa: F401

import plot_loss  # noqa: E402
import publish  # noqa: E402


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class TestLineage(unittest.TestCase):
    def test_totals_run_through_a_stopped_run_into_a_published_checkpoint(self):
        with tempfile.TemporaryDirectory() as root:
            published, stopped, final = (os.path.join(root, n) for n in ("checkpoints/base", "runs/a", "runs/b"))
            write(os.path.join(published, "recipe.json"),
                  json.dumps({"steps": 1700, "total_steps": 7161, "total_wall_time_s": 9480.0}))
            write(os.path.join(published, "final.pt"), "")
            # A run from the published checkpoint, stopped after its snapshot at step 388.
            write(os.path.join(stopped, "recipe.json"), json.dumps({"init": os.path.join(published, "final.pt")}))
            write(os.path.join(stopped, "train.log"), "step 350\nsaved latest.pt at step 388\nstep 450\n")
            write(os.path.join(stopped, "loss.csv"), "step,elapsed_s\n350,540.0\n400,620.0\n450,656.0\n")
            # The run that finished, from the stopped run's snapshot.
            write(os.path.join(final, "recipe.json"),
                  json.dumps({"init": os.path.join(stopped, "latest.pt"), "steps": 5000, "wall_time_s": 6000.0}))

            record = publish.enrich(final)

            self.assertEqual([("published" in s, "run" in s) for s in record["resumed_from"]],
                             [(True, False), (False, True)])
            self.assertEqual(record["resumed_from"][1]["steps"], 388)
            self.assertEqual(record["total_steps"], 7161 + 388 + 5000)
            self.assertEqual(record["total_wall_time_s"], 9480.0 + 540.0 + 6000.0)

    def test_a_run_from_another_runs_final_checkpoint_counts_all_of_its_steps(self):
        with tempfile.TemporaryDirectory() as root:
            published, gpu, cpu = (os.path.join(root, n) for n in ("checkpoints/base", "runs/gpu", "runs/cpu"))
            write(os.path.join(published, "recipe.json"), json.dumps({"total_steps": 100, "total_wall_time_s": 50.0}))
            write(os.path.join(gpu, "recipe.json"), json.dumps(
                {"init": os.path.join(published, "final.pt"), "steps": 1689, "wall_time_s": 228.0}))
            # a snapshot saved before the end must not stand for the finished run
            write(os.path.join(gpu, "train.log"), "saved latest.pt at step 900\ndone: 1689 steps\n")
            write(os.path.join(cpu, "recipe.json"), json.dumps(
                {"init": os.path.join(gpu, "final.pt"), "steps": 10, "wall_time_s": 5.0}))

            record = publish.enrich(cpu)

            self.assertEqual(record["resumed_from"][1]["steps"], 1689)
            self.assertEqual(record["total_steps"], 100 + 1689 + 10)
            self.assertEqual(record["total_wall_time_s"], 50.0 + 228.0 + 5.0)


class TestCopy(unittest.TestCase):
    def test_head_files_travel_with_the_checkpoint_and_stale_ones_go(self):
        with tempfile.TemporaryDirectory() as root:
            with_heads, without, dst = (os.path.join(root, n) for n in ("runs/a", "runs/b", "checkpoints/base"))
            for run in (with_heads, without):
                write(os.path.join(run, "final.pt"), run)
                write(os.path.join(run, "options.json"), "{}")
            for name in publish.HEAD_FILES:
                write(os.path.join(with_heads, name), f"{name} of a")

            publish.copy_run_files(with_heads, os.path.join(with_heads, "final.pt"), dst)
            for name in publish.HEAD_FILES:
                with open(os.path.join(dst, name)) as f:
                    self.assertEqual(f.read(), f"{name} of a")

            publish.copy_run_files(without, os.path.join(without, "final.pt"), dst)
            with open(os.path.join(dst, "final.pt")) as f:
                self.assertEqual(f.read(), without)
            self.assertFalse(any(os.path.exists(os.path.join(dst, name)) for name in publish.HEAD_FILES))


class TestLossHistory(unittest.TestCase):
    def test_a_chain_of_finished_runs_joins_into_one_curve(self):
        with tempfile.TemporaryDirectory() as root:
            a, b, c = (os.path.join(root, "runs", n) for n in "abc")
            for run, init, steps in ((a, None, 100), (b, os.path.join(a, "final.pt"), 40),
                                     (c, os.path.join(b, "final.pt"), 60)):
                write(os.path.join(run, "recipe.json"), json.dumps({"init": init, "steps": steps, "wall_time_s": 1.0}))
                write(os.path.join(run, "train.log"), "done\n")
                write(os.path.join(run, "loss.csv"), "step,loss\n" + "".join(
                    f"{k},{run[-1] == 'a' and 1.0 or 0.5}\n" for k in range(20, steps + 1, 20)))

            rows, resumes = plot_loss.history(c)

            self.assertEqual(resumes, [100, 140])
            self.assertEqual([r["step"] for r in rows], [20, 40, 60, 80, 100, 120, 140, 160, 180, 200])


if __name__ == "__main__":
    unittest.main()
