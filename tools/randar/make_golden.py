#!/usr/bin/python3
"""Golden files for Tessera's `randar` family, made by the OFFICIAL RandAR code.

Usage (Debian python3-torch 1.13 + numpy; nothing else):

    /usr/bin/python3 tools/randar/make_golden.py /work/official/RandAR core/src/test/resources/golden/randar

It imports `RandAR.model.randar_gpt` from the official checkout given as the first argument (the sources
are not copied), builds a tiny `RandARTransformer`, gives it random weights (the official init zeroes the
output head, which would make every logit 0), saves its `state_dict()` as safetensors exactly as the
official `save_model_safetensors` does (same names, shapes, float32), and runs the official
`RandARTransformer.generate` greedily (top_k = 1: a one-hot distribution, so the multinomial draw is the
argmax) for a few cases. For each case it writes the token orders, the group sizes the official loop used
(recorded from `calculate_num_query_tokens_for_parallel_decoding`), the tokens it returned (raster order)
and the smallest top-1/top-2 gap of the guided logits it sampled from (how far the greedy choices are
from a tie).

Shims for torch 1.13 (the official code targets torch 2.x); none changes what is computed:
  * `torch._dynamo.config`, `torch._inductor.config`: empty modules (generate.py only imports them);
  * `F.scaled_dot_product_attention`: the documented reference semantics (boolean mask: True = attend;
    scale 1/sqrt(head_dim); no dropout at inference);
  * `with torch.device(...)` in `generate` (a torch 2 context manager): a no-op context, everything runs
    on the CPU anyway.
"""
import contextlib
import json
import math
import os
import struct
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F

TINY = dict(dim=32, n_layer=2, n_head=2, multiple_of=32, vocab_size=256, num_classes=10,
            block_size=64, cls_token_num=1, class_dropout_prob=0.1)
CKPT = "randar-tiny.safetensors"
JSON = "randar-tiny-golden.json"
# seed of the random weights: chosen (among 1..6) for the largest smallest top-1/top-2 gap of the guided
# logits over all cases (1.6e-3), so that float rounding differences between backends cannot flip a greedy choice
WEIGHT_SEED = 4


def shim_torch():
    for name in ("torch._dynamo", "torch._dynamo.config", "torch._inductor", "torch._inductor.config"):
        if name not in sys.modules:
            sys.modules[name] = types.ModuleType(name)

    if not hasattr(F, "scaled_dot_product_attention"):
        def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False):
            assert dropout_p == 0.0, "inference only"
            scale = 1.0 / math.sqrt(q.size(-1))
            scores = q @ k.transpose(-2, -1) * scale
            if is_causal:
                causal = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril()
                scores = scores.masked_fill(~causal, float("-inf"))
            if attn_mask is not None:
                if attn_mask.dtype == torch.bool:
                    scores = scores.masked_fill(~attn_mask, float("-inf"))
                else:
                    scores = scores + attn_mask
            return torch.softmax(scores, dim=-1) @ v
        F.scaled_dot_product_attention = sdpa


class TorchProxy(types.ModuleType):
    """The real torch, except that `torch.device(...)` may be used as a context manager (torch 2)."""

    def __init__(self):
        super().__init__("torch")

    def __getattr__(self, name):
        return getattr(torch, name)

    @staticmethod
    def device(*args, **kwargs):
        d = torch.device(*args, **kwargs)
        assert d.type == "cpu", "the golden generator runs on the CPU"
        return contextlib.nullcontext(d)


def save_safetensors(tensors, path):
    """The safetensors format (8-byte little-endian header length, JSON header, raw little-endian data)."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().to(torch.float32)
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for c in chunks:
            f.write(c)
    os.replace(tmp, path)


def randomize(model, seed):
    """Weights of a size that makes every part of the forward matter (the official init zeroes `output`)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))
            elif name == "output.weight":
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
            elif "embedding" in name:  # cls_embedding, tok_embeddings, pos_instruct_embeddings
                p.copy_(torch.randn(p.shape, generator=g))
            elif "attention" in name:
                p.copy_(torch.randn(p.shape, generator=g) * (3.0 / math.sqrt(p.shape[1])))
            else:
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))


def main(official, out_dir):
    shim_torch()
    sys.path.insert(0, official)
    import RandAR.model.randar_gpt as rg  # the official module

    rg.torch = TorchProxy()
    torch.manual_seed(0)
    model = rg.RandARTransformer(**TINY, grad_checkpointing=False, num_inference_steps=20).eval()
    randomize(model, WEIGHT_SEED)
    os.makedirs(out_dir, exist_ok=True)
    save_safetensors(model.state_dict(), os.path.join(out_dir, CKPT))

    # record what the official loop schedules and how close each greedy choice was to a tie
    record = {"sizes": [], "margin": float("inf")}
    schedule = rg.calculate_num_query_tokens_for_parallel_decoding
    sample = rg.sample

    def recording_schedule(*args):
        n = schedule(*args)
        record["sizes"].append(n)
        return n

    def recording_sample(logits, **kw):
        top2 = torch.topk(logits[:, -1, :], 2, dim=-1).values
        record["margin"] = min(record["margin"], float((top2[:, 0] - top2[:, 1]).min()))
        return sample(logits, **kw)

    rg.calculate_num_query_tokens_for_parallel_decoding = recording_schedule
    rg.sample = recording_sample

    n = TINY["block_size"]
    perm = torch.Generator().manual_seed(7)
    random_orders = torch.stack([torch.randperm(n, generator=perm) for _ in range(2)])
    raster_orders = torch.arange(n).unsqueeze(0).repeat(2, 1)
    cases = [
        dict(name="random-cosine20-cfg1to4", orders=random_orders, steps=20, cfg=(1.0, 4.0)),
        dict(name="raster-cosine20-cfg1to4", orders=raster_orders, steps=20, cfg=(1.0, 4.0)),
        dict(name="random-sequential-nocfg", orders=random_orders, steps=-1, cfg=(1.0, 1.0)),
    ]
    classes = torch.tensor([3, 7])
    out = {
        "generator": "tools/randar/make_golden.py (official RandAR randar_gpt.py, torch " + torch.__version__ + ")",
        "checkpoint": CKPT,
        "config": TINY,
        "sampling": "greedy: temperature 1, top_k 1, top_p 1",
        "classes": classes.tolist(),
        "cases": [],
    }
    for case in cases:
        record["sizes"], record["margin"] = [1], float("inf")
        with torch.no_grad():
            tokens = model.generate(cond=classes, token_order=case["orders"].clone(), cfg_scales=case["cfg"],
                                    num_inference_steps=case["steps"], temperature=1.0, top_k=1, top_p=1.0)
        sizes = [s for s in record["sizes"] if s > 0]
        assert sum(sizes) == n, sizes
        out["cases"].append({
            "name": case["name"],
            "num_inference_steps": case["steps"],
            "cfg_scales": list(case["cfg"]),
            "token_order": case["orders"].tolist(),
            "group_sizes": sizes,
            "tokens": tokens.tolist(),
            "min_top2_margin": record["margin"],
        })
        print(case["name"], "passes", len(sizes), "min margin", record["margin"])
    tmp = os.path.join(out_dir, JSON + ".tmp")
    with open(tmp, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    os.replace(tmp, os.path.join(out_dir, JSON))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make_golden.py OFFICIAL_RANDAR_CHECKOUT OUT_DIR")
    main(sys.argv[1], sys.argv[2])
