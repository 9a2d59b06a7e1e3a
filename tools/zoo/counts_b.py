#!/usr/bin/python3
"""Parameter counts and state-dict key lists of torchvision 0.14's ResNets, MobileNet v2 and
EfficientNets, the reference for models/zoo_b_test.go.

Run from the repository root with Debian's Python (torch 1.13, torchvision 0.14):

    /usr/bin/python3 tools/zoo/counts_b.py

Prints a Go table of exact parameter counts (1000 classes, 3 input channels) to paste into
the test, and writes testdata/zoo/NAME.keys for resnet18, resnet50, mobilenet_v2 and
efficientnet_b0: one line per state_dict entry (num_batches_tracked left out, as convnet
keeps no such counter), "name d0,d1,...", in state_dict order.
"""
import os

import torch
import torchvision.models as tvm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, "testdata", "zoo")

COUNTED = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "wide_resnet50_2",
           "mobilenet_v2"] + ["efficientnet_b%d" % i for i in range(8)]
KEYED = ["resnet18", "resnet50", "mobilenet_v2", "efficientnet_b0"]


def main():
    torch.manual_seed(0)
    os.makedirs(OUT_DIR, exist_ok=True)
    print("// torchvision %s, 1000 classes" % __import__("torchvision").__version__)
    for name in COUNTED:
        m = getattr(tvm, name)(weights=None)
        n = sum(p.numel() for p in m.parameters())
        print('\t{"%s", %d},' % (name, n))
        if name in KEYED:
            lines = ["%s %s" % (k, ",".join(str(d) for d in v.shape))
                     for k, v in m.state_dict().items() if not k.endswith("num_batches_tracked")]
            with open(os.path.join(OUT_DIR, name + ".keys"), "w") as f:
                f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
