#!/usr/bin/python3
"""Runs seqlift on every model of ../shared/real_models the way the acceptance check does
(predict, predict --logits, score --references dinuc --n-refs 4 --target T --npz) and
prints, per model, the worst relative prediction error and the worst summation-to-delta
error relative to max(1, |pred|).

Usage: scripts/check_published_models.py BUILD/seqlift [SHARED/real_models] [folder-filter]
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def run(cmd, cwd):
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed")
    return out.stdout


def predict(binary, args, cwd, logits=False):
    text = run([binary, "predict", *args, "--fasta", "x.fa", "--threads", "2"]
               + (["--logits"] if logits else []), cwd)
    rows = [r.split("\t") for r in text.strip().splitlines()[1:]]
    return np.array([[float(v) for v in r[1:]] for r in rows])


def rel_err(got, want):
    if got.shape != want.shape:
        raise RuntimeError(f"shape {got.shape} != expected {want.shape}")
    return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))


def main():
    binary = os.path.abspath(sys.argv[1])
    root = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(__file__), "..", "..", "shared", "real_models")
    filt = sys.argv[3] if len(sys.argv) > 3 else ""
    folders = sorted(os.path.dirname(os.path.relpath(os.path.join(d, "meta.json"), root))
                     for d, _, files in os.walk(root) if "meta.json" in files)
    passed = 0
    for f in folders:
        if filt not in f:
            continue
        d = os.path.join(root, f)
        meta = json.load(open(os.path.join(d, "meta.json")))
        args = list(meta["seqlift"]["predict_args"])
        for e in meta.get("extra_inputs", []):
            if f"{e['name']}=zeros" not in args:
                args += ["--extra-input", f"{e['name']}=zeros"]
        try:
            pred = predict(binary, args, d)
            p_err = rel_err(pred, np.load(os.path.join(d, "expected_pred.npy")))
            text = f"predict max rel {p_err:.1e}"
            ok = p_err <= 1e-4
            if meta.get("expected_logits"):
                lg = predict(binary, args, d, logits=True)
                l_err = rel_err(lg, np.load(os.path.join(d, meta["expected_logits"])))
                text += f", logits {l_err:.1e}"
                ok = ok and l_err <= 1e-4
            with tempfile.TemporaryDirectory() as tmp:
                npz = os.path.join(tmp, "out.npz")
                run([binary, "score", *args, "--fasta", "x.fa", "--references", "dinuc",
                     "--n-refs", "4", "--target", meta["seqlift"]["score_target"], "--npz", npz,
                     "--threads", "2"], d)
                z = np.load(npz)
                delta, p = z["delta"], z["pred"]
                s2d = float(np.max(delta / np.maximum(1.0, np.abs(p))[:, :, None]))
            text += f", worst s2d {s2d:.1e}"
            ok = ok and s2d <= 1e-4
        except Exception as exc:  # noqa: BLE001
            text, ok = f"FAILED: {exc}", False
        passed += ok
        print(f"{'PASS' if ok else 'FAIL'} {f}: {text}", flush=True)
    print(f"real models passing: {passed}/{len(folders)}")


if __name__ == "__main__":
    main()
