"""Training objective, data and checkpoint format."""
import contextlib
import io
import json
import os
import random
import tempfile
import unittest
import unittest.mock
import zipfile

import numpy as np
import torch

from . import _paths  # noqa: F401

import masks  # noqa: E402
import scenes  # noqa: E402
import train  # noqa: E402
from diffusion import GaussianDiffusion  # noqa: E402
from glide_model import create_model  # noqa: E402
from tokenizer import END_TOKEN, CaptionTokenizer  # noqa: E402

TINY = dict(image_size=16, num_channels=32, num_res_blocks=1, channel_mult="1,2", attention_resolutions="8",
            num_heads=1, num_head_channels=32, text_ctx=16, xf_width=32, xf_layers=1, xf_heads=2,
            xf_final_ln=True, xf_padding=True, inpaint=True, super_res=False)


class TestTraining(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)

    def test_few_steps_lower_the_loss_on_a_fixed_batch(self):
        torch.manual_seed(0)
        model = create_model(**TINY)
        diff = GaussianDiffusion.create("squaredcos_cap_v2", 1000)
        tok = CaptionTokenizer()
        rng = random.Random(0)
        sc = [scenes.sample_scene(rng) for _ in range(8)]
        x0 = train.to_tensor(np.stack([scenes.render(s, 64, supersample=1) for s in sc])[:, ::4, ::4])
        toks, mk = zip(*(tok.padded_tokens_and_mask(s["caption"], 16) for s in sc))
        m = torch.from_numpy(np.stack([masks.random_mask(rng, 16, s) for s in sc]))[:, None]
        kw = {"tokens": torch.tensor(toks), "mask": torch.tensor(mk), "inpaint_image": x0 * m, "inpaint_mask": m}
        t = torch.tensor([5, 50, 100, 200, 300, 500, 700, 900])
        noise = torch.randn_like(x0)
        opt = torch.optim.Adam(model.parameters(), lr=2e-3)

        def loss():
            out = diff.training_losses(lambda x, ts: model(x, ts, **kw), x0, t, noise)
            self.assertTrue(torch.all(out["vb"] >= -1e-6))
            return out["loss"].mean()

        first = loss()
        for _ in range(25):
            opt.zero_grad()
            value = loss()
            value.backward()
            opt.step()
        self.assertLess(loss().item(), 0.7 * first.item())

    def test_vb_term_does_not_move_the_mean(self):
        model = create_model(**TINY)
        diff = GaussianDiffusion.create("linear", 1000)
        x0 = torch.rand(2, 3, 16, 16) * 2 - 1
        kw = {"tokens": torch.full((2, 16), END_TOKEN), "mask": torch.zeros(2, 16, dtype=torch.bool)}
        holder = {}

        def fn(x, ts):
            out = model(x, ts, **kw)
            out.retain_grad()
            holder["out"] = out
            return out
        diff.training_losses(fn, x0, torch.tensor([10, 600]))["vb"].sum().backward()
        g = holder["out"].grad
        self.assertEqual(float(g[:, :3].abs().max()), 0.0)  # eps channels: no gradient from the VB term
        self.assertGreater(float(g[:, 3:].abs().max()), 0.0)

    def test_sampler_runs_and_keeps_the_known_region(self):
        import sample
        torch.manual_seed(1)
        model = create_model(**TINY).eval()
        opt = dict(TINY, noise_schedule="squaredcos_cap_v2", diffusion_steps=1000)
        x = sample.sample_base(model, opt, ["a red circle", ""], 3.0, respacing="5")
        self.assertEqual(tuple(x.shape), (2, 3, 16, 16))
        self.assertLessEqual(float(x.abs().max()), 1.5)
        src = torch.rand(2, 3, 16, 16) * 2 - 1
        m = torch.ones(2, 1, 16, 16)
        m[:, :, 4:12, 4:12] = 0
        y = sample.sample_base(model, opt, ["a red circle", "a blue star"], 5.0, respacing="5",
                               inpaint_image=src * m, inpaint_mask=m)
        # the last step returns the posterior mean around pred_x0, whose known part is the source
        self.assertLess(float(((y - src).abs() * m).max()), 0.05)

    def test_checkpoint_format_is_the_official_one(self):
        model = create_model(**TINY)
        buf = io.BytesIO()
        torch.save(model.state_dict(), buf)
        self.assertTrue(zipfile.is_zipfile(io.BytesIO(buf.getvalue())))
        sd = torch.load(io.BytesIO(buf.getvalue()), map_location="cpu")
        self.assertTrue(all(v.dtype == torch.float32 for v in sd.values()))
        create_model(**TINY).load_state_dict(sd, strict=True)

    def test_production_options_and_budget(self):
        total = 0
        for kind, opt in train.OPTIONS.items():
            json.loads(json.dumps(opt))
            self.assertIsInstance(opt["channel_mult"], str)
            for key in ("text_ctx", "noise_schedule", "inpaint", "super_res", "diffusion_steps", "xf_width"):
                self.assertIn(key, opt)
            self.assertTrue(opt["inpaint"])
            self.assertEqual(opt["super_res"], kind == "upsample")
            self.assertEqual(opt["noise_schedule"], "squaredcos_cap_v2" if kind == "base" else "linear")
            model = create_model(**opt)
            total += sum(p.numel() for p in model.parameters())
        self.assertLessEqual(total * 4, 60 * 1000 * 1000)

    def test_batcher_shapes_and_masks(self):
        for kind in ("base", "upsample"):
            b = train.Batcher(kind, train.OPTIONS[kind], seed=1)
            x0, kw = b(4)
            s = 32 if kind == "base" else 48
            self.assertEqual(tuple(x0.shape), (4, 3, s, s))
            self.assertEqual(tuple(kw["inpaint_mask"].shape), (4, 1, s, s))
            self.assertTrue(torch.all((kw["inpaint_mask"] == 0) | (kw["inpaint_mask"] == 1)))
            self.assertTrue(torch.allclose(kw["inpaint_image"], x0 * kw["inpaint_mask"]))
            if kind == "upsample":
                self.assertEqual(tuple(kw["low_res"].shape), (4, 3, 12, 12))
            self.assertLessEqual(float(x0.abs().max()), 1.0)

    def test_scene_world_rules(self):
        rng = random.Random(7)
        tok = CaptionTokenizer()
        for _ in range(300):
            s = scenes.sample_scene(rng)
            self.assertTrue(1 <= len(s["objects"]) <= 3)
            for o in s["objects"]:
                self.assertNotEqual(scenes.COLOURS[o["colour"]], scenes.BACKGROUNDS[s["background"]])
                self.assertNotIn((o["colour"], o["shape"], o["position"]), scenes.HELD_OUT)
            if s["relation"]:
                self.assertTrue(scenes.relation_holds(s["objects"][0], s["objects"][1], s["relation"]))
            self.assertLessEqual(len(tok.encode(s["caption"])), train.OPTIONS["base"]["text_ctx"])

    def test_eval_prompts_have_a_balanced_relation_group(self):
        prompts = scenes.eval_prompts()
        groups = [p["group"] for p in prompts]
        self.assertEqual((groups.count("held-out"), groups.count("in-distribution")), (len(scenes.HELD_OUT), 24))
        relations = [p["caption"] for p in prompts if p["group"] == "relations"]
        self.assertEqual(len(relations), 16)
        self.assertEqual(len(set(relations)), 16)
        for relation in scenes.RELATIONS:
            said = [c for c in relations if any(phrase in c for phrase in scenes.REL_PHRASES[relation])]
            self.assertGreaterEqual(len(said), 4, relation)
        self.assertEqual(prompts, scenes.eval_prompts())

    def test_tokens_agree_with_gpt2(self):
        # ids visible in the reference tokenizer cases ("a blue vase holding orange ...", "... of a corgi in a field")
        tok = CaptionTokenizer()
        self.assertEqual(tok.encode("a blue"), [64, 4171])
        self.assertEqual(tok.encode("A blue orange"), [64, 4171, 10912])
        self.assertEqual(tok.encode("of a in the"), [1659, 257, 287, 262][0:0] + tok.encode("of") + [257, 287, 262])
        toks, mask = tok.padded_tokens_and_mask("a red circle", 8)
        self.assertEqual(toks[3:], [END_TOKEN] * 5)
        self.assertEqual(mask, [True] * 3 + [False] * 5)
        self.assertEqual(tok.padded_tokens_and_mask("", 4), ([END_TOKEN] * 4, [False] * 4))

    def test_gpt2_bpe_builder_when_vocab_available(self):
        import tokenizer
        enc = os.environ.get("GPT2_ENCODER_JSON", "/tmp/gpt2enc/package/encoder.json")
        bpe_path = os.path.join(os.path.dirname(enc), "vocab.bpe")
        if not (os.path.exists(enc) and os.path.exists(bpe_path)):
            self.skipTest("GPT-2 BPE files not available")
        bpe = tokenizer.GPT2BPE(enc, bpe_path)
        with open(os.path.join(_paths.REF, "tokenizer_gpt2.json")) as f:
            cases = json.load(f)["cases"]
        for c in cases[:5]:
            self.assertEqual(bpe.encode(c["prompt"]), c["tokens"], c["prompt"])
        table = CaptionTokenizer().table
        for piece, ids in table.items():
            self.assertEqual(bpe.encode_piece(piece), ids, piece)


