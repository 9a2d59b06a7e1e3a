#!/usr/bin/python3
"""Generate testdata/golden/more.safetensors: PyTorch references for the ONNX-import ops.

Run from the repository root with Debian's Python (the one that has torch 1.13):

    /usr/bin/python3 tools/golden/gen_more.py
    /usr/bin/python3 tools/golden/check.py

A companion of gen.py, kept separate so the two can change independently. The file
follows the schema of tools/golden/README.md exactly ("Op cases"): per case
<case>/in/<arg>, <case>/out, <case>/gout, <case>/grad/<arg>, and __metadata__ mapping each
case name to a JSON object with "op", "inputs" and the op's parameters. As in gen.py,
inputs are drawn in float32 with torch.manual_seed(crc32(case)), the reference is computed
in float64 from those values, and results are rounded once to float32. Re-running gives a
byte-identical file.

Ops and metadata (ONNX conventions; the Go test ops/golden_more_test.go replays them):

  prelu         x, slope (slope shaped for broadcasting: [C,1,1] or [1])
  elu           alpha                   selu, softplus, softsign, exp, log, sqrt,
  neg, abs, reciprocal, erf             (no parameters)
  clip          min, max
  pow, maximum, minimum                 a, b broadcast
  transpose     perm
  slice         starts, ends, axes, steps (ONNX Slice; negative steps)
  gather        axis, indices (flat), indices_shape
  pad           pads (ONNX layout: begins then ends), mode, value
  expand        shape
  tile          repeats
  reduce_sum, reduce_mean               axes, keepdims
  instance_norm eps (inputs x, scale, bias)
  global_max_pool
  depth_to_space blocksize, mode ("DCR" or "CRD")
  space_to_depth blocksize
"""
import json
import os
import re
import zlib

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "testdata", "golden", "more.safetensors")

torch.set_num_threads(1)


