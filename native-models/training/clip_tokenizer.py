"""CLIP's byte-level BPE, as the noised CLIP text encoder reads it (49,408 ids).

Reads the merge list `bpe_simple_vocab_16e6.txt.gz`: the copy the app ships
(`main/engine/tokenizer/clip-bpe/`), else the one in `../shared/glide-reference/clip-bpe/`. Text is cleaned as CLIP does (HTML entities unescaped, runs
of whitespace made one space, trimmed, lower-cased), split into words, numbers (one digit each) and
runs of other symbols, and each piece is byte-encoded and merged by rank. `padded_tokens_and_len`
gives the encoder's input: start token, at most 75 tokens, end token, zeros to 77; `len` counts the
start and end tokens. Written for this project from the format's description; the test checks it
against every prompt of `tokenizer_clip.json`.
"""
import gzip
import html
import os
import re
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MERGES_NAME = "bpe_simple_vocab_16e6.txt.gz"
MERGES_CANDIDATES = [
    os.path.join(REPO, "main", "engine", "tokenizer", "clip-bpe", MERGES_NAME),
    os.path.join(os.path.dirname(REPO), "shared", "glide-reference", "clip-bpe", MERGES_NAME),
]
START = "<|startoftext|>"
END = "<|endoftext|>"
START_TOKEN = 49406
END_TOKEN = 49407
CONTEXT = 77
N_MERGES = 49152 - 256 - 2


def find_merges():
    for path in MERGES_CANDIDATES:
        if os.path.exists(path):
            return path
    raise FileNotFoundError("CLIP BPE merges not found; looked in " + ", ".join(MERGES_CANDIDATES))


def byte_alphabet():
    """Byte -> printable character, as GPT-2/CLIP byte-level BPE maps them."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    table = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def _kind(ch):
    cat = unicodedata.category(ch)
    if cat.startswith("L"):
        return "letter"
    if cat.startswith("N"):
        return "number"
    if ch.isspace():
        return "space"
    return "other"


_CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


def split_pieces(text):
    """CLIP's pre-tokeniser: special tokens, contractions, letter runs, single digits, symbol runs."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith(START, i) or text.startswith(END, i):
            special = START if text.startswith(START, i) else END
            out.append(special)
            i += len(special)
            continue
        contraction = next((c for c in _CONTRACTIONS if text.startswith(c, i)), None)
        if contraction:
            out.append(contraction)
            i += len(contraction)
            continue
        kind = _kind(text[i])
        if kind == "space":
            i += 1
        elif kind == "number":
            out.append(text[i])
            i += 1
        else:
            j = i + 1
            while j < n and _kind(text[j]) == kind:  # greedy, as the regex's runs are
                j += 1
            out.append(text[i:j])
            i = j
    return out


def clean(text):
    text = html.unescape(html.unescape(unicodedata.normalize("NFC", text))).strip()
    return re.sub(r"\s+", " ", text).strip().lower()


class ClipTokenizer:
    def __init__(self, merges_path=None):
        with gzip.open(merges_path or find_merges(), "rt", encoding="utf-8") as f:
            lines = f.read().split("\n")[1:N_MERGES + 1]
        merges = [tuple(line.split()) for line in lines]
        self.bytes = byte_alphabet()
        symbols = list(self.bytes.values())
        symbols += [s + "</w>" for s in symbols]
        symbols += ["".join(m) for m in merges]
        symbols += [START, END]
        self.ids = {s: i for i, s in enumerate(symbols)}
        self.rank = {m: i for i, m in enumerate(merges)}
        self.cache = {START: [START], END: [END]}

    def _merge(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        word = list(piece[:-1]) + [piece[-1] + "</w>"]
        while len(word) > 1:
            pairs = {(word[k], word[k + 1]) for k in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.rank.get(p, float("inf")))
            if best not in self.rank:
                break
            merged, k = [], 0
            while k < len(word):
                if k < len(word) - 1 and (word[k], word[k + 1]) == best:
                    merged.append(word[k] + word[k + 1])
                    k += 2
                else:
                    merged.append(word[k])
                    k += 1
            word = merged
        self.cache[piece] = word
        return word

    def encode(self, text):
        tokens = []
        for piece in split_pieces(clean(text)):
            if piece in (START, END):
                tokens.append(self.ids[piece])
                continue
            mapped = "".join(self.bytes[b] for b in piece.encode("utf-8"))
            tokens += [self.ids[s] for s in self._merge(mapped)]
        return tokens

    def padded_tokens_and_len(self, text, context=CONTEXT):
        tokens = [START_TOKEN] + self.encode(text)[:context - 2] + [END_TOKEN]
        return tokens + [0] * (context - len(tokens)), len(tokens)
