"""GLIDE-mini's noised CLIP: official layout, parity with the reference noised CLIP, CLIP's tokenizer,
training, and the committed checkpoint (native-models/training/checkpoints/clip/)."""
import json
import os
import random
import unittest
import unittest.mock

import numpy as np
import torch

from . import _paths  # noqa: F401
from ._paths import REF

import clip_eval  # noqa: E402
import publish_clip  # noqa: E402
import train_clip  # noqa: E402
from clip_model import ClipPair, config_yaml, read_config  # noqa: E402
from clip_tokenizer import ClipTokenizer  # noqa: E402
from diffusion import GaussianDiffusion  # noqa: E402

SHARED_REF = os.path.join(os.path.dirname(_paths.REPO), "shared", "glide-reference")
REFERENCE = REF if os.path.isdir(os.path.join(REF, "clip-tiny")) else SHARED_REF
CHECKPOINT = os.path.join(_paths.TRAINING, "checkpoints", "clip")
TINY = dict(train_clip.MINI_CONFIG, n_embd=16, n_head_state_text=8, n_head_text=2, n_xf_blocks_text=1,
            n_head_state_image=8, n_head_image=2, n_xf_blocks_image=1, patch_size=8)


def ref_path(*parts):
    return os.path.join(REFERENCE, *parts)


@unittest.skipUnless(os.path.isdir(ref_path("clip-tiny")), "reference fixtures not present")
class TestOfficialLayout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)

    def test_the_released_config_gives_the_released_keys_and_shapes(self):
        with open(ref_path("official_models.json")) as f:
            official = json.load(f)
        # shapes only: skip the random draws of 158 M weights
        with unittest.mock.patch("torch.randn", lambda *shape, **_: torch.empty(*shape)):
            model = ClipPair(official["clip/image-enc"]["clip_config"])
        for name, encoder in (("clip/image-enc", model.image_encoder), ("clip/text-enc", model.text_encoder)):
            expected = official[name]
            keys = expected.get("keys") or expected.get("state_dict") or expected.get("tensors")
            mine = [[k, list(v.shape)] for k, v in encoder.state_dict().items()]
            self.assertEqual(mine, [[k, list(s)] for k, s in keys], name)

    def test_reference_noised_clip_outputs_and_guidance_gradient(self):
        d = ref_path("clip-tiny")
        model = ClipPair(read_config(os.path.join(d, "config.yaml")))
        model.image_encoder.load_state_dict(torch.load(os.path.join(d, "image_enc.pt")), strict=True)
        model.text_encoder.load_state_dict(torch.load(os.path.join(d, "text_enc.pt")), strict=True)
        with open(os.path.join(d, "case.json")) as f:
            case = json.load(f)

        def npy(name):
            return torch.from_numpy(np.load(os.path.join(d, name + ".npy")))

        x, t, tokens, lens = npy("x"), npy("timesteps"), npy("tokens"), npy("lens")
        with torch.no_grad():
            image_emb = model.image_embeddings(x, t)
            text_emb = model.text_embeddings(tokens, lens)
            cut = model.text_embeddings(tokens[:, :int(lens.max())], lens)
        np.testing.assert_allclose(image_emb.numpy(), np.load(os.path.join(d, "image_emb.npy")), atol=1e-5)
        np.testing.assert_allclose(text_emb.numpy(), np.load(os.path.join(d, "text_emb.npy")), atol=1e-5)
        np.testing.assert_allclose(cut.numpy(), text_emb.numpy(), atol=1e-6)  # causal: padding may be cut
        grad = case["grad_scale"] * model.guidance_grad(x, t, text_emb, logit_scale=case["logit_scale"])
        reference = np.load(os.path.join(d, "grad_scaled.npy"))
        self.assertLess(np.abs(grad.numpy() - reference).max(), 1e-4 * np.abs(reference).max())

    def test_tokenizer_is_exact_on_every_reference_prompt(self):
        with open(ref_path("tokenizer_clip.json")) as f:
            ref = json.load(f)
        tokenizer = ClipTokenizer()
        self.assertEqual(ref["text_ctx"], 77)
        for case in ref["cases"]:
            self.assertEqual(tokenizer.encode(case["prompt"]), case["tokens"], case["prompt"])
            padded, length = tokenizer.padded_tokens_and_len(case["prompt"], ref["text_ctx"])
            self.assertEqual(padded, case["padded"], case["prompt"])
            self.assertEqual(length, case["len"], case["prompt"])


