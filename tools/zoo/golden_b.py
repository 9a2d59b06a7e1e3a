#!/usr/bin/python3
"""Forward-pass fixtures for the ResNet / MobileNet v2 / EfficientNet family tests
(models/zoo_b_test.go), computed by torchvision 0.14 (torch 1.13).

Run from the repository root with Debian's Python:

    /usr/bin/python3 tools/zoo/golden_b.py

Writes testdata/zoo/forward_b.safetensors (about 50 kB) with, for each model NAME,
"NAME/y": the eval-mode logits for a batch of two images.

The weights are not stored: full-size models would take tens of megabytes. Instead every
state_dict entry is filled by a formula that the Go test reimplements bit for bit
(zooFill in models/zoo_b_test.go). For the entry named KEY with n elements, element i
(0-based, row-major) gets u_i in [0, 1):

    s = crc32(KEY)                                   (IEEE, as zlib.crc32 / hash/crc32)
    z = s*0x9E3779B97F4A7C15 + (i+1)*0xBF58476D1CE4E5B9   (mod 2^64)
    z ^= z >> 31; z *= 0x94D049BB133111EB; z ^= z >> 29   (mod 2^64)
    u = (z >> 40) / 2^24

and the value, computed in float64 and rounded once to float32, is

    running_var, 1-D weight (BN gamma)  0.5 + u                 [0.5, 1.5)
    running_mean, 1-D bias              (u - 0.5) * 0.5         [-0.25, 0.25)
    weight with >= 2 dimensions         (2u - 1) * sqrt(3 / fan_in), fan_in = numel / dim0

So BatchNorm is far from an identity in eval mode. The weights have variance 1/fan_in (He's
2/fan_in makes the deep EfficientNets chaotic: float32 and float64 then disagree by 60%);
the generator checks that torch's own float32 forward is within 1e-5 of the float64
reference, relative to the output's scale, so that the test's tolerance is meaningful. The input "NAME/x" is filled the same way
under the key "NAME/x" as (2u - 1) * sqrt(3) (unit variance), shape as in MODELS. The reference
runs in float64 (model.double()) from those float32 values; the logits are rounded once to
float32. Re-running gives a byte-identical file.
"""
import math
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
from gen import write_safetensors  # noqa: E402  (the fixture writer of tools/golden)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "testdata", "zoo", "forward_b.safetensors")
M64 = (1 << 64) - 1

torch.set_num_threads(1)


def uniform(key, n):
    """u_0 … u_{n-1} in [0, 1) for KEY, as documented above."""
    s = zlib.crc32(key.encode("ascii"))
    i = np.arange(1, n + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64((s * 0x9E3779B97F4A7C15) & M64) + i * np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(31)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(29)
    return (z >> np.uint64(40)).astype(np.float64) / float(1 << 24)


def fill_value(key, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    u = uniform(key, n)
    if key.endswith("running_var") or (len(shape) == 1 and key.endswith("weight")):
        v = 0.5 + u
    elif key.endswith("running_mean") or (len(shape) == 1 and key.endswith("bias")):
        v = (u - 0.5) * 0.5
    else:
        v = (2 * u - 1) * math.sqrt(3.0 / (n // shape[0]))
    return v.astype(np.float32).reshape(shape)


class CifarBlock(nn.Module):
    """The basic block of ../shared/anchors/export_models.py (option B shortcut)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.shortcut is None else self.shortcut(x)))


class CifarResNet20(nn.Module):
    """The ResNet-20 behind ../shared/conformance/resnet20 (272,474 parameters)."""

    def __init__(self, num_classes=10, n=3):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, cin = [], 16
        for cout, stride in ((16, 1), (32, 2), (64, 2)):
            for i in range(n):
                layers.append(CifarBlock(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layers(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# name in the Go registry -> (builder, input shape)
MODELS = {
    "resnet20_proj": (CifarResNet20, (2, 3, 32, 32)),
    "resnet18": (lambda: tvm.resnet18(weights=None), (2, 3, 64, 64)),
    "resnet50": (lambda: tvm.resnet50(weights=None), (2, 3, 64, 64)),
    "mobilenet_v2": (lambda: tvm.mobilenet_v2(weights=None), (2, 3, 64, 64)),
    "efficientnet_b0": (lambda: tvm.efficientnet_b0(weights=None), (2, 3, 64, 64)),
    "efficientnet_b5": (lambda: tvm.efficientnet_b5(weights=None), (2, 3, 64, 64)),
}


CONFORMANCE_RESNET20 = os.path.join(ROOT, "..", "shared", "conformance", "resnet20", "model.onnx")


def write_keys(name, model):
    """testdata/zoo/NAME.keys: "key d0,d1,..." per state_dict entry, as counts_b.py writes."""
    lines = ["%s %s" % (k, ",".join(str(d) for d in v.shape))
             for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")]
    with open(os.path.join(ROOT, "testdata", "zoo", name + ".keys"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return lines


def check_conformance_resnet20(lines):
    """The ResNet-20 here must have the names and shapes of the conformance model's
    initializers, so that its ONNX weights load into convnet's resnet20_proj."""
    path = os.environ.get("CONFORMANCE_RESNET20", CONFORMANCE_RESNET20)
    if not os.path.exists(path):
        print("note: %s not found; resnet20_proj names not checked against it" % path)
        return
    import onnx
    g = onnx.load(path).graph
    inits = {t.name: ",".join(str(d) for d in t.dims) for t in g.initializer}
    for line in lines:
        k, shape = line.split(" ")
        if inits.get(k) != shape:
            raise SystemExit("conformance resnet20: %s %s, ONNX has %s" % (k, shape, inits.get(k)))
    print("resnet20_proj: all %d state_dict entries match %s" % (len(lines), path))


def main():
    tensors = {}
    for name, (build, shape) in MODELS.items():
        m = build()
        if name == "resnet20_proj":
            check_conformance_resnet20(write_keys(name, m))
        sd = {k: torch.from_numpy(fill_value(k, tuple(v.shape)))
              for k, v in m.state_dict().items() if not k.endswith("num_batches_tracked")}
        m.load_state_dict(sd, strict=False)
        m.eval()
        n = int(np.prod(shape))
        x = ((2 * uniform(name + "/x", n) - 1) * math.sqrt(3)).astype(np.float32).reshape(shape)
        with torch.no_grad():
            y32 = m(torch.from_numpy(x)).double()
            m.double()
            y64 = m(torch.from_numpy(x).double())
        cond = (y32 - y64).abs().max().item() / max(1.0, y64.abs().max().item())
        if cond > 1e-5:
            raise SystemExit("%s: float32 and float64 disagree by %.3g; the fixture is ill-conditioned" % (name, cond))
        y = y64.float().numpy()
        tensors[name + "/y"] = y
        print("%-16s %s -> %s  |y|max %.3g  float32 error %.2g" % (name, shape, y.shape, np.abs(y).max(), cond))
    write_safetensors(OUT, tensors, {"generator": "tools/zoo/golden_b.py",
                                     "torch": torch.__version__,
                                     "torchvision": __import__("torchvision").__version__})


if __name__ == "__main__":
    main()