def write_safetensors(path, tensors, metadata):
    """Float32 tensors in sorted-key order after a space-padded, sorted JSON header."""
    header, blobs, off = {}, [], 0
    for k in sorted(tensors):
        b = np.asarray(tensors[k], dtype="<f4", order="C").tobytes()
        header[k] = {"dtype": "F32", "shape": [int(s) for s in np.shape(tensors[k])],
                     "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    header["__metadata__"] = metadata
    hj = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    hj += b" " * ((-len(hj)) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(len(hj).to_bytes(8, "little"))
        f.write(hj)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


TENSORS, META = {}, {}


def case(name, meta, inputs, fn):
    """Seeded inputs (already drawn) -> float64 forward, backward with a N(0,1) gout."""
    assert re.fullmatch(r"[a-z][a-z0-9_]*", name) and name not in META, name
    x64 = {k: v.double().requires_grad_(True) for k, v in inputs.items()}
    out = fn(**x64)
    gout = torch.randn(out.shape, dtype=torch.float32)
    out.backward(gout.double())
    meta = dict(meta, inputs=list(inputs))
    META[name] = json.dumps(meta, sort_keys=True, separators=(",", ":"))
    roles = {f"in/{k}": v for k, v in inputs.items()}
    roles["out"], roles["gout"] = out, gout
    for k, t in x64.items():
        roles[f"grad/{k}"] = t.grad
    for role, t in roles.items():
        a = t.detach().to(torch.float32).contiguous().numpy().copy()
        assert np.all(np.isfinite(a)), (name, role)
        TENSORS[f"{name}/{role}"] = a


def seed(name):
    torch.manual_seed(zlib.crc32(name.encode("ascii")) & 0x7FFFFFFF)


def away(t, kinks, gap=0.05):
    """Move values within gap of a kink by 3·gap, so no input sits on a kink."""
    for k in kinks:
        near = (t - k).abs() < gap
        t = torch.where(near, t + 3 * gap, t)
    return t


def unary_cases():
    specs = [
        ("elu_0p7", "elu", {"alpha": 0.7}, lambda x: F.elu(x, 0.7), (-3, 3), [0]),
        ("selu", "selu", {}, F.selu, (-3, 3), [0]),
        ("softplus", "softplus", {}, F.softplus, (-5, 5), []),
        ("softsign", "softsign", {}, F.softsign, (-3, 3), []),
        ("exp", "exp", {}, torch.exp, (-2, 2), []),
        ("log", "log", {}, torch.log, (0.2, 4), []),
        ("sqrt", "sqrt", {}, torch.sqrt, (0.2, 4), []),
        ("neg", "neg", {}, torch.neg, (-2, 2), []),
        ("abs", "abs", {}, torch.abs, (-2, 2), [0]),
        ("reciprocal", "reciprocal", {}, torch.reciprocal, (0.3, 3), []),
        ("erf", "erf", {}, torch.erf, (-2, 2), []),
        ("clip", "clip", {"min": -0.5, "max": 0.7}, lambda x: torch.clamp(x, -0.5, 0.7), (-2, 2), [-0.5, 0.7]),
    ]
    for name, op, meta, fn, (lo, hi), kinks in specs:
        seed(name)
        x = away(torch.rand(2, 3, 4) * (hi - lo) + lo, kinks)
        case(name, dict(meta, op=op), {"x": x}, lambda x, fn=fn: fn(x))


def binary_cases():
    seed("prelu_channel")
    x = away(torch.randn(2, 3, 4, 4), [0])
    case("prelu_channel", {"op": "prelu"}, {"x": x, "slope": torch.rand(3, 1, 1) * 0.5},
         lambda x, slope: F.prelu(x, slope.reshape(-1)))
    seed("prelu_shared")
    x = away(torch.randn(2, 3, 4), [0])
    case("prelu_shared", {"op": "prelu"}, {"x": x, "slope": torch.rand(1) * 0.5},
         lambda x, slope: F.prelu(x, slope))
    seed("pow_bcast")
    case("pow_bcast", {"op": "pow"}, {"a": torch.rand(2, 3, 4) * 2 + 0.2, "b": torch.rand(4) * 4 - 2},
         lambda a, b: torch.pow(a, b))
    for op, fn in (("maximum", torch.maximum), ("minimum", torch.minimum)):
        name = op + "_bcast"
        seed(name)
        # Values on a 0.1 grid, plus 0.05 for a: no ties.
        a = torch.randint(-10, 10, (2, 3, 4)).float() / 10 + 0.05
        b = torch.randint(-10, 10, (3, 1)).float() / 10
        case(name, {"op": op}, {"a": a, "b": b}, lambda a, b, fn=fn: fn(a, b))
    name = "maximum_ties"
    seed(name)
    a = torch.randint(-2, 3, (3, 4)).float()
    b = torch.randint(-2, 3, (4,)).float()
    case(name, {"op": "maximum"}, {"a": a, "b": b}, lambda a, b: torch.maximum(a, b))


def onnx_slice_indices(dim, start, end, step):
    """The indices ONNX Slice picks along one axis (clamping as the spec says)."""
    start = start + dim if start < 0 else start
    end = end + dim if end < 0 else end
    if step > 0:
        start, end = min(max(start, 0), dim), min(max(end, 0), dim)
    else:
        start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
    return list(range(start, end, step))


def tensor_cases():
    seed("transpose_nhwc")
    case("transpose_nhwc", {"op": "transpose", "perm": [0, 2, 3, 1]}, {"x": torch.randn(2, 3, 4, 5)},
         lambda x: x.permute(0, 2, 3, 1))

    for name, shape, starts, ends, axes, steps in (
        ("slice_neg_step", [3, 5, 6], [-1, 1], [-1000, 3], [2, 0], [-2, 1]),
        ("slice_hw_crop", [2, 3, 5, 6], [1, -5], [-1, 1000], [-2, -1], [1, 2]),
    ):
        seed(name)
        x = torch.randn(*shape)

        def fn(x, shape=shape, starts=starts, ends=ends, axes=axes, steps=steps):
            for s, e, a, st in zip(starts, ends, axes, steps):
                a = a % len(shape)
                idx = onnx_slice_indices(shape[a], s, e, st)
                x = x.index_select(a, torch.tensor(idx, dtype=torch.long))
            return x
        case(name, {"op": "slice", "starts": starts, "ends": ends, "axes": axes, "steps": steps}, {"x": x}, fn)

    seed("gather_axis1")
    idx = [[-1, 0], [2, 2]]
    x = torch.randn(3, 4, 5)
    norm = torch.tensor([[i % 4 for i in r] for r in idx], dtype=torch.long)
    case("gather_axis1", {"op": "gather", "axis": 1, "indices": [-1, 0, 2, 2], "indices_shape": [2, 2]},
         {"x": x}, lambda x: x[:, norm])

    torch_mode = {"constant": "constant", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}
    for mode in ("constant", "reflect", "edge", "wrap"):
        name = "pad_" + mode
        seed(name)
        x = torch.randn(2, 3, 4, 5)
        top, left, bottom, right = 1, 3, 2, 0
        pads = [0, 0, top, left, 0, 0, bottom, right]
        kw = {"value": 0.5} if mode == "constant" else {}
        case(name, {"op": "pad", "pads": pads, "mode": mode, "value": 0.5}, {"x": x},
             lambda x, m=torch_mode[mode], kw=kw, p=(left, right, top, bottom): F.pad(x, p, mode=m, **kw))

    seed("expand")
    case("expand", {"op": "expand", "shape": [2, 1, 4]}, {"x": torch.randn(3, 1)},
         lambda x: x.expand(2, 3, 4))
    seed("tile")
    case("tile", {"op": "tile", "repeats": [2, 1, 3]}, {"x": torch.randn(2, 3, 2)},
         lambda x: x.repeat(2, 1, 3))
    for name, op, axes, keep in (("reduce_sum_hw_keep", "reduce_sum", [2, 3], True),
                                 ("reduce_sum_neg", "reduce_sum", [-1, 0], False),
                                 ("reduce_mean_c", "reduce_mean", [1], False),
                                 ("reduce_mean_hw_keep", "reduce_mean", [-2, -1], True)):
        seed(name)
        fn = torch.sum if op == "reduce_sum" else torch.mean
        case(name, {"op": op, "axes": axes, "keepdims": keep}, {"x": torch.randn(2, 3, 4, 5)},
             lambda x, fn=fn, axes=axes, keep=keep: fn(x, dim=axes, keepdim=keep))


def norm_cases():
    seed("instance_norm")
    x = torch.randn(2, 3, 4, 5) * 1.5 + 0.3
    case("instance_norm", {"op": "instance_norm", "eps": 1e-5},
         {"x": x, "scale": torch.rand(3) + 0.5, "bias": torch.rand(3) * 0.5 - 0.25},
         lambda x, scale, bias: F.instance_norm(x, weight=scale, bias=bias, eps=1e-5))
    seed("global_max_pool")
    # Distinct values on a 0.01 grid: no ties.
    x = (torch.randperm(2 * 3 * 4 * 5).float() / 100 - 0.6).reshape(2, 3, 4, 5)
    case("global_max_pool", {"op": "global_max_pool"}, {"x": x}, lambda x: F.adaptive_max_pool2d(x, 1))

    b = 2
    seed("depth_to_space_dcr")
    x = torch.randn(2, 12, 2, 3)

    def dcr(x):
        n, c, h, w = x.shape
        y = x.reshape(n, b, b, c // (b * b), h, w).permute(0, 3, 4, 1, 5, 2)
        return y.reshape(n, c // (b * b), h * b, w * b)
    case("depth_to_space_dcr", {"op": "depth_to_space", "blocksize": b, "mode": "DCR"}, {"x": x}, dcr)
    seed("depth_to_space_crd")
    case("depth_to_space_crd", {"op": "depth_to_space", "blocksize": b, "mode": "CRD"},
         {"x": torch.randn(2, 12, 2, 3)}, lambda x: F.pixel_shuffle(x, b))
    seed("space_to_depth")

    def s2d(x):
        n, c, h, w = x.shape
        y = x.reshape(n, c, h // b, b, w // b, b).permute(0, 3, 5, 1, 2, 4)
        return y.reshape(n, c * b * b, h // b, w // b)
    case("space_to_depth", {"op": "space_to_depth", "blocksize": b}, {"x": torch.randn(2, 3, 4, 6)}, s2d)


def main():
    unary_cases()
    binary_cases()
    tensor_cases()
    norm_cases()
    write_safetensors(OUT, TENSORS, META)
    print(f"{os.path.relpath(OUT, ROOT)}: {len(META)} cases, {len(TENSORS)} tensors, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
