#!/usr/bin/python3
"""The PyTorch side of bench/run.sh: tangermeme's deep_lift_shap on the same architecture,
sequences, number of dinucleotide shuffles and targets as a seqlift workload, timed on the
same threads. Speed does not depend on the weights, so the modules keep PyTorch's default
initialisation; the architectures come from the shared fixtures' models.py (Basset, BPNet),
the very modules the benchmark's ONNX files were exported from.

Usage: tangermeme_peer.py {basset|bpnet} FASTA TARGETS N_SHUFFLES THREADS [MAX_REGIONS]
  TARGETS: comma-separated output indices (one deep_lift_shap call per target, as a user
  of tangermeme runs them). Prints seconds per region (all targets) on stdout.
Needs tangermeme importable (PYTHONPATH=DIR holding the tangermeme package: fetch
github.com/jmschrei/tangermeme and `git archive` it outside the repository), Debian's
python3-torch, -numpy, -numba, -tqdm and -pandas, and the shared fixtures folder
($SEQLIFT_SHARED, else ../shared beside the checkout).
"""
import os
import sys
import time

import numpy as np
import torch


def read_fasta(path, limit):
    seqs, cur = [], None
    for line in open(path):
        line = line.strip()
        if line.startswith(">"):
            if cur is not None:
                seqs.append("".join(cur))
            cur = []
        elif cur is not None:
            cur.append(line)
    if cur is not None:
        seqs.append("".join(cur))
    return seqs[:limit]


def one_hot(seqs):
    idx = {"A": 0, "C": 1, "G": 2, "T": 3}
    x = np.zeros((len(seqs), 4, len(seqs[0])), dtype=np.float32)
    for i, s in enumerate(seqs):
        for j, c in enumerate(s.upper()):
            if c in idx:
                x[i, idx[c], j] = 1
    return torch.from_numpy(x)


def main():
    kind, fasta, targets, k, threads = sys.argv[1:6]
    limit = int(sys.argv[6]) if len(sys.argv) > 6 else 1 << 30
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.environ.get("SEQLIFT_SHARED", os.path.join(here, "..", "..", "shared"))
    sys.path.insert(0, os.path.join(shared, "fixtures", "peer"))
    import models  # noqa: E402
    from tangermeme.deep_lift_shap import deep_lift_shap  # noqa: E402

    torch.set_num_threads(int(threads))
    torch.manual_seed(0)
    x = one_hot(read_fasta(fasta, limit))
    model = (models.Basset(L=x.shape[2]) if kind == "basset" else models.BPNet(L=x.shape[2]))
    model.eval()
    start = time.perf_counter()
    for t in [int(v) for v in targets.split(",")]:
        deep_lift_shap(model, x, target=t, n_shuffles=int(k), hypothetical=True,
                       random_state=0, warning_threshold=1e9)
    print("%.5f" % ((time.perf_counter() - start) / x.shape[0]))


if __name__ == "__main__":
    main()
