#!/usr/bin/env python3
"""Writes Tessera's official-code goldens: tiny checkpoints in the official layouts and the token
grids the official generate code produces from them (greedy: top_k=1), with CFG off and on.

    /usr/bin/python3 tools/goldens/make_goldens.py --official /work/official \
        --out app/src/test/resources/goldens/official

The official sources are imported from --official (sys.path), never copied. They target
torch >= 2; on Debian's python3-torch 1.13 a few torch-2 behaviours are missing and are shimmed
here, value for value: F.scaled_dot_product_attention (torch 2's documented reference), torch.device
as a context manager and torch.backends.cuda.sdp_kernel's flags (both no-ops on the CPU), int32
index tensors (torch 1.13 only indexes with int64: the generate modules' int32 position tensors
are made int64, same values), and the torch._dynamo/_inductor config modules that generate.py
imports but never uses. See install_torch2_shims and _Torch2View.; nothing else of the official code is changed.

For every case the generator writes <case>.yaml (a Tessera pipeline naming the checkpoint and the
official settings), <case>.npy (int32 [N, H, W], the official tokens) and a line in manifest.yaml
(case, pipeline, classes, tokens, official entry point). The Java test
app/src/test/java/io/tessera/app/OfficialGoldensTest.java runs every case on both backends.
"""
import argparse
import contextlib
import importlib
import math
import os
import sys
import tempfile
import types

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20261203          # torch seed of the random weights
GRID = 8                 # 8x8 tokens
VOCAB = 64
NUM_CLASSES = 10
CLASSES = [1, 4, 7]      # one batch of three images per case
DIM, N_LAYER, N_HEAD, MULTIPLE_OF = 64, 2, 4, 64
CFG_ON = 2.0


