#!/usr/bin/python3
"""Reads modisco.h5 files (seqlift's and tfmodisco-lite's) with h5py under the documented
keys and annotates every pattern the same way, independently of either tool: the CWM is
trimmed to columns with >= 30% of the strongest |contribution|, then compared with every
motif of a MEME file on both strands at every offset (>= 5 overlapping columns) by mean
column Pearson correlation; the best motif is reported.

usage: modisco_compare.py MOTIFS.meme PLANTED(comma list) FILE.h5 [FILE.h5 ...]"""
import sys
import h5py
import numpy as np


def read_meme(path):
    motifs, name, rows = {}, None, None
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] == "MOTIF":
            name = f[2] if len(f) > 2 else f[1]
            rows = motifs.setdefault(name, [])
        elif name and len(f) == 4:
            try:
                rows.append([float(x) for x in f])
            except ValueError:
                pass
    return {k: np.array(v) for k, v in motifs.items() if v}


def col_r(a, b):
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    den = np.sqrt((a * a).sum(1) * (b * b).sum(1))
    return np.where(den > 0, (a * b).sum(1) / np.where(den > 0, den, 1), 0)


def score(q, m):
    best = -1
    for mm in (m, m[::-1, ::-1]):
        for off in range(-(len(mm) - 5), len(q) - 4):
            lo, hi = max(0, off), min(len(q), off + len(mm))
            if hi - lo < min(5, len(q), len(mm)):
                continue
            best = max(best, col_r(q[lo:hi], mm[lo - off:hi - off]).mean())
    return best


db = read_meme(sys.argv[1])
planted = sys.argv[2].split(",")
for path in sys.argv[3:]:
    f = h5py.File(path, "r")
    print(f"{path}: window_size={f.attrs.get('window_size')}")
    found = {}
    for group in ("pos_patterns", "neg_patterns"):
        if group not in f:
            continue
        names = sorted(f[group].keys(), key=lambda x: int(x.split("_")[1]))
        for name in names:
            p = f[group][name]
            s = p["seqlets"]
            n = int(s["n_seqlets"][0])
            assert s["start"].shape == (n,) and s["end"].shape == (n,)
            assert s["example_idx"].shape == (n,) and s["is_revcomp"].dtype == bool
            w = p["sequence"].shape[0]
            assert p["contrib_scores"].shape == (w, 4) and p["hypothetical_contribs"].shape == (w, 4)
            assert s["sequence"].shape == (n, w, 4) and s["contrib_scores"].shape == (n, w, 4)
            cwm = p["contrib_scores"][:] * (1 if group == "pos_patterns" else -1)
            col = np.abs(cwm).sum(1)
            keep = np.where(col >= 0.3 * col.max())[0]
            q = cwm[keep[0]:keep[-1] + 1]
            ranked = sorted(((score(q, m), k) for k, m in db.items()), reverse=True)
            subs = len([k for k in p.keys() if k.startswith("subpattern_")])
            top = ranked[0][1]
            print(f"  {group}/{name}: {n} seqlets, width {w}, {subs} subpatterns, best {top} "
                  f"(r={ranked[0][0]:.2f}), next {ranked[1][1]} (r={ranked[1][0]:.2f})")
            for pl in planted:
                if pl in top and pl not in found:
                    found[pl] = name
    missing = [p for p in planted if p not in found]
    print(f"  planted motifs found as the best match of a distinct pattern: {len(found)}/{len(planted)}"
          + (f" (missing {','.join(missing)})" if missing else ""))
