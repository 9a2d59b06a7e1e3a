#!/usr/bin/python3
"""Generate the PyTorch golden fixtures under testdata/golden/.

Run from the repository root with Debian's Python (the one that has torch 1.13):

    /usr/bin/python3 tools/golden/gen.py

Writes one safetensors file per op family (conv, linear, elementwise, activation, pool,
norm, loss, optim, schedule, lenet5, upconv).  The schema is documented in tools/golden/README.md;
keep the two in step.

Numerics: every input is drawn as float32 and stored as float32.  The reference is then
computed in float64 from those exact float32 values (tensor.double()), and outputs and
gradients are rounded once to float32 when stored.  So a stored output is the float32
rounding of the exact-arithmetic answer for the stored inputs, not what a float32 PyTorch
kernel happens to produce.

Determinism: each case seeds torch's global RNG with crc32(case name); one thread; the
header JSON is written with sorted keys; tensors are laid out in sorted-key order.
Re-running gives byte-identical files.
"""
import json
import math
import os
import re
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, "testdata", "golden")

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)


# ----------------------------------------------------------------------------------
# safetensors writer (the safetensors package is not installed here)
# ----------------------------------------------------------------------------------
def write_safetensors(path, tensors, metadata):
    """Write float32 tensors and string metadata as a safetensors file.

    Layout: u64 little-endian header length, the JSON header (padded with spaces to a
    multiple of 8 bytes), then the raw little-endian float32 data of every tensor in
    sorted-key order, back to back.  Written to a temporary file, then renamed.
    """
    keys = sorted(tensors)
    header = {}
    blobs = []
    off = 0
    for k in keys:
        a = np.asarray(tensors[k], dtype="<f4", order="C")  # keeps 0-d shape []
        b = a.tobytes()
        header[k] = {"dtype": "F32", "shape": [int(s) for s in a.shape],
                     "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    for k, v in metadata.items():
        assert isinstance(k, str) and isinstance(v, str), (k, v)
    header["__metadata__"] = metadata
    hj = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    hj = hj.encode("ascii")
    hj += b" " * ((-len(hj)) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(len(hj).to_bytes(8, "little"))
        f.write(hj)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


# ----------------------------------------------------------------------------------
# Case collection
# ----------------------------------------------------------------------------------
def seed_for(case):
    torch.manual_seed(zlib.crc32(case.encode("ascii")) & 0x7FFFFFFF)


def as_f32(t):
    """A torch tensor (any float dtype) -> float32 numpy array (rounded once)."""
    return t.detach().to(torch.float32).contiguous().numpy().copy()


class Family:
    """One fixture file: cases, each with metadata and tensors named <case>/<role>."""

    def __init__(self, name):
        self.name = name
        self.tensors = {}
        self.meta = {}

    def add(self, case, meta, tensors):
        assert case not in self.meta, f"duplicate case {case}"
        assert re.fullmatch(r"[a-z][a-z0-9_]*", case), case
        assert "op" in meta, case
        self.meta[case] = json.dumps(meta, sort_keys=True, separators=(",", ":"))
        for role, t in tensors.items():
            key = f"{case}/{role}"
            assert key not in self.tensors, key
            a = as_f32(t)
            assert np.all(np.isfinite(a)), key
            self.tensors[key] = a

    def write(self):
        path = os.path.join(OUT_DIR, self.name + ".safetensors")
        write_safetensors(path, self.tensors, self.meta)
        return path, len(self.meta), os.path.getsize(path)


def op_case(fam, case, meta, inputs, fn, no_grad=()):
    """Run fn(**inputs) in float64, backward with a random gout, store everything.

    inputs: dict argname -> float32 tensor (insertion order = positional order, recorded
    as meta["inputs"]).  Every input not in no_grad gets a gradient grad/<argname>.
    The RNG must already be seeded; gout is drawn after the inputs.
    """
    x64 = {}
    for k, v in inputs.items():
        assert v.dtype == torch.float32, (case, k, v.dtype)
        t = v.detach().double()
        if k not in no_grad:
            t.requires_grad_(True)
        x64[k] = t
    out = fn(**x64)
    gout = torch.randn(out.shape, dtype=torch.float32)
    if out.dim() == 0:  # losses: a scalar gout in [0.5, 1.5)
        gout = torch.rand((), dtype=torch.float32) + 0.5
    out.backward(gout.double())
    meta = dict(meta)
    meta["inputs"] = list(inputs)
    tensors = {f"in/{k}": v for k, v in inputs.items()}
    tensors["out"] = out
    tensors["gout"] = gout
    for k, t in x64.items():
        if k not in no_grad:
            assert t.grad is not None, (case, k)
            tensors[f"grad/{k}"] = t.grad
    fam.add(case, meta, tensors)
    return out


def pair(v):
    return [int(v), int(v)] if isinstance(v, int) else [int(v[0]), int(v[1])]


# ----------------------------------------------------------------------------------
# conv.safetensors
# ----------------------------------------------------------------------------------
def gen_conv():
    fam = Family("conv")
    # name, N, Cin, H, W, Cout, (kh, kw), stride, padding, dilation, groups, bias, asym pads
    # asym pads are [top, left, bottom, right]; the case then uses F.pad + padding 0.
    specs = [
        ("conv_3x3", 2, 3, 6, 6, 4, (3, 3), 1, 0, 1, 1, True, None),
        ("conv_stride2", 2, 3, 7, 7, 4, (3, 3), 2, 0, 1, 1, True, None),
        ("conv_pad1", 2, 3, 5, 5, 4, (3, 3), 1, 1, 1, 1, True, None),
        ("conv_pad2", 2, 3, 5, 5, 4, (3, 3), 1, 2, 1, 1, True, None),
        ("conv_asym_pad", 2, 3, 6, 6, 4, (3, 3), 1, 0, 1, 1, True, [0, 1, 1, 2]),
        ("conv_asym_pad_stride2", 2, 3, 6, 6, 4, (3, 3), 2, 0, 1, 1, True, [0, 0, 1, 1]),
        ("conv_dilation2", 2, 3, 7, 7, 4, (3, 3), 1, 1, 2, 1, True, None),
        ("conv_groups2", 2, 4, 6, 6, 6, (3, 3), 1, 1, 1, 2, True, None),
        ("conv_depthwise_mult2", 2, 3, 6, 6, 6, (3, 3), 1, 1, 1, 3, True, None),
        ("conv_depthwise_stride2", 2, 4, 7, 7, 4, (3, 3), 2, 1, 1, 4, True, None),
        ("conv_nobias", 2, 3, 6, 6, 4, (3, 3), 1, 1, 1, 1, False, None),
        ("conv_1x1", 2, 4, 5, 5, 3, (1, 1), 1, 0, 1, 1, True, None),
        ("conv_3x5_stride21", 2, 3, 7, 7, 4, (3, 5), (2, 1), 0, 1, 1, True, None),
        ("conv_same", 2, 3, 6, 6, 4, (3, 3), 1, "same", 1, 1, True, None),
        ("conv_lenet_conv1", 2, 1, 7, 7, 6, (5, 5), 1, 2, 1, 1, True, None),
    ]
    for (case, n, cin, h, w, cout, k, stride, padding, dil, groups, bias, asym) in specs:
        seed_for(case)
        x = torch.randn(n, cin, h, w)
        fan_in = (cin // groups) * k[0] * k[1]
        wt = torch.randn(cout, cin // groups, k[0], k[1]) / math.sqrt(fan_in)
        inputs = {"x": x, "weight": wt}
        if bias:
            inputs["bias"] = torch.randn(cout) * 0.5
        s, d = pair(stride), pair(dil)
        if asym is not None:
            pads = list(asym)
            top, left, bottom, right = pads

            def fn(x, weight, bias=None, s=s, d=d, g=groups, pl=(left, right, top, bottom)):
                return F.conv2d(F.pad(x, pl), weight, bias, stride=s, padding=0,
                                dilation=d, groups=g)
            pad_meta = [0, 0]
        else:
            if padding == "same":
                ph = d[0] * (k[0] - 1) // 2
                pw = d[1] * (k[1] - 1) // 2
                pads = [ph, pw, ph, pw]
                pad_arg, pad_meta = "same", "same"
            else:
                p = pair(padding)
                pads = [p[0], p[1], p[0], p[1]]
                pad_arg, pad_meta = p, p

            def fn(x, weight, bias=None, s=s, d=d, g=groups, pa=pad_arg):
                return F.conv2d(x, weight, bias, stride=s, padding=pa, dilation=d, groups=g)
        meta = {"op": "conv2d", "stride": s, "padding": pad_meta, "dilation": d,
                "groups": groups, "bias": bias, "pads": pads}
        op_case(fam, case, meta, inputs, fn)
    return fam


# ----------------------------------------------------------------------------------
# linear.safetensors
# ----------------------------------------------------------------------------------
def gen_linear():
    fam = Family("linear")
    for case, bias in (("linear_bias", True), ("linear_nobias", False)):
        seed_for(case)
        inputs = {"x": torch.randn(4, 5), "weight": torch.randn(3, 5) / math.sqrt(5)}
        if bias:
            inputs["bias"] = torch.randn(3) * 0.5
        op_case(fam, case, {"op": "linear", "bias": bias}, inputs,
                lambda x, weight, bias=None: F.linear(x, weight, bias))
    case = "matmul_2d"
    seed_for(case)
    op_case(fam, case, {"op": "matmul"}, {"a": torch.randn(4, 5), "b": torch.randn(5, 3)},
            lambda a, b: torch.matmul(a, b))
    return fam


# ----------------------------------------------------------------------------------
# elementwise.safetensors
# ----------------------------------------------------------------------------------
def gen_elementwise():
    fam = Family("elementwise")
    shapes = [
        ("same", [2, 3, 4, 4], [2, 3, 4, 4]),
        ("bias", [2, 3, 4, 4], [1, 3, 1, 1]),
        ("se", [2, 3, 4, 4], [2, 3, 1, 1]),
        ("chan3d", [2, 3, 4, 4], [3, 1, 1]),
        ("scalar1", [2, 3, 4, 4], [1]),
        ("both", [2, 1, 4], [3, 1]),
        ("left", [3, 1, 1], [2, 3, 4, 4]),
    ]
    fns = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}
    for op in ("add", "sub", "mul", "div"):
        for sname, sa, sb in shapes:
            case = f"{op}_{sname}"
            seed_for(case)
            a = torch.randn(sa)
            if op == "div":
                # |b| in [0.5, 2.0), random sign: kept away from 0
                mag = torch.rand(sb) * 1.5 + 0.5
                sign = torch.where(torch.rand(sb) < 0.5, -1.0, 1.0)
                b = mag * sign
            else:
                b = torch.randn(sb)
            f = fns[op]
            op_case(fam, case, {"op": op}, {"a": a, "b": b}, lambda a, b, f=f: f(a, b))

    case = "cat_dim1"
    seed_for(case)
    inputs = {"x0": torch.randn(2, 2, 3, 3), "x1": torch.randn(2, 3, 3, 3),
              "x2": torch.randn(2, 1, 3, 3)}
    op_case(fam, case, {"op": "cat", "dim": 1}, inputs,
            lambda x0, x1, x2: torch.cat([x0, x1, x2], dim=1))

    case = "flatten_start1"
    seed_for(case)
    op_case(fam, case, {"op": "flatten", "start_dim": 1, "end_dim": -1},
            {"x": torch.randn(2, 3, 4, 4)}, lambda x: torch.flatten(x, 1))

    case = "reshape"
    seed_for(case)
    op_case(fam, case, {"op": "reshape", "shape": [6, 16]},
            {"x": torch.randn(2, 3, 4, 4)}, lambda x: torch.reshape(x, (6, 16)))
    return fam


# ----------------------------------------------------------------------------------
# activation.safetensors
# ----------------------------------------------------------------------------------
KINKS = (-3.0, 0.0, 3.0, 6.0)


def spread_input(shape, lo=-8.0, hi=8.0, gap=0.05):
    """Uniform in [lo, hi) with every value at least gap away from every kink."""
    x = torch.rand(shape) * (hi - lo) + lo
    while True:
        bad = torch.zeros(shape, dtype=torch.bool)
        for k in KINKS:
            bad |= (x - k).abs() < gap
        nb = int(bad.sum())
        if nb == 0:
            return x
        x[bad] = torch.rand(nb) * (hi - lo) + lo


def gen_activation():
    fam = Family("activation")
    acts = [
        ("relu", {"op": "relu"}, F.relu),
        ("relu6", {"op": "relu6"}, F.relu6),
        ("leaky_relu_0p01", {"op": "leaky_relu", "negative_slope": 0.01},
         lambda x: F.leaky_relu(x, 0.01)),
        ("leaky_relu_0p2", {"op": "leaky_relu", "negative_slope": 0.2},
         lambda x: F.leaky_relu(x, 0.2)),
        ("sigmoid", {"op": "sigmoid"}, torch.sigmoid),
        ("tanh", {"op": "tanh"}, torch.tanh),
        ("silu", {"op": "silu"}, F.silu),
        ("hardswish", {"op": "hardswish"}, F.hardswish),
        ("hardsigmoid", {"op": "hardsigmoid"}, F.hardsigmoid),
    ]
    for case, meta, f in acts:
        seed_for(case)
        x = spread_input((2, 3, 5, 5))
        op_case(fam, case, meta, {"x": x}, lambda x, f=f: f(x))
    return fam


# ----------------------------------------------------------------------------------
# pool.safetensors
# ----------------------------------------------------------------------------------
def distinct_input(shape):
    """Values that are pairwise distinct (spacing >= 4/numel), in about [-2, 2)."""
    n = int(np.prod(shape))
    perm = torch.randperm(n).to(torch.float32)
    x = ((perm - n / 2) * (4.0 / n)).reshape(shape)
    assert torch.unique(x).numel() == n
    return x


def gen_pool():
    fam = Family("pool")
    # max_pool2d: name, shape, kernel, stride, padding, dilation, ceil_mode
    maxs = [
        ("max_pool_k2s2", (2, 3, 6, 6), 2, 2, 0, 1, False),
        ("max_pool_k3s2p1", (2, 3, 7, 7), 3, 2, 1, 1, False),
        ("max_pool_k3s1d2", (2, 3, 7, 7), 3, 1, 0, 2, False),
        ("max_pool_k3s2_ceil", (2, 3, 6, 6), 3, 2, 0, 1, True),
        ("max_pool_k2x3s2", (2, 3, 6, 7), (2, 3), (2, 2), (0, 1), 1, False),
    ]
    for case, shape, k, s, p, d, ceil in maxs:
        seed_for(case)
        k, s, p, d = pair(k), pair(s), pair(p), pair(d)
        meta = {"op": "max_pool2d", "kernel_size": k, "stride": s, "padding": p,
                "dilation": d, "ceil_mode": ceil}
        op_case(fam, case, meta, {"x": distinct_input(shape)},
                lambda x, k=k, s=s, p=p, d=d, c=ceil: F.max_pool2d(
                    x, k, s, p, dilation=d, ceil_mode=c))
    # avg_pool2d: name, shape, kernel, stride, padding, ceil_mode, count_include_pad
    avgs = [
        ("avg_pool_k2s2", (2, 3, 6, 6), 2, 2, 0, False, True),
        ("avg_pool_k3s2p1_incpad", (2, 3, 7, 7), 3, 2, 1, False, True),
        ("avg_pool_k3s2p1_excpad", (2, 3, 7, 7), 3, 2, 1, False, False),
        ("avg_pool_k3s2p1_ceil_incpad", (2, 3, 6, 6), 3, 2, 1, True, True),
        ("avg_pool_k3s2p1_ceil_excpad", (2, 3, 6, 6), 3, 2, 1, True, False),
        ("avg_pool_k2s2_ceil", (2, 3, 7, 7), 2, 2, 0, True, True),
    ]
    for case, shape, k, s, p, ceil, cip in avgs:
        seed_for(case)
        k, s, p = pair(k), pair(s), pair(p)
        meta = {"op": "avg_pool2d", "kernel_size": k, "stride": s, "padding": p,
                "ceil_mode": ceil, "count_include_pad": cip, "divisor_override": None}
        op_case(fam, case, meta, {"x": torch.randn(shape)},
                lambda x, k=k, s=s, p=p, c=ceil, cip=cip: F.avg_pool2d(
                    x, k, s, p, ceil_mode=c, count_include_pad=cip))
    adas = [
        ("adaptive_avg_1x1", (2, 3, 5, 5), [1, 1]),
        ("adaptive_avg_7to2", (2, 3, 7, 7), [2, 2]),
        ("adaptive_avg_6to3", (2, 3, 6, 6), [3, 3]),
    ]
    for case, shape, osz in adas:
        seed_for(case)
        op_case(fam, case, {"op": "adaptive_avg_pool2d", "output_size": osz},
                {"x": torch.randn(shape)},
                lambda x, o=osz: F.adaptive_avg_pool2d(x, o))
    case = "global_avg_mean"
    seed_for(case)
    op_case(fam, case, {"op": "mean", "dim": [2, 3], "keepdim": True},
            {"x": torch.randn(2, 4, 5, 5)}, lambda x: x.mean((2, 3), keepdim=True))
    return fam


# ----------------------------------------------------------------------------------
# norm.safetensors
# ----------------------------------------------------------------------------------
def gen_norm():
    fam = Family("norm")
    specs = [
        ("bn2d_train_m0p1", (2, 4, 5, 5), True, 0.1),
        ("bn2d_train_m0p3", (2, 4, 5, 5), True, 0.3),
        ("bn2d_eval", (2, 4, 5, 5), False, 0.1),
        ("bn1d_train", (4, 5), True, 0.1),
        ("bn1d_eval", (4, 5), False, 0.1),
    ]
    eps = 1e-5
    for case, shape, training, momentum in specs:
        seed_for(case)
        c = shape[1]
        x = torch.randn(shape) * 1.5 + 0.3
        weight = torch.rand(c) + 0.5            # [0.5, 1.5)
        bias = (torch.rand(c) - 0.5) * 0.5      # [-0.25, 0.25)
        rmean = (torch.rand(c) - 0.5) * 0.5     # [-0.25, 0.25)
        rvar = torch.rand(c) + 0.5              # [0.5, 1.5)
        inputs = {"x": x, "running_mean": rmean, "running_var": rvar,
                  "weight": weight, "bias": bias}
        # F.batch_norm updates these float64 buffers in place (training mode).
        rm64, rv64 = rmean.double(), rvar.double()

        def fn(x, running_mean, running_var, weight, bias, t=training, m=momentum,
               rm64=rm64, rv64=rv64):
            return F.batch_norm(x, rm64, rv64, weight, bias, training=t, momentum=m,
                                eps=eps)
        op = "batch_norm2d" if len(shape) == 4 else "batch_norm1d"
        meta = {"op": op, "training": training, "momentum": momentum, "eps": eps}
        op_case(fam, case, meta, inputs, fn, no_grad=("running_mean", "running_var"))
        # check the update against the documented formula, then store it
        if training:
            dims = [0] + list(range(2, len(shape)))
            xd = x.double()
            nred = xd.numel() // c
            uvar = xd.var(dim=dims, unbiased=True)
            exp_m = (1 - momentum) * rmean.double() + momentum * xd.mean(dim=dims)
            exp_v = (1 - momentum) * rvar.double() + momentum * uvar
            assert torch.allclose(rm64, exp_m, rtol=0, atol=1e-12), case
            assert torch.allclose(rv64, exp_v, rtol=0, atol=1e-12), case
            assert nred > 1
        else:
            assert torch.equal(rm64, rmean.double()) and torch.equal(rv64, rvar.double())
        fam.tensors[f"{case}/out/running_mean"] = as_f32(rm64)
        fam.tensors[f"{case}/out/running_var"] = as_f32(rv64)
    return fam


# ----------------------------------------------------------------------------------
# loss.safetensors
# ----------------------------------------------------------------------------------
def logits(n, c, large):
    """N(0,1) logits, or for large: N(100, 40^2) with every row's max above 88, where
    a float32 exp overflows (a softmax that skips the max subtraction gives inf/nan)."""
    if not large:
        return torch.randn(n, c)
    x = torch.randn(n, c) * 40 + 100
    assert bool((x.max(dim=1).values > 88).all())
    return x


def gen_loss():
    fam = Family("loss")
    n, c = 4, 5
    for case, op, large in (("softmax_dim1", "softmax", False),
                            ("log_softmax_dim1", "log_softmax", False),
                            ("softmax_dim1_large", "softmax", True),
                            ("log_softmax_dim1_large", "log_softmax", True)):
        seed_for(case)
        f = F.softmax if op == "softmax" else F.log_softmax
        op_case(fam, case, {"op": op, "dim": 1}, {"x": logits(n, c, large)},
                lambda x, f=f: f(x, dim=1))
    for case, reduction, ls, large in (("cross_entropy_mean", "mean", 0.0, False),
                                       ("cross_entropy_sum", "sum", 0.0, False),
                                       ("cross_entropy_ls0p1_mean", "mean", 0.1, False),
                                       ("cross_entropy_large_mean", "mean", 0.0, True)):
        seed_for(case)
        x = logits(n, c, large)
        target = torch.randint(0, c, (n,)).to(torch.float32)
        meta = {"op": "cross_entropy", "reduction": reduction, "label_smoothing": ls,
                "num_classes": c}
        op_case(fam, case, meta, {"x": x, "target": target},
                lambda x, target, r=reduction, ls=ls: F.cross_entropy(
                    x, target.long(), reduction=r, label_smoothing=ls),
                no_grad=("target",))
    for case, reduction in (("mse_mean", "mean"), ("mse_sum", "sum")):
        seed_for(case)
        op_case(fam, case, {"op": "mse_loss", "reduction": reduction},
                {"x": torch.randn(4, 5), "target": torch.randn(4, 5)},
                lambda x, target, r=reduction: F.mse_loss(x, target, reduction=r))
    return fam


# ----------------------------------------------------------------------------------
# upconv.safetensors: conv_transpose2d, interpolate (nearest, bilinear), LRN
# ----------------------------------------------------------------------------------
def gen_upconv():
    fam = Family("upconv")
    # name, x shape, Cout, (kh, kw), stride, padding, output_padding, dilation, groups, bias
    # weight is [Cin, Cout/groups, kh, kw] (PyTorch's layout for transposed convs).
    convts = [
        ("convt_k2s2", (2, 4, 5, 5), 3, (2, 2), 2, 0, 0, 1, 1, True),
        ("convt_k3s2p1_op1", (2, 3, 5, 5), 4, (3, 3), 2, 1, 1, 1, 1, True),
        ("convt_groups2", (2, 4, 5, 5), 6, (3, 3), 2, 1, 0, 1, 2, True),
        ("convt_dilation2", (2, 3, 5, 5), 2, (3, 3), 1, 1, 0, 2, 1, True),
        ("convt_nobias", (2, 3, 4, 4), 4, (3, 3), 1, 1, 0, 1, 1, False),
        ("convt_rect", (2, 3, 4, 5), 2, (3, 2), (2, 3), (1, 0), (1, 2), 1, 1, True),
    ]
    for case, xs, cout, k, stride, padding, opad, dil, groups, bias in convts:
        seed_for(case)
        cin = xs[1]
        x = torch.randn(xs)
        fan_in = (cout // groups) * k[0] * k[1]
        wt = torch.randn(cin, cout // groups, k[0], k[1]) / math.sqrt(fan_in)
        inputs = {"x": x, "weight": wt}
        if bias:
            inputs["bias"] = torch.randn(cout) * 0.5
        s, p, op, d = pair(stride), pair(padding), pair(opad), pair(dil)
        meta = {"op": "conv_transpose2d", "stride": s, "padding": p, "output_padding": op,
                "dilation": d, "groups": groups, "bias": bias}
        op_case(fam, case, meta, inputs,
                lambda x, weight, bias=None, s=s, p=p, op=op, d=d, g=groups:
                F.conv_transpose2d(x, weight, bias, stride=s, padding=p, output_padding=op,
                                   groups=g, dilation=d))
    # name, x shape, mode, size, scale_factor, align_corners (None for nearest)
    ups = [
        ("upsample_nearest_x2", (2, 3, 4, 5), "nearest", None, [2.0, 2.0], None),
        ("upsample_nearest_size7x5", (2, 3, 4, 3), "nearest", [7, 5], None, None),
        ("upsample_nearest_x1p7", (2, 3, 5, 4), "nearest", None, [1.7, 1.7], None),
        ("upsample_bilinear_x2", (2, 3, 4, 5), "bilinear", None, [2.0, 2.0], False),
        ("upsample_bilinear_x2_align", (2, 3, 4, 5), "bilinear", None, [2.0, 2.0], True),
        ("upsample_bilinear_size7x3", (2, 3, 4, 5), "bilinear", [7, 3], None, False),
        ("upsample_bilinear_size7x3_align", (2, 3, 4, 5), "bilinear", [7, 3], None, True),
        ("upsample_bilinear_x1p5x2p5", (2, 3, 5, 4), "bilinear", None, [1.5, 2.5], False),
    ]
    for case, xs, mode, size, scale, align in ups:
        seed_for(case)
        meta = {"op": "interpolate", "mode": mode, "size": size, "scale_factor": scale,
                "align_corners": align}
        op_case(fam, case, meta, {"x": torch.randn(xs)},
                lambda x, m=mode, sz=size, sc=scale, a=align: F.interpolate(
                    x, size=None if sz is None else tuple(sz),
                    scale_factor=None if sc is None else tuple(sc), mode=m, align_corners=a))
    # name, x shape, x scale, size, alpha, beta, k
    lrns = [
        ("lrn_size5", (2, 7, 4, 4), 1.0, 5, 1e-4, 0.75, 2.0),
        ("lrn_size3_alpha0p5", (2, 6, 4, 4), 2.0, 3, 0.5, 0.75, 1.0),
        ("lrn_size4_even", (2, 6, 3, 3), 2.0, 4, 0.8, 0.6, 1.5),
    ]
    for case, xs, amp, size, alpha, beta, k in lrns:
        seed_for(case)
        meta = {"op": "local_response_norm", "size": size, "alpha": alpha, "beta": beta, "k": k}
        op_case(fam, case, meta, {"x": torch.randn(xs) * amp},
                lambda x, n=size, a=alpha, b=beta, k=k: F.local_response_norm(x, n, a, b, k))
    return fam


# ----------------------------------------------------------------------------------
# optim.safetensors
# ----------------------------------------------------------------------------------
OPT_STEPS = 5


def gen_optim():
    fam = Family("optim")
    sgd = lambda lr=0.1, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0: (
        "SGD", {"lr": lr, "momentum": momentum, "dampening": dampening,
                "nesterov": nesterov, "weight_decay": weight_decay})
    adam = lambda name, lr=1e-2, weight_decay=0.0: (
        name, {"lr": lr, "betas": [0.9, 0.999], "eps": 1e-8,
               "weight_decay": weight_decay, "amsgrad": False})
    configs = [
        ("sgd_plain", sgd()),
        ("sgd_momentum", sgd(momentum=0.9)),
        ("sgd_momentum_dampening", sgd(momentum=0.9, dampening=0.5)),
        ("sgd_nesterov", sgd(momentum=0.9, nesterov=True)),
        ("sgd_momentum_wd", sgd(momentum=0.9, weight_decay=0.01)),
        ("adam", adam("Adam")),
        ("adam_wd", adam("Adam", weight_decay=0.1)),
        ("adamw", adam("AdamW", weight_decay=0.1)),
    ]
    shapes = {"w": (3, 4), "b": (4,)}
    for case, (opt_name, hp) in configs:
        seed_for(case)
        init = {k: torch.randn(s) for k, s in shapes.items()}
        grads = [{k: torch.randn(s) for k, s in shapes.items()}
                 for _ in range(OPT_STEPS)]
        params = {k: v.double().clone().requires_grad_(True) for k, v in init.items()}
        kw = dict(hp)
        if "betas" in kw:
            kw["betas"] = tuple(kw["betas"])
        opt = getattr(torch.optim, opt_name)([params[k] for k in sorted(params)], **kw)
        tensors = {f"param_step0/{k}": v for k, v in init.items()}
        for t in range(1, OPT_STEPS + 1):
            for k in params:
                params[k].grad = grads[t - 1][k].double()
                tensors[f"grad_step{t}/{k}"] = grads[t - 1][k]
            opt.step()
            for k in params:
                tensors[f"param_step{t}/{k}"] = params[k].detach().clone()
        meta = {"op": "optimizer", "optimizer": opt_name, "steps": OPT_STEPS,
                "params": sorted(params)}
        meta.update(hp)
        fam.add(case, meta, tensors)
    return fam


# ----------------------------------------------------------------------------------
# schedule.safetensors
# ----------------------------------------------------------------------------------
def gen_schedule():
    fam = Family("schedule")
    epochs, base_lr = 8, 0.1
    specs = [
        ("step_lr", "StepLR", {"step_size": 2, "gamma": 0.1}),
        ("cosine_annealing_lr", "CosineAnnealingLR", {"T_max": 5, "eta_min": 0.001}),
        ("multi_step_lr", "MultiStepLR", {"milestones": [2, 4], "gamma": 0.1}),
    ]
    for case, name, kw in specs:
        p = torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([p], lr=base_lr)
        sched = getattr(torch.optim.lr_scheduler, name)(opt, **kw)
        lrs = []
        for _ in range(epochs):
            lrs.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
        meta = {"op": "lr_schedule", "scheduler": name, "base_lr": base_lr,
                "epochs": epochs, "lrs": lrs}
        meta.update(kw)
        fam.add(case, meta, {"lr": torch.tensor(lrs, dtype=torch.float64)})
    return fam


# ----------------------------------------------------------------------------------
# lenet5.safetensors
# ----------------------------------------------------------------------------------
class LeNet5(nn.Module):
    """Identical to LeNet5 in ../shared/anchors/export_models.py (same names, same init
    order, so torch.manual_seed(0) gives the same parameters)."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def lenet_batch(seed, n=4):
    torch.manual_seed(seed)
    x = torch.randn(n, 1, 28, 28)
    y = torch.randint(0, 10, (n,))
    return x, y


def gen_lenet5():
    fam = Family("lenet5")
    torch.manual_seed(0)
    model32 = LeNet5()
    init = {k: v.detach().clone() for k, v in model32.state_dict().items()}
    names = [k for k, _ in model32.named_parameters()]
    assert names == list(init), names
    assert sum(v.numel() for v in init.values()) == 61706

    # lenet5: one forward/backward of the mean cross-entropy on a batch of 4
    x, y = lenet_batch(1)
    model = LeNet5().double()
    model.load_state_dict({k: v.double() for k, v in init.items()})
    x64 = x.double().requires_grad_(True)
    logits = model(x64)
    loss = F.cross_entropy(logits, y)
    gout = torch.tensor(1.0, dtype=torch.float32)
    loss.backward(gout.double())
    tensors = {"in/x": x, "in/target": y.to(torch.float32), "logits": logits,
               "out": loss, "gout": gout, "grad/x": x64.grad}
    for k in names:
        tensors[f"param/{k}"] = init[k]
        tensors[f"grad/{k}"] = dict(model.named_parameters())[k].grad
    fam.add("lenet5", {"op": "lenet5", "model": "LeNet5", "loss": "cross_entropy",
                       "reduction": "mean", "params": names, "inputs": ["x", "target"],
                       "init_seed": 0}, tensors)

    # lenet5_sgd: 3 SGD steps from the same initial parameters on three fixed batches
    model = LeNet5().double()
    model.load_state_dict({k: v.double() for k, v in init.items()})
    hp = {"lr": 0.01, "momentum": 0.9, "dampening": 0.0, "nesterov": False,
          "weight_decay": 0.0}
    opt = torch.optim.SGD(model.parameters(), **hp)
    tensors = {}
    steps = 3
    for t in range(1, steps + 1):
        xb, yb = lenet_batch(100 + t)
        opt.zero_grad()
        loss = F.cross_entropy(model(xb.double()), yb)
        loss.backward()
        opt.step()
        tensors[f"batch_step{t}/x"] = xb
        tensors[f"batch_step{t}/target"] = yb.to(torch.float32)
        tensors[f"loss_step{t}"] = loss
    for k, v in model.named_parameters():
        tensors[f"param_step{steps}/{k}"] = v
    meta = {"op": "lenet5_sgd", "model": "LeNet5", "loss": "cross_entropy",
            "reduction": "mean", "optimizer": "SGD", "steps": steps, "params": names,
            "init_from": "lenet5/param"}
    meta.update(hp)
    fam.add("lenet5_sgd", meta, tensors)
    return fam


GENERATORS = [gen_conv, gen_linear, gen_elementwise, gen_activation, gen_pool, gen_norm,
              gen_loss, gen_optim, gen_schedule, gen_lenet5, gen_upconv]


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for g in GENERATORS:
        fam = g()
        path, ncases, size = fam.write()
        total += size
        print(f"{os.path.relpath(path, ROOT):42s} {ncases:3d} cases {size:9,d} bytes")
    print(f"{'total':42s}           {total:9,d} bytes   (torch {torch.__version__})")


if __name__ == "__main__":
    sys.exit(main())
