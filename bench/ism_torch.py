#!/usr/bin/env python3
"""PyTorch baseline for bench/ism.sh: the same ONNX model run by torch functional ops
(a small interpreter of the graph's nodes, weights from the ONNX initializers), all 3L
single-base mutants of one sequence in batched forward passes (no cone reuse: what a
torch ISM such as tangermeme's saturation_mutagenesis does).

Usage: ism_torch.py MODEL.onnx SEQ_FASTA THREADS BATCH OUT.npy
Writes the mutant outputs [3L, outputs] (mutants in position then ACGT order, the
observed base skipped) and prints "torch_seconds S" (forward passes only).
"""
import sys
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxTorch:
    def __init__(self, path):
        m = onnx.load(path)
        self.g = m.graph
        self.consts = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy())
                       for i in self.g.initializer}
        for n in self.g.node:
            if n.op_type == "Constant":
                self.consts[n.output[0]] = torch.from_numpy(
                    numpy_helper.to_array(attrs(n)["value"]).copy())
        self.input = self.g.input[0].name
        self.outputs = [o.name for o in self.g.output]

    def __call__(self, x):
        v = dict(self.consts)
        v[self.input] = x
        for n in self.g.node:
            a, op, i = attrs(n), n.op_type, n.input
            if op == "Constant":
                continue
            if op == "Conv":
                pads = a.get("pads", [0, 0])
                inp = v[i[0]]
                if pads[0] != pads[1]:
                    inp = F.pad(inp, (pads[0], pads[1]))
                    pad = 0
                else:
                    pad = pads[0]
                y = F.conv1d(inp, v[i[1]], v[i[2]] if len(i) > 2 else None,
                             stride=a.get("strides", [1])[0], padding=pad,
                             dilation=a.get("dilations", [1])[0], groups=a.get("group", 1))
            elif op == "Relu":
                y = F.relu(v[i[0]])
            elif op == "Add":
                y = v[i[0]] + v[i[1]]
            elif op == "Gather":
                y = torch.index_select(v[i[0]], a.get("axis", 0),
                                       v[i[1]].reshape(-1).long())
                if v[i[1]].dim() == 0:
                    y = y.squeeze(a.get("axis", 0))
            elif op == "Slice":
                y = v[i[0]]
                starts, ends = v[i[1]].tolist(), v[i[2]].tolist()
                axes = v[i[3]].tolist() if len(i) > 3 else list(range(len(starts)))
                steps = v[i[4]].tolist() if len(i) > 4 else [1] * len(starts)
                for s, e, ax, st in zip(starts, ends, axes, steps):
                    ax = ax % y.dim()
                    dim = y.shape[ax]
                    s = max(0, s + dim if s < 0 else min(s, dim))
                    e = max(0, e + dim if e < 0 else min(e, dim))
                    y = y.narrow(ax, s, max(0, e - s))[(slice(None),) * ax + (slice(None, None, st),)]
            elif op == "ReduceMean":
                y = v[i[0]].mean(dim=a["axes"], keepdim=bool(a.get("keepdims", 1)))
            elif op == "Gemm":
                w = v[i[1]].t() if a.get("transB", 0) else v[i[1]]
                y = v[i[0]] @ w * a.get("alpha", 1.0) + a.get("beta", 1.0) * v[i[2]]
            elif op == "Concat":
                y = torch.cat([v[k] for k in i], dim=a["axis"])
            elif op == "Flatten":
                y = v[i[0]].flatten(a.get("axis", 1))
            else:
                raise SystemExit(f"ism_torch.py: ONNX op {op} not supported by this bench")
            v[n.output[0]] = y
        return torch.cat([v[o].reshape(x.shape[0], -1) for o in self.outputs], dim=1)


def main():
    path, fasta, threads, batch, out = sys.argv[1:6]
    torch.set_num_threads(int(threads))
    seq = "".join(l.strip() for l in open(fasta) if not l.startswith(">")).upper()
    L = len(seq)
    x = np.zeros((4, L), np.float32)
    for j, b in enumerate(seq):
        if b in "ACGT":
            x[("ACGT").index(b), j] = 1
    muts = [(j, c) for j in range(L) for c in range(4) if seq[j] != "ACGT"[c]]
    model = OnnxTorch(path)
    xt = torch.from_numpy(x)
    batch = int(batch)
    outs = []
    with torch.inference_mode():
        start = time.perf_counter()
        for b0 in range(0, len(muts), batch):
            part = muts[b0:b0 + batch]
            xb = xt.unsqueeze(0).repeat(len(part), 1, 1)
            pos = torch.tensor([p for p, _ in part])
            base = torch.tensor([c for _, c in part])
            rows = torch.arange(len(part))
            xb[rows, :, pos] = 0
            xb[rows, base, pos] = 1
            outs.append(model(xb))
        secs = time.perf_counter() - start
    np.save(out, torch.cat(outs).numpy())
    print(f"torch_seconds {secs:.3f} mutants {len(muts)}")


if __name__ == "__main__":
    main()
