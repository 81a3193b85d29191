#!/usr/bin/python3
"""W4: a small Enformer-like hybrid (random weights, seeded; our own), for bench/run.sh.

conv tower 2048 bp -> 128 tokens of width 64 (conv k=15 + GELU + MaxPool 2, then 3 x
conv k=5 + GELU + MaxPool 2), 2 pre-norm nn.TransformerEncoderLayer (d 64, 4 heads,
feed-forward 128 with GELU, batch first), attention pooling (softmax over positions of a
linear score, weighted sum of the tokens), dense(2).

  w4_model.py export OUT.onnx
      writes the ONNX file (opset 13, dynamic batch).
  w4_model.py floor FASTA K THREADS
      the PyTorch floor for DeepLIFT on this model: per sequence, one forward of
      [X; R_1..R_K] (1 + K rows; the references are stand-in random one-hot rows, the cost
      does not depend on them) and one autograd backward per target (2), on THREADS
      threads. Prints seconds per region (best of 3 passes over the file).

Needs Debian's python3-torch (and python3-onnx for export).
"""
import sys
import time

import torch
import torch.nn as nn

L, D, HEADS, FF = 2048, 64, 4, 128


class W4(nn.Module):
    def __init__(self):
        super().__init__()
        layers = [nn.Conv1d(4, D, 15, padding=7), nn.GELU(), nn.MaxPool1d(2)]
        for _ in range(3):
            layers += [nn.Conv1d(D, D, 5, padding=2), nn.GELU(), nn.MaxPool1d(2)]
        self.tower = nn.Sequential(*layers)
        self.blocks = nn.ModuleList([
            nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True) for _ in range(2)])
        self.score = nn.Linear(D, 1)
        self.head = nn.Linear(D, 2)

    def forward(self, x):
        h = self.tower(x).transpose(1, 2)  # [N, 128, 64]
        for b in self.blocks:
            h = b(h)
        w = torch.softmax(self.score(h), dim=1)  # [N, 128, 1]
        return self.head((w * h).sum(1))


def model():
    torch.manual_seed(4)
    m = W4()
    m.eval()
    return m


def export(path):
    torch.onnx.export(model(), (torch.zeros(2, 4, L),), path, input_names=["x"],
                      output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
                      opset_version=13)


def one_hot(seq):
    x = torch.zeros(4, len(seq))
    for i, c in enumerate(seq):
        j = "ACGT".find(c)
        if j >= 0:
            x[j, i] = 1
    return x


def floor(fasta, k, threads):
    torch.set_num_threads(threads)
    seqs, cur = [], []
    for line in open(fasta):
        if line.startswith(">"):
            if cur:
                seqs.append("".join(cur))
            cur = []
        else:
            cur.append(line.strip())
    if cur:
        seqs.append("".join(cur))
    m = model()
    for p in m.parameters():
        p.requires_grad_(False)
    g = torch.Generator().manual_seed(1)
    xs = [one_hot(s) for s in seqs]
    refs = [torch.nn.functional.one_hot(torch.randint(0, 4, (k, L), generator=g), 4)
            .transpose(1, 2).float() for _ in seqs]
    best = None
    for _ in range(3):
        start = time.perf_counter()
        for x, r in zip(xs, refs):
            batch = torch.cat([x[None], r]).requires_grad_(True)
            y = m(batch)
            for t in range(y.shape[1]):
                (grad,) = torch.autograd.grad(y[:, t].sum(), batch, retain_graph=t + 1 < y.shape[1])
        s = (time.perf_counter() - start) / len(xs)
        best = s if best is None else min(best, s)
    print(f"{best:.4f}")


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(sys.argv[2])
    else:
        floor(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
