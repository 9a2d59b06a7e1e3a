#!/usr/bin/python3
"""Re-read testdata/golden/*.safetensors with an independent reader and check the schema.

    /usr/bin/python3 tools/golden/check.py

Uses numpy only (no torch).  For every file: parses the header, checks the byte layout
(8-byte little-endian length, header padded with spaces to a multiple of 8, F32 only,
data offsets contiguous from 0 and covering the data exactly), then checks each case:
every tensor key is <case>/<role> for a case in __metadata__, every case has tensors and
JSON metadata with "op", op cases have out/gout of equal shape and grad/<arg> shaped like
in/<arg>.  Prints the case count per file and exits non-zero on any problem.
"""
import glob
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOLDEN = os.path.join(ROOT, "testdata", "golden")


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = int.from_bytes(raw[:8], "little")
    assert (8 + n) % 8 == 0, "header not padded to a multiple of 8"
    hbytes = raw[8:8 + n]
    assert hbytes[:1] == b"{", "header does not start with {"
    header = json.loads(hbytes.decode("ascii"))
    meta = header.pop("__metadata__")
    data = raw[8 + n:]
    spans = []
    tensors = {}
    for k, h in header.items():
        assert h["dtype"] == "F32", (k, h["dtype"])
        b, e = h["data_offsets"]
        count = int(np.prod(h["shape"], dtype=np.int64))
        assert e - b == 4 * count, (k, h)
        spans.append((b, e, k))
        tensors[k] = np.frombuffer(data[b:e], dtype="<f4").reshape(h["shape"])
    spans.sort()
    pos = 0
    for b, e, k in spans:
        assert b == pos, f"gap or overlap before {k}"
        pos = e
    assert pos == len(data), "data section length does not match the header"
    order = [k for _, _, k in spans]
    assert order == sorted(order), "data not in sorted-key order"
    return tensors, meta


def check_file(path):
    tensors, meta = read(path)
    cases = {}
    for k, a in tensors.items():
        assert np.all(np.isfinite(a)), f"non-finite values in {k}"
        case, sep, role = k.partition("/")
        assert sep and role, f"key {k} is not <case>/<role>"
        assert case in meta, f"key {k}: case {case} has no metadata"
        cases.setdefault(case, {})[role] = a
    for case, js in meta.items():
        m = json.loads(js)
        assert "op" in m, f"{case}: no op"
        roles = cases.get(case)
        assert roles, f"{case}: no tensors"
        if "inputs" in m and m["op"] not in ("lenet5",):
            for arg in m["inputs"]:
                assert f"in/{arg}" in roles, f"{case}: missing in/{arg}"
            assert "out" in roles and "gout" in roles, f"{case}: missing out/gout"
            assert roles["out"].shape == roles["gout"].shape, f"{case}: gout shape"
            for role, a in roles.items():
                if role.startswith("grad/"):
                    arg = role[5:]
                    assert arg in m["inputs"], f"{case}: grad for unknown input {arg}"
                    assert a.shape == roles["in/" + arg].shape, f"{case}: {role} shape"
            ngrad = sum(r.startswith("grad/") for r in roles)
            assert ngrad >= 1, f"{case}: no gradients"
        if m["op"] == "optimizer":
            for t in range(0, m["steps"] + 1):
                for p in m["params"]:
                    assert f"param_step{t}/{p}" in roles, f"{case}: param_step{t}/{p}"
                    if t:
                        assert f"grad_step{t}/{p}" in roles, f"{case}: grad_step{t}/{p}"
        if m["op"] == "lr_schedule":
            assert roles["lr"].shape == (m["epochs"],)
            assert np.array_equal(roles["lr"], np.asarray(m["lrs"], dtype=np.float32))
        if m["op"] in ("lenet5", "lenet5_sgd"):
            pre = "param" if m["op"] == "lenet5" else f"param_step{m['steps']}"
            for p in m["params"]:
                assert f"{pre}/{p}" in roles, f"{case}: {pre}/{p}"
        for role, a in roles.items():
            if role.endswith("target") and m.get("op") != "mse_loss":
                assert np.array_equal(a, np.round(a)), f"{case}: {role} not integral"
    return meta, cases


def main():
    paths = sorted(glob.glob(os.path.join(GOLDEN, "*.safetensors")))
    if not paths:
        print("no fixtures found under", GOLDEN)
        return 1
    bad = 0
    total_cases = total_tensors = total_bytes = 0
    for path in paths:
        name = os.path.basename(path)
        try:
            meta, cases = check_file(path)
        except AssertionError as e:
            print(f"{name:26s} FAILED: {e}")
            bad += 1
            continue
        nt = sum(len(r) for r in cases.values())
        size = os.path.getsize(path)
        ops = sorted({json.loads(v)["op"] for v in meta.values()})
        print(f"{name:26s} {len(meta):3d} cases {nt:4d} tensors {size:9,d} bytes  "
              f"ops: {', '.join(ops)}")
        total_cases += len(meta)
        total_tensors += nt
        total_bytes += size
    print(f"{'total':26s} {total_cases:3d} cases {total_tensors:4d} tensors "
          f"{total_bytes:9,d} bytes")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
