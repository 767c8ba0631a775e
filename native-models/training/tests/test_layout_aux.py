"""The training-only layout heads (train.py --layout-aux) and checkpoint_parts.py."""
import os
import random
import tempfile
import unittest

import torch

from . import _paths  # noqa: F401

import checkpoint_parts  # noqa: E402
import scenes  # noqa: E402
import train  # noqa: E402
from glide_model import create_model  # noqa: E402
from tokenizer import CaptionTokenizer  # noqa: E402
from tests.test_training import TINY  # noqa: E402


class TestLayoutLabels(unittest.TestCase):
    def test_labels_follow_what_the_caption_says(self):
        rng = random.Random(5)
        seen = {"position": 0, "unsaid": 0, "relation": 0, "no relation": 0}
        for _ in range(300):
            scene = scenes.sample_scene(rng)
            position, relation, lead_colour, lead_shape = train.layout_labels(scene, scene["caption"])
            objects = scene["objects"]
            if len(objects) == 1 and objects[0]["position_said"]:
                self.assertEqual(train.POSITION_NAMES[position], objects[0]["position"])
                self.assertTrue(any(p in scene["caption"].lower() for p in scenes.POS_PHRASES[objects[0]["position"]]))
                seen["position"] += 1
            elif len(objects) == 1:
                self.assertEqual(position, len(train.POSITION_NAMES))
                seen["unsaid"] += 1
            else:
                self.assertEqual(position, train.IGNORE)
            if len(objects) == 2 and scene["relation"]:
                self.assertEqual(scenes.RELATIONS[relation], scene["relation"])
                self.assertEqual(self.lead_from_coordinates(scene), (lead_colour, lead_shape))
                seen["relation"] += 1
            elif len(objects) == 2:
                self.assertEqual(relation, len(scenes.RELATIONS))
                seen["no relation"] += 1
            else:
                self.assertEqual(relation, train.IGNORE)
            if not scene["relation"]:
                self.assertEqual((lead_colour, lead_shape), (train.IGNORE, train.IGNORE))
            self.assertEqual(train.layout_labels(scene, ""), (train.IGNORE,) * 4)
        self.assertTrue(all(n > 10 for n in seen.values()), seen)

    @staticmethod
    def lead_from_coordinates(scene):
        """(lead colour, lead shape) worked out from where the objects were drawn, not from the
        caption's wording: the object further left (horizontal relation) or further up (vertical)."""
        a, b = scene["objects"]
        vertical = scene["relation"] in ("above", "below")
        lead = min((a, b), key=lambda o: o["y"] if vertical else o["x"])
        return (vertical * 8 + list(scenes.COLOURS).index(lead["colour"]),
                vertical * 5 + scenes.SHAPES.index(lead["shape"]))

    def test_relation_share_adds_relation_scenes_and_leaves_the_default_stream_alone(self):
        plain, shared_zero = random.Random(9), random.Random(9)
        for _ in range(50):  # the evaluation prompts are drawn from this stream
            self.assertEqual(scenes.sample_scene(plain)["caption"],
                             scenes.sample_scene(shared_zero, relation_share=0.0)["caption"])
        rng = random.Random(10)
        drawn = [scenes.sample_scene(rng, relation_share=0.5) for _ in range(400)]
        share = sum(1 for s in drawn if s["relation"]) / len(drawn)
        self.assertGreater(share, 0.5 + 0.5 * 0.175 - 0.07)
        self.assertLess(share, 0.5 + 0.5 * 0.175 + 0.07)
        for s in drawn:
            if s["relation"]:
                a, b = s["objects"]
                self.assertTrue(scenes.relation_holds(a, b, s["relation"]))

    def test_heads_teach_the_text_encoder_to_tell_positions_apart(self):
        torch.manual_seed(0)
        torch.set_num_threads(1)
        model = create_model(**dict(TINY, text_ctx=40))
        heads = train.LayoutHeads(model.model_channels * 4)
        batch = train.Batcher("base", dict(train.OPTIONS["base"], text_ctx=40), 7, layout_labels=True)
        _, kw = batch(64)
        self.assert_training_halves_the_loss(
            model, heads, lambda: heads.loss(model.get_text_emb(kw["tokens"], kw["mask"])[0], kw["layout_labels"]))

    def test_token_sides_name_the_side_of_the_object_each_word_describes(self):
        tokenizer = CaptionTokenizer()
        words = {ids[0]: piece.strip() for piece, ids in tokenizer.table.items() if len(ids) == 1}
        rng, checked = random.Random(11), 0
        while checked < 120:
            scene = scenes.sample_scene(rng, relation_share=0.5)
            sides = train.token_sides(scene, scene["caption"], tokenizer, 40)
            if not scene["relation"]:
                self.assertEqual(set(sides), {train.IGNORE})
                continue
            a, b = scene["objects"]
            horizontal = scene["relation"] in ("left of", "right of")
            side_of = {}
            for obj in (a, b):
                other = b if obj is a else a
                if horizontal:
                    side_of[id(obj)] = "left" if obj["x"] < other["x"] else "right"
                else:
                    side_of[id(obj)] = "top" if obj["y"] < other["y"] else "bottom"
            said = {}
            for token, side in zip(tokenizer.encode(scene["caption"]), sides):
                if side != train.IGNORE:
                    said.setdefault(train.SIDE_NAMES[side], []).append(words.get(token))
            self.assertEqual(len(said), 2, scene["caption"])
            for obj in (a, b):
                self.assertIn(obj["colour"].split()[-1], said[side_of[id(obj)]], scene["caption"])
                self.assertIn(obj["shape"], said[side_of[id(obj)]], scene["caption"])
            self.assertFalse(any("background" in w for w in said.values()), scene["caption"])
            checked += 1
        self.assertEqual(train.token_sides(scene, "", tokenizer, 40), [train.IGNORE] * 40)

    def test_side_head_learns_from_the_per_token_outputs(self):
        torch.manual_seed(0)
        torch.set_num_threads(1)
        model = create_model(**dict(TINY, text_ctx=40))
        head = train.TokenSideHead(TINY["xf_width"])
        batch = train.Batcher("base", dict(train.OPTIONS["base"], text_ctx=40), 7, token_sides=True,
                              relation_share=1.0, p_empty_caption=0.0)
        _, kw = batch(32)
        self.assert_training_halves_the_loss(
            model, head, lambda: head.loss(model.get_text_emb(kw["tokens"], kw["mask"])[1], kw["token_sides"]))

    def assert_training_halves_the_loss(self, model, head, loss):
        """40 Adam steps on the text encoder and a head, one fixed batch, halve the head's loss."""
        opt = torch.optim.Adam(list(model.parameters()) + list(head.parameters()), lr=3e-3)
        first = loss().item()
        for _ in range(40):
            opt.zero_grad()
            loss().backward()
            opt.step()
        self.assertLess(loss().item(), 0.5 * first)


