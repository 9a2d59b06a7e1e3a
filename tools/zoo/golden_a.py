#!/usr/bin/python3
"""PyTorch golden outputs for the models of models/{alexnet,alexnet_lrn,vgg,
googlenet,squeezenet}.go.

Run from the repository root with Debian's Python (torch 1.13, torchvision 0.14):

    /usr/bin/python3 tools/zoo/golden_a.py

Weights are not stored: VGG's 500 MB would not fit in a repository. Every
state_dict entry is instead filled by a deterministic recipe that the Go test
(zooaRecipe in models/alexnet_test.go) reproduces bit for bit:

    seed  = crc32(key)                       (key: the state_dict name)
    h_i   = mix32(i·0x9E3779B1 + seed·0x85EBCA77)   for element i (mod 2^32)
    mix32 = x ^= x>>15; x *= 0x2C1B3C6D; x ^= x>>12; x *= 0x297A2D39; x ^= x>>15
    r_i   = (h_i >> 8) / 2^24                in [0, 1)
    u_i   = 2·r_i − 1                        in [−1, 1)

and then, in float64, rounded once to float32:

    weight with ≥ 2 dims     u · sqrt(6 / fan_in)      (He-uniform, keeps the scale)
    bias                     u · 0.1
    1-dim weight (BN γ)      0.5 + r
    running_var              0.5 + r
    running_mean             u · 0.1

The input is the recipe's u for the key "input". Each model runs in eval
mode in float64 (the reference for Go's float32) at a reduced size and the
file testdata/zoo/<model>_golden.safetensors holds "input" and "output".
"""
import math
import os
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from counts_a import build  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "golden"))
from gen import write_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "testdata", "zoo")

# model → input height = width
SIZES = {
    "alexnet": 64, "alexnet-lrn": 64,
    "vgg11": 64, "vgg11_bn": 64, "vgg13": 32, "vgg13_bn": 32,
    "vgg16": 32, "vgg16_bn": 32, "vgg19": 32, "vgg19_bn": 32,
    "googlenet": 64, "googlenet-noaux": 64, "squeezenet1_1": 64,
}

M32 = np.uint64(0xFFFFFFFF)


def recipe_r(key, n):
    """r_i in [0, 1) (float64) for i < n."""
    seed = np.uint64(zlib.crc32(key.encode()))
    out = np.empty(n, dtype=np.float64)
    step = 1 << 22
    for lo in range(0, n, step):
        i = np.arange(lo, min(n, lo + step), dtype=np.uint64)
        x = (i * np.uint64(0x9E3779B1) + seed * np.uint64(0x85EBCA77)) & M32
        x ^= x >> np.uint64(15)
        x = (x * np.uint64(0x2C1B3C6D)) & M32
        x ^= x >> np.uint64(12)
        x = (x * np.uint64(0x297A2D39)) & M32
        x ^= x >> np.uint64(15)
        out[lo:lo + len(i)] = (x >> np.uint64(8)).astype(np.float64) / float(1 << 24)
    return out


def recipe(key, shape):
    """The float32 recipe tensor for a state_dict key."""
    n = int(np.prod(shape)) if len(shape) else 1
    r = recipe_r(key, n)
    u = 2.0 * r - 1.0
    last = key.rsplit(".", 1)[-1]
    if key == "input":
        v = u
    elif last == "running_var":
        v = 0.5 + r
    elif last == "running_mean" or last == "bias":
        v = u * 0.1
    elif last == "weight" and len(shape) == 1:
        v = 0.5 + r
    elif last == "weight":
        fan_in = int(np.prod(shape[1:]))
        v = u * math.sqrt(6.0 / fan_in)
    else:
        raise ValueError(key)
    return v.astype(np.float32).reshape(shape)


def main():
    torch.set_num_threads(1)
    names = sys.argv[1:] or list(SIZES)
    for name in names:
        torch.manual_seed(0)
        m = build(name)
        sd = {}
        for k, v in m.state_dict().items():
            if k.endswith("num_batches_tracked"):
                sd[k] = v
            else:
                sd[k] = torch.from_numpy(recipe(k, tuple(v.shape)))
        m.load_state_dict(sd)
        m = m.double().eval()
        s = SIZES[name]
        x = recipe("input", (1, 3, s, s))
        with torch.no_grad():
            y = m(torch.from_numpy(x).double()).float().numpy()
        path = os.path.join(OUT, name + "_golden.safetensors")
        write_safetensors(path, {"input": x, "output": y},
                          {"generator": "tools/zoo/golden_a.py", "model": name, "size": str(s)})
        print(name, s, y.shape, float(np.abs(y).max()))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
