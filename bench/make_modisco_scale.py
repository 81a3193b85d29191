#!/usr/bin/python3
"""Synthetic contributions for the modisco scale run: N examples of L bp, each with K
planted instances (either strand) of five motifs; each instance base is mutated with
probability 0.15, and the intact ones carry hypothetical contribution s ~ U(0.5, 1.5)
(per instance) on the base present (+ Gaussian noise 0.05 everywhere). Writes OUT.ohe.npz and OUT.hyp.npz
(arr_0 [N, 4, L] float32, what `seqlift modisco --ohe/--hyp` and tfmodisco-lite read).

usage: make_modisco_scale.py OUT N L K [seed]"""
import sys
import numpy as np

out, n, length, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
motifs = ["GATAAGGC", "CACGTGAT", "TTGCGCAAT", "CCACCAGGGGGC", "GGAATGTT"]
idx = {c: i for i, c in enumerate("ACGT")}
ohe = np.zeros((n, 4, length), dtype=np.float32)
hyp = (rng.normal(0, 0.05, size=(n, 4, length))).astype(np.float32)
seq = rng.integers(0, 4, size=(n, length))
slot = length // k
boost = np.zeros((n, length), dtype=np.float32)
for i in range(n):
    for j in range(k):
        m = motifs[(i + j) % len(motifs)]
        b = np.array([idx[c] for c in m])
        if rng.random() < 0.5:
            b = 3 - b[::-1]
        at = j * slot + 20 + rng.integers(0, slot - 40 - len(b))
        intact = rng.random(len(b)) >= 0.15
        b = np.where(intact, b, rng.integers(0, 4, size=len(b)))
        seq[i, at:at + len(b)] = b
        boost[i, at:at + len(b)] = rng.uniform(0.5, 1.5) * intact
ohe[np.arange(n)[:, None], seq, np.arange(length)[None, :]] = 1.0
hyp[np.arange(n)[:, None], seq, np.arange(length)[None, :]] += boost
np.savez(out + ".ohe.npz", ohe)
np.savez(out + ".hyp.npz", hyp)
print(f"{out}: {n} x {length} bp, {n * k} planted instances", file=sys.stderr)