class TestHeadsBesideInit(unittest.TestCase):
    def test_a_resumed_run_loads_its_heads_and_stops_when_one_is_missing(self):
        trained, head = train.LayoutHeads(64), train.LayoutHeads(64)
        with tempfile.TemporaryDirectory() as root:
            init = os.path.join(root, "final.pt")
            with self.assertRaisesRegex(SystemExit, "layout_heads.pt missing.*--fresh-heads"):
                train.load_head_beside(init, head)
            train.load_head_beside(init, head, fresh=True)
            self.assertFalse(torch.equal(head.state_dict()["position.weight"], trained.state_dict()["position.weight"]))
            torch.save(trained.state_dict(), os.path.join(root, train.LayoutHeads.FILE))
            train.load_head_beside(init, head, fresh=True)  # --fresh-heads still loads the heads that are there
        self.assertTrue(all(torch.equal(v, trained.state_dict()[k]) for k, v in head.state_dict().items()))


class TestCheckpointParts(unittest.TestCase):
    def test_split_parts_stay_under_the_limit_and_join_back(self):
        state = {"a": torch.zeros(1000), "b": torch.ones(3000), "c": torch.arange(500.0), "d": torch.zeros(10)}
        parts = checkpoint_parts.split(state, 12000)
        self.assertEqual([list(p) for p in parts], [["a"], ["b"], ["c", "d"]])
        with tempfile.TemporaryDirectory() as root:
            paths = []
            for i, part in enumerate(parts):
                paths.append(os.path.join(root, f"x.part{i}.pt"))
                torch.save(part, paths[-1])
            joined = checkpoint_parts.join(torch.load(p) for p in paths)
        self.assertEqual(list(joined), list(state))
        self.assertTrue(all(torch.equal(joined[k], state[k]) for k in state))
        with self.assertRaisesRegex(ValueError, "overlap"):
            checkpoint_parts.join([{"a": state["a"]}, {"a": state["a"]}])


if __name__ == "__main__":
    unittest.main()
