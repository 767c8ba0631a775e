"""The PyTorch GLIDE implementation against the official reference data."""
import json
import os
import unittest

import numpy as np
import torch

from . import _paths  # noqa: F401
from ._paths import REF

from diffusion import GaussianDiffusion, get_named_beta_schedule, guided_model_fn, space_timesteps  # noqa: E402
from glide_model import create_model  # noqa: E402

KINDS = ["base", "base-inpaint", "upsample", "upsample-inpaint"]


class _no_init:
    """Skip random initialisation while building the ~400M-parameter official layouts (only shapes matter)."""
    NAMES = ("kaiming_uniform_", "uniform_", "normal_", "zeros_", "ones_")

    def __enter__(self):
        self.saved = {n: getattr(torch.nn.init, n) for n in self.NAMES}
        for n in self.NAMES:
            setattr(torch.nn.init, n, lambda t, *a, **k: t)

    def __exit__(self, *exc):
        for n, f in self.saved.items():
            setattr(torch.nn.init, n, f)


def _case(kind):
    d = os.path.join(REF, "unet-" + kind)
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    sd = torch.load(os.path.join(d, "checkpoint.pt"), map_location="cpu")
    return d, cfg, sd


def _npy(d, name):
    return torch.from_numpy(np.load(os.path.join(d, name + ".npy")))


@unittest.skipUnless(os.path.isdir(REF), "reference fixtures not present")
class TestReference(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)

    def test_state_dict_names_and_shapes(self):
        with open(os.path.join(REF, "official_models.json")) as f:
            official = json.load(f)
        for kind in KINDS:
            d, cfg, sd = _case(kind)
            model = create_model(**cfg["options"])
            mine = model.state_dict()
            self.assertEqual(list(mine.keys()), list(sd.keys()), kind)
            for k, v in sd.items():
                self.assertEqual(tuple(mine[k].shape), tuple(v.shape), k)
            model.load_state_dict(sd, strict=True)
        # the released full-size models: every name and shape of official_models.json
        for kind in KINDS:
            info = official[kind]
            with _no_init():
                model = create_model(**info["options"])
            got = [(k, list(v.shape)) for k, v in model.state_dict().items()]
            self.assertEqual(got, [(k, list(s)) for k, s in info["tensors"]], kind)
            self.assertEqual(sum(v.numel() for v in model.state_dict().values()), int(info["params"]), kind)
            del model

    def test_outputs_match_reference(self):
        for kind in KINDS:
            d, cfg, sd = _case(kind)
            model = create_model(**cfg["options"]).eval()
            model.load_state_dict(sd, strict=True)
            kw = {"tokens": _npy(d, "tokens"), "mask": _npy(d, "mask")}
            if "inpaint" in kind:
                kw["inpaint_image"] = _npy(d, "inpaint_image")
                kw["inpaint_mask"] = _npy(d, "inpaint_mask")
            if "upsample" in kind:
                kw["low_res"] = _npy(d, "low_res")
            with torch.no_grad():
                out = model(_npy(d, "x"), _npy(d, "timesteps"), **kw).numpy()
            ref = np.load(os.path.join(d, "out.npy"))
            np.testing.assert_allclose(out, ref, atol=1e-4, rtol=0, err_msg=kind)

    def test_schedules_and_respacing(self):
        with open(os.path.join(REF, "schedules.json")) as f:
            sch = json.load(f)
        for name in ("linear", "squaredcos_cap_v2"):
            np.testing.assert_allclose(get_named_beta_schedule(name, 1000), sch["betas_" + name], rtol=1e-12, atol=0)
        for spacing, kept in sch["respacing"].items():
            self.assertEqual(sorted(space_timesteps(1000, spacing)), kept, spacing)

    def _sampler(self, case, unet):
        d = os.path.join(REF, "sampler-" + case)
        with open(os.path.join(d, "case.json")) as f:
            c = json.load(f)
        ud, cfg, sd = _case(unet)
        model = create_model(**cfg["options"]).eval()
        model.load_state_dict(sd, strict=True)
        return d, c, cfg, model

    def test_text2im_and_inpaint_sampler_trajectories(self):
        for case, unet in (("text2im", "base"), ("inpaint", "base-inpaint")):
            d, c, cfg, model = self._sampler(case, unet)
            diff = GaussianDiffusion.create(cfg["options"]["noise_schedule"], 1000, c["respacing"])
            self.assertEqual(list(diff.timestep_map), c["timestep_map"])
            kw = {"tokens": _npy(d, "tokens"), "mask": _npy(d, "mask")}
            dfn = None
            if case == "inpaint":
                ii, im = _npy(d, "inpaint_image"), _npy(d, "inpaint_mask")
                kw.update(inpaint_image=ii, inpaint_mask=im)
                dfn = lambda x0: x0 * (1 - im) + ii * im  # noqa: E731
            samples, preds = [], []
            diff.sample_loop(guided_model_fn(model, c["guidance_scale"], **kw), None, x_T=_npy(d, "x_T"),
                             step_noise=_npy(d, "step_noise"), denoised_fn=dfn,
                             callback=lambda i, x, x0: (samples.append(x), preds.append(x0)))
            np.testing.assert_allclose(torch.stack(samples).numpy(), np.load(os.path.join(d, "samples.npy")),
                                       atol=2e-4, rtol=0, err_msg=case)
            np.testing.assert_allclose(torch.stack(preds).numpy(), np.load(os.path.join(d, "pred_xstart.npy")),
                                       atol=1e-3, rtol=0, err_msg=case)

    def test_upsample_ddim_sampler_first_steps(self):
        # DDIM (eta 0) over "fast27" with the 8-bit low_res; the first two steps keep the test short.
        d, c, cfg, model = self._sampler("upsample", "upsample")
        diff = GaussianDiffusion.create(cfg["options"]["noise_schedule"], 1000, c["respacing"])
        self.assertEqual(list(diff.timestep_map), c["timestep_map"])
        low = _npy(d, "low_res")
        low = ((low + 1) * 127.5).round().clamp(0, 255) / 127.5 - 1
        kw = {"tokens": _npy(d, "tokens"), "mask": _npy(d, "mask"), "low_res": low}
        x = _npy(d, "x_T")
        ref = np.load(os.path.join(d, "samples_at.npy"))
        ref_x0 = np.load(os.path.join(d, "pred_xstart_at.npy"))
        for i, idx in enumerate(reversed(range(diff.num_timesteps))):
            if i > 1:
                break
            t = torch.full((x.shape[0],), idx, dtype=torch.long)
            with torch.no_grad():
                out = model(x, diff.model_timesteps(t), **kw)
            x, x0 = diff.ddim_sample(out, x, t, torch.zeros_like(x), eta=0.0)
            k = c["steps_kept"].index(i)
            np.testing.assert_allclose(x.numpy(), ref[k], atol=1e-4, rtol=0)
            np.testing.assert_allclose(x0.numpy(), ref_x0[k], atol=1e-3, rtol=0)  # x0 = x_t / sqrt(abar): amplified


if __name__ == "__main__":
    unittest.main()
