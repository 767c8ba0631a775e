"""Widening a trained model's levels (widen.py) and the low-frequency weighting of the eps loss."""
import unittest

import torch

from . import _paths  # noqa: F401

import train  # noqa: E402
from diffusion import GaussianDiffusion  # noqa: E402
from glide_model import create_model  # noqa: E402
from widen import widen_state_dict  # noqa: E402

SMALL = dict(image_size=32, num_channels=32, num_res_blocks=1, channel_mult="1,2,2", attention_resolutions="8",
             num_heads=1, num_head_channels=32, text_ctx=8, xf_width=32, xf_layers=1, xf_heads=2,
             xf_final_ln=True, xf_padding=True, inpaint=True, super_res=False)


def randomised(model, seed=0):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    return model


class TestWiden(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)

    def test_widened_model_loads_and_keeps_the_first_level_as_channel_pairs(self):
        old = randomised(create_model(**SMALL)).eval()
        wide_opt = dict(SMALL, channel_mult="2,2,2")
        sd, approximate = widen_state_dict(old.state_dict(), SMALL, wide_opt, seed=1)
        self.assertIn("input_blocks.3.0", approximate)  # the 32 -> 64 skip that became the identity
        wide = create_model(**wide_opt).eval()
        wide.load_state_dict(sd, strict=True)
        x = torch.randn(2, 3, 32, 32)
        t = torch.tensor([3, 900])
        kw = dict(tokens=torch.randint(0, 1000, (2, 8)), mask=torch.ones(2, 8, dtype=torch.bool),
                  inpaint_image=torch.randn(2, 3, 32, 32), inpaint_mask=torch.ones(2, 1, 32, 32))
        outs = []
        for model in (old, wide):
            seen = []
            hooks = [model.input_blocks[i].register_forward_hook(lambda m, i, o: seen.append(o)) for i in (1, 2)]
            with torch.no_grad():
                model(x, t, **kw)
            for h in hooks:
                h.remove()
            outs.append(seen)
        for a, b in zip(*outs):
            self.assertEqual(b.shape[1], 2 * a.shape[1])
            self.assertLess((a.repeat_interleave(2, dim=1) - b).abs().max().item(), 1e-4)
        # both channels of a pair read the same inputs but with different weights, so training separates them
        w = wide.input_blocks[1][0].in_layers[2].weight
        self.assertGreater((w[:, 0] - w[:, 1]).abs().max().item(), 1e-3)

    def test_widening_a_level_with_attention_is_refused(self):
        old = create_model(**SMALL)
        with self.assertRaises(ValueError):
            widen_state_dict(old.state_dict(), SMALL, dict(SMALL, channel_mult="1,2,4"))

    def test_shipped_options_have_two_channels_per_group_at_the_output(self):
        # GroupNorm has 32 groups: one channel per group at the top level makes the final norm remove
        # each channel's mean, and the model cannot set the image-wide colour of its eps.
        for kind, opt in train.OPTIONS.items():
            top = opt["num_channels"] * int(opt["channel_mult"].split(",")[0])
            self.assertGreaterEqual(top // 32, 2, kind)


class TestLowFrequencyLoss(unittest.TestCase):
    def test_weighting_counts_an_image_wide_error_more_than_a_checkerboard(self):
        diff = GaussianDiffusion.create("squaredcos_cap_v2", 1000)
        x0 = torch.zeros(2, 3, 16, 16)
        t = torch.tensor([500, 500])
        noise = torch.zeros_like(x0)
        dc = torch.full((1, 3, 16, 16), 0.1)
        checker = 0.1 * (torch.arange(16)[:, None] + torch.arange(16)[None]).remainder(2).mul(2).sub(1).float()
        eps = torch.cat([dc, checker.expand(1, 3, 16, 16)])

        def model_fn(x, ts):
            return torch.cat([eps, torch.zeros_like(eps)], dim=1)

        plain = diff.training_losses(model_fn, x0, t, noise)
        weighted = diff.training_losses(model_fn, x0, t, noise, lowfreq_weight=1.0)
        self.assertTrue(torch.allclose(plain["mse"], weighted["mse"]))
        self.assertTrue(torch.all(plain["lowfreq"] == 0))
        self.assertAlmostEqual(plain["mse"][0].item(), plain["mse"][1].item(), places=6)
        self.assertAlmostEqual(weighted["lowfreq"][0].item(), 0.01 * (4 + 8 + 16), places=5)
        self.assertAlmostEqual(weighted["lowfreq"][1].item(), 0.0, places=6)


if __name__ == "__main__":
    unittest.main()