# ---------------------------------------------------------------------------------------------
# torch >= 2 shims (torch 1.13 lacks them); each reproduces the torch-2 definition exactly
# ---------------------------------------------------------------------------------------------
def _sdpa(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """torch 2's documented reference implementation of F.scaled_dot_product_attention."""
    L, S = query.size(-2), key.size(-2)
    scale_factor = 1 / math.sqrt(query.size(-1)) if scale is None else scale
    attn_bias = torch.zeros(L, S, dtype=query.dtype, device=query.device)
    if is_causal:
        assert attn_mask is None
        temp_mask = torch.ones(L, S, dtype=torch.bool, device=query.device).tril(diagonal=0)
        attn_bias = attn_bias.masked_fill(temp_mask.logical_not(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == torch.bool:
            attn_bias = attn_bias.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            attn_bias = attn_mask + attn_bias
    attn_weight = query @ key.transpose(-2, -1) * scale_factor
    attn_weight = attn_weight + attn_bias
    attn_weight = torch.softmax(attn_weight, dim=-1)
    if dropout_p > 0.0:
        attn_weight = torch.dropout(attn_weight, dropout_p, train=True)
    return attn_weight @ value


class _Torch2View(types.ModuleType):
    """The `torch` a generate module sees: torch itself, except that `torch.device(d)` may also be
    used as a context manager (torch 2; on the CPU it only sets the default device, which is the CPU
    already) and that int32 position tensors are made int64 (torch 1.13 cannot index with int32)."""

    def __init__(self):
        super().__init__("torch")

    def __getattr__(self, name):
        return getattr(torch, name)

    @staticmethod
    def device(*args, **kwargs):
        dev = torch.device(*args, **kwargs)
        if dev.type != "cpu":
            raise SystemExit("make_goldens: the device-context shim only supports the CPU")
        return contextlib.nullcontext(dev)

    @staticmethod
    def tensor(data, *args, dtype=None, **kwargs):
        # generate.py builds input_pos as int32 and indexes caches with it (torch 2 allows that)
        return torch.tensor(data, *args, dtype=torch.long if dtype == torch.int else dtype, **kwargs)


def _sdp_kernel(**_flags):
    """torch.backends.cuda.sdp_kernel picks CUDA attention kernels; on the CPU it changes nothing."""
    return contextlib.nullcontext()


class _Mlp(torch.nn.Module):
    """timm.layers.Mlp as block.py uses it (timm is not packaged for Debian): fc1 -> act -> drop ->
    (norm: Identity) -> fc2 -> drop, with biases; the same parameter names as timm."""

    def __init__(self, in_features, hidden_features=None, out_features=None, act_layer=torch.nn.GELU,
                 norm_layer=None, bias=True, drop=0.0, use_conv=False):
        super().__init__()
        assert norm_layer is None and not use_conv
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        self.fc1 = torch.nn.Linear(in_features, hidden_features, bias=bias)
        self.act = act_layer()
        self.drop1 = torch.nn.Dropout(drop)
        self.norm = torch.nn.Identity()
        self.fc2 = torch.nn.Linear(hidden_features, out_features, bias=bias)
        self.drop2 = torch.nn.Dropout(drop)

    def forward(self, x):
        return self.drop2(self.fc2(self.norm(self.drop1(self.act(self.fc1(x))))))


def _training_only(*_args, **_kwargs):
    raise SystemExit("make_goldens: flex_attention is used by LPD training only, never by sample_tokens")


def install_lpd_shims():
    """LPD imports timm.layers (Mlp, DropPath, use_fused_attn) and torch.nn.attention.flex_attention
    (torch >= 2.5, training masks only). Neither exists here: faithful stand-ins."""
    if "timm" not in sys.modules:
        try:
            importlib.import_module("timm.layers")
        except ImportError:
            timm = types.ModuleType("timm")
            layers = types.ModuleType("timm.layers")
            layers.Mlp = _Mlp
            layers.DropPath = _training_only  # only built with drop_path > 0 (never in LPD)
            layers.use_fused_attn = lambda experimental=False: True  # timm's default: F.sdpa
            timm.layers = layers
            sys.modules["timm"], sys.modules["timm.layers"] = timm, layers
    try:
        importlib.import_module("torch.nn.attention.flex_attention")
    except ImportError:
        att = types.ModuleType("torch.nn.attention")
        flex = types.ModuleType("torch.nn.attention.flex_attention")
        flex.create_mask = _training_only
        flex._mask_mod_signature = object
        att.flex_attention = flex
        sys.modules["torch.nn.attention"], sys.modules["torch.nn.attention.flex_attention"] = att, flex
    # engine.py (for its create_block_causal_mask) imports cv2 (image files), torch_fidelity (FID) and
    # wandb (logging) at the top; sampling uses none of them
    for name in ("cv2", "torch_fidelity", "wandb"):
        try:
            importlib.import_module(name)
        except ImportError:
            sys.modules[name] = types.ModuleType(name)


class _CpuTorchView(types.ModuleType):
    """The `torch` lpd.py sees: sample_tokens hard-codes device="cuda"; here tensors are made on
    the CPU instead (same values), and int32 arange/tensor results used as indices are int64."""

    def __init__(self):
        super().__init__("torch")

    def __getattr__(self, name):
        return getattr(torch, name)

    @staticmethod
    def _cpu(kwargs):
        if str(kwargs.get("device", "cpu")).startswith("cuda"):
            kwargs["device"] = "cpu"
        return kwargs

    def zeros(self, *a, **k):
        return torch.zeros(*a, **self._cpu(k))

    def tensor(self, *a, **k):
        return torch.tensor(*a, **self._cpu(k))

    def linspace(self, *a, **k):
        return torch.linspace(*a, **self._cpu(k))

    def arange(self, *a, **k):
        r = torch.arange(*a, **self._cpu(k))
        return r.long() if r.dtype == torch.int32 else r


def install_torch2_shims():
    torch.backends.cuda.sdp_kernel = _sdp_kernel
    if not hasattr(F, "scaled_dot_product_attention"):
        F.scaled_dot_product_attention = _sdpa
    for name in ("torch._dynamo", "torch._dynamo.config", "torch._inductor", "torch._inductor.config"):
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except ImportError:
                sys.modules[name] = types.ModuleType(name)  # imported by generate.py, never used


def load_official(root, *modules):
    """Imports modules from one official checkout; the checkouts share package names
    (autoregressive, utils, models), so earlier imports are dropped first."""
    for name in list(sys.modules):
        if name.split(".")[0] in ("autoregressive", "utils", "models", "orders", "engine", "util"):
            del sys.modules[name]
    sys.path.insert(0, root)
    try:
        loaded = [importlib.import_module(m) for m in modules]
    finally:
        sys.path.remove(root)
    for m in loaded:
        if hasattr(m, "torch") and m.__name__.endswith("generate") or m.__name__.endswith("generate_zipar"):
            m.torch = _Torch2View()
    return loaded


# ---------------------------------------------------------------------------------------------
# weights and outputs
# ---------------------------------------------------------------------------------------------
def randomize(model, seed):
    """Seeded weights with well-separated logits (the official inits zero the output layer or the
    biases, which would make every greedy token a tie): norm weights 1 + 0.1·N(0,1), norm biases
    0.1·N(0,1), everything else N(0,1)/sqrt(last dim), drawn in named_parameters() order."""
    norms = {name for name, m in model.named_modules()
             if isinstance(m, torch.nn.LayerNorm) or type(m).__name__ == "RMSNorm"}
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g, dtype=torch.float32)
            owner, leaf = name.rsplit(".", 1) if "." in name else ("", name)
            if owner in norms:
                p.copy_(1 + 0.1 * r if leaf == "weight" else 0.1 * r)
            else:
                p.copy_(r / math.sqrt(p.shape[-1]))
    model.eval()
    return model


def save_atomic(path, write):
    """Writes under the final name in a temp directory beside it, then renames (torch.save names
    the zip's top folder after the file)."""
    tmpdir = tempfile.mkdtemp(dir=os.path.dirname(path), prefix="tmp-")
    tmp = os.path.join(tmpdir, os.path.basename(path))
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        os.rmdir(tmpdir)


def save_checkpoint(model, path):
    """As the official training scripts save: torch.save({"model": state_dict}, path)."""
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    save_atomic(path, lambda t: torch.save({"model": state}, t))


class Out:
    def __init__(self, directory):
        self.dir = directory
        self.cases = []
        self.passes = 0  # forward passes of the batch since the last case (count_passes)

    def count_passes(self, model):
        """Counts the official model's forward passes: every family's forward ends with one call of
        its final norm (model.norm), whatever the number of tokens in the pass."""
        def hook(*_args):
            self.passes += 1
        model.norm.register_forward_pre_hook(hook)

    def case(self, name, pipeline_yaml, tokens, entry, pending=None):
        side = math.isqrt(int(np.asarray(tokens).size) // len(CLASSES))
        tokens = np.asarray(tokens, dtype=np.int32).reshape(len(CLASSES), side, side)
        save_atomic(os.path.join(self.dir, name + ".npy"), lambda t: np.save(open(t, "wb"), tokens))
        with open(os.path.join(self.dir, name + ".yaml"), "w") as f:
            f.write("# written by tools/goldens/make_goldens.py; tokens: " + name + ".npy (" + entry + ")\n")
            f.write(pipeline_yaml)
        self.cases.append((name, entry, pending, self.passes))
        print(f"{name}: {entry}, {self.passes} forward passes\n{tokens.reshape(len(CLASSES), -1)}")
        self.passes = 0

    def manifest(self):
        lines = ["# written by tools/goldens/make_goldens.py: every case runs on cpu-vector and torch",
                 "classes: [" + ", ".join(map(str, CLASSES)) + "]", "cases:"]
        for name, entry, pending, passes in self.cases:
            if pending is None:
                lines.append(f"  - {{name: {name}, pipeline: {name}.yaml, tokens: {name}.npy, passes: {passes}, "
                             f"official: '{entry}'}}")
        lines.append("# official behaviour Tessera does not reproduce yet (the test asserts it still differs; see tools/goldens/README.md)")
        lines.append("pending:" if any(p is not None for _, _, p, _ in self.cases) else "pending: []")
        for name, entry, pending, passes in self.cases:
            if pending is not None:
                lines.append(f"  - {{name: {name}, pipeline: {name}.yaml, tokens: {name}.npy, passes: {passes}, "
                             f"official: '{entry}', "
                             f"why: '{pending}'}}")
        with open(os.path.join(self.dir, "manifest.yaml"), "w") as f:
            f.write("\n".join(lines) + "\n")


def tokenizer_yaml():
    # tokens are compared, pixels are not: a random VQ decoder of the matching codebook size
    return (f"tokenizer: {{name: llamagen-vq, codebook_size: {VOCAB}, codebook_embed_dim: 8, z_channels: 32, "
            "ch: 32, decoder_ch_mult: [1, 2], num_res_blocks: 1, checkpoint: 'random:1'}\n")


def sampling_yaml(cfg, interval=-1):
    return f"sampling: {{temperature: 1.0, top_k: 1, top_p: 1.0, cfg_scale: {cfg}, cfg_interval: {interval}, seed: 0}}\n"


CFG_INTERVAL = 20  # LlamaGen's cfg_interval: guidance for the first decode steps only
# ZipAR and PAR count cfg_interval their own way (see README); Tessera follows them (Plan.cfgClock)


def llamagen_args(gpt):
    return gpt.ModelArgs(dim=DIM, n_layer=N_LAYER, n_head=N_HEAD, multiple_of=MULTIPLE_OF, vocab_size=VOCAB,
                         num_classes=NUM_CLASSES, block_size=GRID * GRID, cls_token_num=1, class_dropout_prob=0.1)


def llamagen_model_yaml(family, ckpt, extra=""):
    return (f"model: {{family: {family}, dim: {DIM}, n_layer: {N_LAYER}, n_head: {N_HEAD}, multiple_of: {MULTIPLE_OF}, "
            f"vocab_size: {VOCAB}, num_classes: {NUM_CLASSES}, grid: {GRID}{extra}, checkpoint: {ckpt}}}\n")


def llamagen_and_zipar(official, out):
    gpt, gen = load_official(os.path.join(official, "LlamaGen"), "autoregressive.models.gpt",
                             "autoregressive.models.generate")
    torch.manual_seed(SEED)
    model = randomize(gpt.Transformer(llamagen_args(gpt)), SEED)
    ckpt = "llamagen.pt"
    save_checkpoint(model, os.path.join(out.dir, ckpt))
    state = torch.load(os.path.join(out.dir, ckpt), map_location="cpu")["model"]
    cond = torch.tensor(CLASSES, dtype=torch.long)
    out.count_passes(model)
    for cfg, interval in ((1.0, -1), (CFG_ON, -1), (CFG_ON, CFG_INTERVAL)):
        tokens = gen.generate(model, cond, GRID * GRID, cfg_scale=cfg, cfg_interval=interval,
                              temperature=1.0, top_k=1, top_p=1.0, sample_logits=True)
        out.case(f"llamagen-raster-cfg{cfg:g}" + (f"-interval{interval}" if interval >= 0 else ""),
                 llamagen_model_yaml("llamagen", ckpt) + tokenizer_yaml() + "backend: {name: cpu-vector}\n"
                 + "order: {name: raster}\n" + sampling_yaml(cfg, interval), tokens,
                 "LlamaGen autoregressive/models/generate.py generate()")

    zgpt, zgen = load_official(os.path.join(official, "ZipAR", "LlamaGen-ZipAR"), "autoregressive.models.gpt",
                               "autoregressive.models.generate_zipar")
    zmodel = zgpt.Transformer(llamagen_args(zgpt))
    zmodel.load_state_dict(state)
    zmodel.eval()
    out.count_passes(zmodel)
    for window, cfg, interval in ((2, 1.0, -1), (2, CFG_ON, -1), (4, 1.0, -1), (4, CFG_ON, -1), (4, CFG_ON, CFG_INTERVAL)):
        zmodel.zipar_window_size = window
        zmodel.reset_zipar()
        tokens = zgen.generate(zmodel, cond, GRID * GRID, cfg_scale=cfg, cfg_interval=interval,
                               temperature=1.0, top_k=1, top_p=1.0, sample_logits=True)
        assert tokens.shape == (len(CLASSES), GRID * GRID), tokens.shape
        out.case(f"zipar-w{window}-cfg{cfg:g}" + (f"-interval{interval}" if interval >= 0 else ""),
                 llamagen_model_yaml("llamagen", ckpt) + tokenizer_yaml() + "backend: {name: cpu-vector}\n"
                 + f"order: {{name: zipar, window: {window}}}\n" + sampling_yaml(cfg, interval), tokens,
                     "ZipAR LlamaGen-ZipAR/autoregressive/models/generate_zipar.py generate()")


def par_4x(official, out):
    """PAR-4x (n = 4 regions: ar_token_num=4, spe_token_num=3) through PAR's generate(); the output is
    in PAR's region-interleaved order and is un-permuted to raster as sample_c2i_ddp.py does before
    the VQ decoder."""
    gpt, gen = load_official(os.path.join(official, "PAR"), "autoregressive.models.gpt",
                             "autoregressive.models.generate")
    n = 4
    args = gpt.ModelArgs(dim=DIM, n_layer=N_LAYER, n_head=N_HEAD, multiple_of=MULTIPLE_OF, vocab_size=VOCAB,
                         num_classes=NUM_CLASSES, block_size=GRID * GRID, cls_token_num=1, class_dropout_prob=0.1,
                         spe_token_num=n - 1, ar_token_num=n)
    torch.manual_seed(SEED + 1)
    model = randomize(gpt.Transformer(args), SEED + 1)
    ckpt = "par4x.pt"
    save_checkpoint(model, os.path.join(out.dir, ckpt))
    cond = torch.tensor(CLASSES, dtype=torch.long)
    sub = int(n ** 0.5)
    out.count_passes(model)
    for cfg, interval in ((1.0, -1), (CFG_ON, -1), (CFG_ON, CFG_INTERVAL)):
        seq = gen.generate(model, cond, GRID * GRID, cfg_scale=cfg, cfg_interval=interval, temperature=1.0, top_k=1,
                           top_p=1.0, sample_logits=True, spe_token_num=n - 1, ar_token_num=n)
        # sample_c2i_ddp.py lines 144-149
        grid = seq.reshape(seq.shape[0], GRID // sub, GRID // sub, sub, sub).permute(0, 3, 1, 4, 2)
        grid = grid.reshape(seq.shape[0], GRID, GRID)
        out.case(f"par4x-cfg{cfg:g}" + (f"-interval{interval}" if interval >= 0 else ""),
                 llamagen_model_yaml("par", ckpt, extra=f", regions: {n}") + tokenizer_yaml()
                 + "backend: {name: cpu-vector}\n" + f"order: {{name: par, regions: {n}}}\n"
                 + sampling_yaml(cfg, interval),
                 grid, "PAR autoregressive/models/generate.py generate(), un-permuted as sample_c2i_ddp.py")


def lpd_groups(group_sizes, order):
    cum = np.cumsum([0] + list(group_sizes))
    return [order[cum[i]:cum[i + 1]] for i in range(len(group_sizes))]


# two step counts at 8x8 (64 tokens); the official lookup table only has 256- and 1024-token grids,
# and --group_sizes is the official way to give others (both start with 1, as lpd_order.py assumes)
LPD_GROUP_SIZES = {8: [1, 2, 4, 6, 9, 12, 14, 16], 16: [1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 7]}
LPD_REPULSION = 2  # as the official eval scripts (res256_steps{20,32}_repulsion2)


def lpd(official, out, grid=GRID, dim=DIM, schedules=None, ckpt="lpd.pt", prefix="lpd", seed=SEED + 2):
    """LPD through LPD.sample_tokens() (linear CFG schedule, as main.py's default) with orders from
    orders/lpd_order.py (its own Python/numpy RNGs, seeded). The orders are recorded as data
    (<case>-order.npy + group_sizes) and fed to Tessera's `explicit` order: Tessera's `lpd` order
    runs the same algorithm on Tessera's portable RNG, so it cannot draw the same cells.
    `schedules` maps a step count to its group sizes (default: the two 8x8 schedules above)."""
    schedules = LPD_GROUP_SIZES if schedules is None else schedules
    install_lpd_shims()
    lpd_mod, lpd_order, engine = load_official(os.path.join(official, "lpd"), "models.lpd", "orders.lpd_order", "engine")
    lpd_mod.torch = _CpuTorchView()
    from functools import partial
    torch.manual_seed(seed)
    model = lpd_mod.LPD(img_size=grid * 16, vqgan_stride=16, decoder_embed_dim=dim, decoder_depth=N_LAYER,
                        decoder_num_heads=N_HEAD, mlp_ratio=4.0, norm_layer=partial(torch.nn.LayerNorm, eps=1e-6),
                        class_num=NUM_CLASSES, vqgan_vocab_size=VOCAB)
    model = randomize(model, seed)
    out.count_passes(model)
    save_checkpoint(model, os.path.join(out.dir, ckpt))
    import random
    labels = torch.tensor(CLASSES, dtype=torch.long)
    for steps, sizes in schedules.items():
        assert sum(sizes) == grid * grid and sizes[0] == 1
        random.seed(steps)
        np.random.seed(steps)
        order = lpd_order.lpd_order_schedule(group_sizes=sizes, grid_size=grid, proximity_threshold=1.0,
                                             repulsion_threshold=LPD_REPULSION)
        assert sorted(order) == list(range(grid * grid))
        order_file = f"{prefix}-s{steps}-order.npy"
        save_atomic(os.path.join(out.dir, order_file),
                    lambda t: np.save(open(t, "wb"), np.asarray(order, dtype=np.int32)))
        # the mask engine.py's evaluate() passes: block-causal over [cls, groups...]
        attn_mask = engine.create_block_causal_mask([1] + sizes, device="cpu")
        orders = torch.tensor([order] * len(CLASSES), dtype=torch.long)  # one order for the batch
        for cfg in (1.0, CFG_ON):
            with torch.no_grad():
                tokens = model.sample_tokens(bsz=len(CLASSES), cfg=cfg, cfg_schedule="linear", labels=labels,
                                             temperature=1.0, attn_mask=attn_mask, top_k=1, top_p=1.0,
                                             group_sizes=sizes, orders=orders)
            out.case(f"{prefix}-s{steps}-cfg{cfg:g}",
                     f"model: {{family: lpd, decoder_embed_dim: {dim}, decoder_depth: {N_LAYER}, "
                     f"decoder_num_heads: {N_HEAD}, vqgan_vocab_size: {VOCAB}, class_num: {NUM_CLASSES}, "
                     f"grid: {grid}, checkpoint: {ckpt}}}\n" + tokenizer_yaml() + "backend: {name: cpu-vector}\n"
                     + f"order: {{name: explicit, file: {order_file}, group_sizes: {sizes}}}\n"
                     + sampling_yaml(cfg).replace("cfg_interval: -1", "cfg_schedule: linear"), tokens,
                     f"LPD models/lpd.py sample_tokens(), order from orders/lpd_order.py (seed {steps})")
    if grid == GRID:
        lpd_orders_tessera_rng(official, lpd_order, out)


def lpd_256px_tables(official, out):
    """LPD at 16x16 (256 px) with the official 20- and 32-step group sizes
    (orders/group_sizes_lookup.json) and repulsion 2, as res256_steps{20,32}_repulsion2; a narrower
    model (width 32) keeps the checkpoint small."""
    import json
    with open(os.path.join(official, "lpd", "orders", "group_sizes_lookup.json")) as f:
        lookup = json.load(f)["256 resolution"]
    lpd(official, out, grid=16, dim=32, schedules={20: lookup["20 steps"], 32: lookup["32 steps"]},
        ckpt="lpd16.pt", prefix="lpd16", seed=SEED + 3)


class TesseraRng:
    """Tessera's io.tessera.core.decode.Rng (SplitMix64), with the three calls lpd_order.py makes on
    `random` and `np.random`: choice = seq[nextInt(len)], shuffle = Rng.shuffle's Fisher-Yates (from
    the end, j = nextInt(i + 1)), randint(n) = nextInt(n)."""
    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next_long(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def next_int(self, bound):
        return (self.next_long() >> 1) % bound

    def choice(self, seq):
        return seq[self.next_int(len(seq))]

    def shuffle(self, a):
        for i in range(len(a) - 1, 0, -1):
            j = self.next_int(i + 1)
            a[i], a[j] = a[j], a[i]

    def randint(self, bound):
        return self.next_int(bound)


class _NumpyView(types.ModuleType):
    """numpy for lpd_order.py with np.random replaced by one TesseraRng."""

    def __init__(self, rng):
        super().__init__("numpy")
        self.random = rng

    def __getattr__(self, name):
        return getattr(np, name)


def lpd_orders_tessera_rng(official, lpd_order, out):
    """orders/lpd_order.py's lpd_order_schedule() itself, its random/np.random draws taken from
    Tessera's Rng(seed) stream: Tessera's LpdOrder.order(grid, sizes, tau, rho, new Rng(seed)) claims
    the same algorithm, so it must return these cells exactly (OfficialGoldensTest). Settings: the
    two 8x8 schedules above, the official 256-px 20/32-step tables at repulsion 2 and 3, and a
    proximity threshold of 5 that no cell reaches (every pick through farthest_point_sampling,
    including its np.random.randint start)."""
    import json
    with open(os.path.join(official, "lpd", "orders", "group_sizes_lookup.json")) as f:
        lookup = json.load(f)["256 resolution"]
    settings = [(8, LPD_GROUP_SIZES[8], 1.0, 2.0), (8, LPD_GROUP_SIZES[16], 1.0, 1.0),
                (16, lookup["20 steps"], 1.0, 2.0), (16, lookup["32 steps"], 1.0, 2.0),
                (16, lookup["20 steps"], 1.0, 3.0), (16, lookup["20 steps"], 5.0, 2.0)]
    real_random, real_np = lpd_order.random, lpd_order.np
    cases = []
    try:
        for grid, sizes, tau, rho, in settings:
            for seed in (0, 1, 2):
                rng = TesseraRng(seed)
                lpd_order.random, lpd_order.np = rng, _NumpyView(rng)
                order = lpd_order.lpd_order_schedule(group_sizes=list(sizes), grid_size=grid,
                                                     proximity_threshold=tau, repulsion_threshold=rho)
                assert sorted(order) == list(range(grid * grid))
                cases.append({"grid": grid, "group_sizes": list(sizes), "proximity_threshold": tau,
                              "repulsion": rho, "seed": seed, "order": [int(c) for c in order]})
    finally:
        lpd_order.random, lpd_order.np = real_random, real_np
    doc = {"source": "lpd orders/lpd_order.py lpd_order_schedule() with Tessera's Rng stream "
                     "(tools/goldens/make_goldens.py)", "cases": cases}
    path = os.path.join(out.dir, "lpd-order-tessera-rng.json")
    save_atomic(path, lambda t: open(t, "w").write(json.dumps(doc, separators=(",", ":")) + "\n"))
    print(f"lpd-order-tessera-rng.json: {len(cases)} orders")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--official", required=True, help="directory holding LlamaGen/, ZipAR/, PAR/, lpd/")
    ap.add_argument("--out", required=True, help="test-resource directory to (over)write")
    args = ap.parse_args()
    if not torch.__version__.startswith(("1.13", "2.")):
        print(f"make_goldens: expected torch 1.13 or 2.x, got {torch.__version__}", file=sys.stderr)
    install_torch2_shims()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    out = Out(args.out)
    llamagen_and_zipar(args.official, out)
    par_4x(args.official, out)
    lpd(args.official, out)
    lpd_256px_tables(args.official, out)
    out.manifest()


if __name__ == "__main__":
    main()
