"""Split a state dict into files under a size limit, and join such files back into one.

A GPU machine lent through the device tool returns files of at most 16 MiB; the base checkpoint is
about 20 MB. Each part is itself a plain state dict (a subset of the tensors), so no format is new.

    /usr/bin/python3 checkpoint_parts.py split final.pt out/final --max-mb 15   # out/final.part0.pt, ...
    /usr/bin/python3 checkpoint_parts.py join final.pt out/final.part*.pt
"""
import argparse

import torch


def split(state, max_bytes):
    """Lists of state-dict items, in key order, each list's tensors under max_bytes together."""
    parts, current, size = [], {}, 0
    for key, value in state.items():
        nbytes = value.numel() * value.element_size()
        if current and size + nbytes > max_bytes:
            parts.append(current)
            current, size = {}, 0
        current[key] = value
        size += nbytes
    if current:
        parts.append(current)
    return parts


def join(states):
    joined = {}
    for state in states:
        overlap = set(joined) & set(state)
        if overlap:
            raise ValueError(f"parts overlap: {sorted(overlap)[:3]}")
        joined.update(state)
    return joined


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    s = sub.add_parser("split")
    s.add_argument("checkpoint")
    s.add_argument("prefix")
    s.add_argument("--max-mb", type=float, default=15.0)
    j = sub.add_parser("join")
    j.add_argument("checkpoint")
    j.add_argument("parts", nargs="+")
    args = ap.parse_args()
    if args.command == "split":
        state = torch.load(args.checkpoint, map_location="cpu")
        for i, part in enumerate(split(state, int(args.max_mb * 2 ** 20))):
            torch.save(part, f"{args.prefix}.part{i}.pt")
    else:
        torch.save(join(torch.load(p, map_location="cpu") for p in args.parts), args.checkpoint)


if __name__ == "__main__":
    main()
