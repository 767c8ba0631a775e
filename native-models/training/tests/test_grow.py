"""Loading a checkpoint into a U-Net with attention at more resolutions (grow.py)."""
import unittest

import torch

from . import _paths  # noqa: F401

from glide_model import create_model  # noqa: E402
from grow import load_grown  # noqa: E402
from tests.test_widen import SMALL, randomised  # noqa: E402


def sample_inputs():
    g = torch.Generator().manual_seed(3)
    return dict(x=torch.randn(2, 3, 32, 32, generator=g), timesteps=torch.tensor([3, 900]),
                tokens=torch.randint(0, 1000, (2, 8), generator=g), mask=torch.ones(2, 8, dtype=torch.bool),
                inpaint_image=torch.zeros(2, 3, 32, 32), inpaint_mask=torch.zeros(2, 1, 32, 32))


class TestGrow(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)

    def test_grown_model_computes_what_the_checkpoint_did(self):
        old = randomised(create_model(**SMALL)).eval()
        grown = create_model(**dict(SMALL, attention_resolutions="16,8")).eval()
        fresh = load_grown(grown, old.state_dict())
        # one new block on the way down at 16 px, two on the way up (one before the 16 -> 32 up-sampler)
        self.assertEqual(fresh, ["input_blocks.3.1", "output_blocks.2.1", "output_blocks.3.1"])
        self.assertTrue(torch.equal(grown.state_dict()["output_blocks.3.2.in_layers.0.weight"],
                                    old.state_dict()["output_blocks.3.1.in_layers.0.weight"]))
        with torch.no_grad():
            self.assertTrue(torch.allclose(grown(**sample_inputs()), old(**sample_inputs()), atol=1e-5))

    def test_same_architecture_loads_strictly(self):
        old = randomised(create_model(**SMALL))
        same = create_model(**SMALL)
        self.assertEqual(load_grown(same, old.state_dict()), [])
        self.assertTrue(all(torch.equal(a, b) for a, b in zip(same.state_dict().values(), old.state_dict().values())))

    def test_a_checkpoint_that_does_not_fit_is_refused(self):
        old = randomised(create_model(**dict(SMALL, attention_resolutions="16,8")))
        with self.assertRaisesRegex(ValueError, "no place"):
            load_grown(create_model(**SMALL), old.state_dict())
        state = old.state_dict()
        state.pop("out.2.weight")
        with self.assertRaisesRegex(ValueError, "missing"):
            load_grown(create_model(**dict(SMALL, attention_resolutions="16,8")), state)


if __name__ == "__main__":
    unittest.main()