class TestTrainedParts(unittest.TestCase):
    """train.py --train: which weights a run lets learn."""

    def run_steps(self, folder, *extra):
        init = os.path.join(folder, "init.pt")
        if not os.path.exists(init):
            torch.manual_seed(0)
            state = create_model(**train.OPTIONS["base"]).state_dict()
            for value in state.values():  # GLIDE zero-initialises output layers, which would stop every gradient
                if value.is_floating_point() and not value.any():
                    value.normal_(0, 0.02)
            torch.save(state, init)
        out = os.path.join(folder, "run-" + "-".join(extra))
        argv = ["train.py", "--model", "base", "--out", out, "--init", init, "--max-steps", "3", "--batch", "2",
                "--warmup", "1", "--lr", "1e-3", "--threads", "1", *extra]
        with unittest.mock.patch("sys.argv", argv), contextlib.redirect_stdout(io.StringIO()):
            train.main()
        before = torch.load(init)
        after = torch.load(os.path.join(out, "raw_final.pt"))
        moved = {name for name in before if not torch.equal(before[name], after[name])}
        text = {name for name in before if name.startswith(train.TEXT_ENCODER_PREFIXES)}
        return moved, text

    def test_each_choice_moves_only_its_weights(self):
        with tempfile.TemporaryDirectory() as folder:
            moved, text = self.run_steps(folder, "--train", "unet")
            self.assertEqual(moved & text, set())
            self.assertIn("transformer_proj.weight", moved)
            self.assertIn("out.2.weight", moved)
            moved, _ = self.run_steps(folder, "--train", "attention")
            self.assertIn("middle_block.1.encoder_kv.weight", moved)
            self.assertEqual({name.split(".")[0] for name in moved}, {"input_blocks", "middle_block", "output_blocks"})
            self.assertTrue(all(name.split(".")[-2] in ("norm", "qkv", "encoder_kv", "proj_out") for name in moved), moved)
            attention = moved
            moved, _ = self.run_steps(folder, "--train", "text-attention")
            self.assertIn("transformer.resblocks.0.attn.c_qkv.weight", moved)
            self.assertTrue(attention < moved and moved <= attention | text)
            moved, _ = self.run_steps(folder)
            self.assertIn("transformer.resblocks.0.attn.c_qkv.weight", moved)


if __name__ == "__main__":
    unittest.main()
