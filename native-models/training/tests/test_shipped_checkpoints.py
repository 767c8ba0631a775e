"""The committed GLIDE-mini checkpoints (native-models/training/checkpoints/)."""
import json
import os
import unittest

import torch

from . import _paths  # noqa: F401

import train  # noqa: E402
from diffusion import GaussianDiffusion  # noqa: E402
from glide_model import create_model  # noqa: E402

CHECKPOINTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "checkpoints")


def load(name):
    with open(os.path.join(CHECKPOINTS, name, "options.json")) as f:
        opt = json.load(f)
    model = create_model(**opt)
    model.load_state_dict(torch.load(os.path.join(CHECKPOINTS, name, "final.pt"), map_location="cpu"), strict=True)
    return model.eval(), opt


class TestShippedCheckpoints(unittest.TestCase):
    def test_options_are_the_training_defaults(self):
        for name in ("base", "upsample"):
            _, opt = load(name)
            self.assertEqual(opt, train.OPTIONS[name])

    def test_base_controls_the_image_wide_colour_of_its_noise_prediction(self):
        # At t = 999, x_t is almost pure noise, so eps ~= x_t and the best eps has the same per-image
        # mean as x_t (slope 1). A model that cannot output that mean (one channel per GroupNorm group
        # at the output: the earlier GLIDE-mini, slope 0.008) leaves every sample's overall colour to
        # the noise.
        torch.manual_seed(0)
        model, opt = load("base")
        x0, kw = train.Batcher("base", opt, 99, p_empty_caption=0.0, p_zero_mask=1.0)(64)
        diffusion = GaussianDiffusion.create(opt["noise_schedule"], opt["diffusion_steps"])
        t = torch.full((64,), 999)
        noise = torch.randn_like(x0)
        with torch.no_grad():
            eps = model(diffusion.q_sample(x0, t, noise), t, **kw)[:, :3]
        true_mean, predicted_mean = noise.mean((2, 3)).flatten(), eps.mean((2, 3)).flatten()
        slope = (true_mean * predicted_mean).sum() / (true_mean ** 2).sum()
        self.assertGreater(slope.item(), 0.7)


if __name__ == "__main__":
    unittest.main()
