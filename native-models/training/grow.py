"""Loading a checkpoint into a U-Net that has attention blocks the checkpoint's U-Net lacked.

A new AttentionBlock's output projection starts at zero, so the grown U-Net computes exactly what the
checkpoint's did until training moves it. Used to add attention at another resolution (for example
--set attention_resolutions=16,8 over a model trained with "8") without starting over.
"""
from glide_model import AttentionBlock

BLOCK_LISTS = ("input_blocks", "output_blocks")


def _blocks(model):
    """(prefix, TimestepEmbedSequential) for every block of the U-Net."""
    for name in BLOCK_LISTS:
        for i, block in enumerate(getattr(model, name)):
            yield f"{name}.{i}", block
    yield "middle_block", model.middle_block


def _layer_kind(keys):
    return "attention" if any(k.startswith("qkv.") for k in keys) else "other"


def load_grown(model, state):
    """Load `state` into `model`; returns the prefixes of the attention blocks that start fresh.

    Layers of each block are matched in order within their kind (attention or not), so a block that
    gained an attention layer keeps its res-block and up/down-sampling weights. Anything else that
    differs (a missing or unused tensor, a changed shape) is an error."""
    own = model.state_dict()
    if set(own) == set(state):
        model.load_state_dict(state, strict=True)
        return []
    renamed, fresh = {}, []
    for prefix, block in _blocks(model):
        old = {}
        for key in state:
            if key.startswith(prefix + "."):
                index, _, rest = key[len(prefix) + 1:].partition(".")
                old.setdefault(int(index), []).append(rest)
        old_by_kind = {}
        for index in sorted(old):
            old_by_kind.setdefault(_layer_kind(old[index]), []).append(index)
        for j, layer in enumerate(block):
            kind = "attention" if isinstance(layer, AttentionBlock) else "other"
            queue = old_by_kind.get(kind, [])
            if not queue:
                if kind != "attention":
                    raise ValueError(f"{prefix}.{j}: no layer in the checkpoint to load it from")
                fresh.append(f"{prefix}.{j}")
                continue
            source = queue.pop(0)
            for rest in old[source]:
                renamed[f"{prefix}.{j}.{rest}"] = state[f"{prefix}.{source}.{rest}"]
        left = [i for queue in old_by_kind.values() for i in queue]
        if left:
            raise ValueError(f"{prefix}: checkpoint layers {left} have no place in the model")
    for key, value in state.items():
        if not key.startswith(BLOCK_LISTS + ("middle_block.",)):
            renamed[key] = value
    fresh_state = {k: v for k, v in own.items() if any(k.startswith(f + ".") for f in fresh)}
    missing = [k for k in own if k not in renamed and k not in fresh_state]
    unused = [k for k in renamed if k not in own]
    if missing or unused:
        raise ValueError(f"checkpoint does not fit the model: missing {missing[:5]}, unused {unused[:5]}")
    model.load_state_dict({**renamed, **fresh_state}, strict=True)
    return fresh