class TestClipTraining(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)

    def test_config_yaml_round_trips(self):
        with unittest.mock.patch("builtins.open", unittest.mock.mock_open(read_data=config_yaml(TINY))):
            self.assertEqual(read_config("config.yaml"), TINY)

    def test_scene_captions_tokenise_within_the_context(self):
        tokenizer, rng = ClipTokenizer(), random.Random(3)
        for _ in range(200):
            caption = train_clip.scenes.sample_scene(rng, relation_share=0.5)["caption"]
            tokens = tokenizer.encode(caption)
            self.assertLessEqual(len(tokens) + 2, 77, caption)
            self.assertTrue(all(0 < t < 49406 for t in tokens), caption)

    def test_same_caption_pairs_are_not_negatives(self):
        z = torch.nn.functional.normalize(torch.randn(3, 8), dim=1)
        scale = torch.tensor(0.0)
        with_duplicate, _ = train_clip.contrastive_loss(z, torch.cat([z[:1], z[:1], z[2:]]), scale,
                                                        ["a", "a", "b"])
        logits = z @ torch.cat([z[:1], z[:1], z[2:]]).T
        logits[0, 1] = logits[1, 0] = float("-inf")
        target = torch.arange(3)
        expected = (torch.nn.functional.cross_entropy(logits, target) +
                    torch.nn.functional.cross_entropy(logits.T, target)) / 2
        self.assertAlmostEqual(float(with_duplicate), float(expected), places=5)

    def test_hard_negatives_join_the_image_side_only(self):
        z = torch.nn.functional.normalize(torch.randn(4, 8, generator=torch.Generator().manual_seed(2)), dim=1)
        scale = torch.tensor(1.0)
        keys = ["a", "b", "c", "d"]
        plain, _ = train_clip.contrastive_loss(z, z, scale, keys)
        close = torch.nn.functional.normalize(z + 0.01, dim=1)
        harder, _ = train_clip.contrastive_loss(z, z, scale, keys, close, ["a x", "b x", "c x", "d x"])
        self.assertGreater(float(harder), float(plain))
        # a "changed" caption that is some row's own caption is not that row's negative
        masked, _ = train_clip.contrastive_loss(z, z, torch.tensor(0.0), keys, z[:1], ["A"])
        logits = z @ z.T
        extra = (z @ z[:1].T)
        extra[0, 0] = float("-inf")
        target = torch.arange(4)
        expected = (torch.nn.functional.cross_entropy(torch.cat([logits, extra], 1), target) +
                    torch.nn.functional.cross_entropy(logits.T, target)) / 2
        self.assertAlmostEqual(float(masked), float(expected), places=5)

    def test_hard_negative_batches_carry_changed_captions(self):
        images, tokens, lens, keys, hard_tokens, hard_lens, changed = next(train_clip.batches(6, 8, 0.5, 0, True))
        self.assertEqual(len(changed), hard_tokens.shape[0])
        self.assertGreater(len(changed), 0)
        self.assertTrue(all(c not in keys for c in changed))

    def test_few_steps_lower_the_loss_on_a_fixed_batch(self):
        torch.manual_seed(0)
        model = ClipPair(TINY)
        log_scale = torch.nn.Parameter(torch.tensor(2.0))
        diffusion = GaussianDiffusion.create("squaredcos_cap_v2", 1000)
        batch = next(train_clip.batches(5, 16, 0.3, 0))
        optimizer = torch.optim.Adam(list(model.parameters()) + [log_scale], lr=3e-3)
        losses = []
        for _ in range(30):
            loss, _ = train_clip.training_step(model, log_scale, diffusion, batch, torch.Generator().manual_seed(1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss))
        self.assertLess(losses[-1], 0.5 * losses[0])

    def test_one_word_changed_changes_one_word(self):
        rng = random.Random(0)
        changed = clip_eval.one_word_changed("a red circle left of a blue square", rng)
        diff = [(a, b) for a, b in zip("a red circle left of a blue square".split(), changed.split()) if a != b]
        self.assertEqual(len(diff), 1)
        self.assertIsNone(clip_eval.one_word_changed("nothing to change here", rng))


@unittest.skipUnless(os.path.exists(os.path.join(CHECKPOINT, "image_enc.pt")), "no committed CLIP checkpoint")
class TestShippedClip(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)
        cls.model = clip_eval.load_run(CHECKPOINT)
        cls.tokenizer = ClipTokenizer()

    def test_checkpoint_is_the_official_layout_and_small(self):
        cfg = read_config(os.path.join(CHECKPOINT, "config.yaml"))
        for key in train_clip.MINI_CONFIG:
            self.assertIn(key, cfg)
        expected = ClipPair(cfg)
        for name, encoder in (("image_enc.pt", expected.image_encoder), ("text_enc.pt", expected.text_encoder)):
            saved = torch.load(os.path.join(CHECKPOINT, name))
            self.assertEqual([(k, tuple(v.shape)) for k, v in saved.items()],
                             [(k, tuple(v.shape)) for k, v in encoder.state_dict().items()])
            self.assertTrue(all(v.dtype == torch.float32 for v in saved.values()))
        size = sum(os.path.getsize(os.path.join(CHECKPOINT, n)) for n in ("image_enc.pt", "text_enc.pt"))
        self.assertLessEqual(size, 15 * 1000 * 1000)

    def test_finds_the_right_caption_at_t0_and_while_noisy(self):
        accuracy = clip_eval.retrieval(self.model, self.tokenizer, n=64, timesteps=(0, 500), seed=9101)
        self.assertGreater(accuracy[0], 0.6)  # chance: 1 in 32
        self.assertGreater(accuracy[500], 0.3)

    def test_parity_case_is_this_checkpoints(self):
        # parity.json is what test/native-models/glideMiniClip.test.ts holds the app's folders to
        with open(os.path.join(CHECKPOINT, "parity.json")) as f:
            saved = json.load(f)
        fresh = publish_clip.parity_case(self.model, self.tokenizer)
        self.assertEqual(saved["tokens"], fresh["tokens"])
        for key in ("x", "text_emb", "image_emb", "grad"):
            np.testing.assert_allclose(saved[key], fresh[key], atol=1e-6, err_msg=key)

    def test_guidance_gradient_raises_the_similarity_to_its_caption(self):
        result = clip_eval.gradient_check(self.model, self.tokenizer, n=16, seed=9102)
        self.assertEqual(result["own_raised_share"], 1.0)
        self.assertGreater(result["own"], result["other"])


if __name__ == "__main__":
    unittest.main()
