#!/usr/bin/env python3
"""Export a PyTorch nn.Module to ONNX for seqlift, and check the export.

seqlift reads ONNX (and Keras HDF5), not PyTorch checkpoints. This script does the
export the way seqlift expects it -- one input, one-hot DNA [N, 4, L] (or [N, L, 4]
with --channels-last), a dynamic batch axis, named outputs -- and then checks it by
running `seqlift predict` on random one-hot sequences and comparing every output with
the module's own predictions.

It needs Debian's python3-torch (apt-get install python3-torch); it is a convenience,
not a dependency of seqlift.

Examples:
  # a class in a Python file, its constructor arguments, and a state_dict checkpoint
  scripts/export_pytorch.py --module mymodels.py:BPNet --kwargs '{"n_filters": 64}' \\
      --state-dict bpnet.pt --length 2114 --output-names profile,counts -o bpnet.onnx
  # a whole pickled module (torch.save(model, 'model.pt'))
  scripts/export_pytorch.py --pickled model.pt --length 1000 -o model.onnx
  # a small BPNet-like module made here (self-test)
  scripts/export_pytorch.py --demo -o demo.onnx --seqlift build/seqlift
"""
import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch


class DemoBPNet(torch.nn.Module):
    """A small BPNet-like network: dilated residual convs, a profile head [N, L_out]
    and a counts head [N, 1] (log total), as chrombpnet/bpnet-lite lay them out."""

    def __init__(self, filters=16, layers=3, length=500, out_length=200):
        super().__init__()
        self.trim = (length - out_length) // 2
        self.iconv = torch.nn.Conv1d(4, filters, 21, padding=10)
        self.rconvs = torch.nn.ModuleList(
            [torch.nn.Conv1d(filters, filters, 3, padding=2**i, dilation=2**i)
             for i in range(1, layers + 1)])
        self.fconv = torch.nn.Conv1d(filters, 1, 75, padding=37)
        self.linear = torch.nn.Linear(filters, 1)
        self.out_length = out_length

    def forward(self, x):
        h = torch.relu(self.iconv(x))
        for conv in self.rconvs:
            h = h + torch.relu(conv(h))
        mid = h[:, :, self.trim:self.trim + self.out_length]
        profile = self.fconv(mid)[:, 0, :]
        counts = self.linear(h.mean(dim=2))
        return profile, counts


def load_module(args):
    if args.demo:
        torch.manual_seed(0)
        return DemoBPNet(length=args.length or 500), ["profile", "counts"], args.length or 500
    if args.pickled:
        model = torch.load(args.pickled, map_location="cpu")
        if not isinstance(model, torch.nn.Module):
            sys.exit(f"{args.pickled}: holds a {type(model).__name__}, not an nn.Module; "
                     "give --module FILE.py:Class with --state-dict")
    else:
        path, _, cls = args.module.rpartition(":")
        if not path or not cls:
            sys.exit("--module must be FILE.py:ClassName")
        spec = importlib.util.spec_from_file_location("user_module", path)
        mod = importlib.util.module_from_spec(spec)
        sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
        spec.loader.exec_module(mod)
        model = getattr(mod, cls)(**json.loads(args.kwargs))
        if args.state_dict:
            state = torch.load(args.state_dict, map_location="cpu")
            if isinstance(state, dict) and "state_dict" in state:
                state = state["state_dict"]
            model.load_state_dict(state)
    if not args.length:
        sys.exit("--length L (the model's input length in bp) is required")
    names = args.output_names.split(",") if args.output_names else None
    return model, names, args.length


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--module", help="FILE.py:ClassName of the nn.Module")
    src.add_argument("--pickled", help="a whole module saved with torch.save(model, path)")
    src.add_argument("--demo", action="store_true", help="export a small BPNet-like module")
    p.add_argument("--kwargs", default="{}", help="constructor arguments as JSON")
    p.add_argument("--state-dict", help="checkpoint with the module's state_dict")
    p.add_argument("--length", type=int, help="input length L in bp")
    p.add_argument("--channels-last", action="store_true",
                   help="the module takes [N, L, 4] instead of [N, 4, L]")
    p.add_argument("--output-names", help="comma list naming the outputs (e.g. profile,counts)")
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("-o", "--output", required=True, help="ONNX file to write")
    p.add_argument("--seqlift", default=shutil.which("seqlift") or "build/seqlift",
                   help="seqlift binary used to check the export [%(default)s]")
    p.add_argument("--check-sequences", type=int, default=8)
    args = p.parse_args()

    model, names, length = load_module(args)
    model.eval()
    shape = (1, length, 4) if args.channels_last else (1, 4, length)
    dummy = torch.zeros(shape)
    with torch.no_grad():
        outs = model(dummy)
    n_out = len(outs) if isinstance(outs, (tuple, list)) else 1
    names = names or [f"output_{i}" for i in range(n_out)]
    if len(names) != n_out:
        sys.exit(f"--output-names gives {len(names)} names; the module returns {n_out} outputs")
    torch.onnx.export(model, dummy, args.output, input_names=["x"], output_names=names,
                      dynamic_axes={"x": {0: "batch"}, **{n: {0: "batch"} for n in names}},
                      opset_version=args.opset, do_constant_folding=True)
    print(f"wrote {args.output}: input x {list(shape)} (batch dynamic), outputs {names}",
          file=sys.stderr)

    # Check: seqlift's predictions of random one-hot sequences equal the module's.
    if not os.path.exists(args.seqlift):
        print(f"not checked: no seqlift binary at {args.seqlift} (give --seqlift)", file=sys.stderr)
        return 0
    rng = np.random.RandomState(0)
    seqs = ["".join(rng.choice(list("ACGT"), length)) for _ in range(args.check_sequences)]
    x = np.zeros((len(seqs), 4, length), dtype=np.float32)
    for i, s in enumerate(seqs):
        x[i, ["ACGT".index(c) for c in s], np.arange(length)] = 1
    xin = torch.from_numpy(x.transpose(0, 2, 1).copy() if args.channels_last else x)
    with torch.no_grad():
        y = model(xin)
    y = y if isinstance(y, (tuple, list)) else (y,)
    expect = np.concatenate([t.reshape(len(seqs), -1).numpy() for t in y], axis=1)
    with tempfile.TemporaryDirectory() as tmp:
        fa = os.path.join(tmp, "x.fa")
        with open(fa, "w") as f:
            for i, s in enumerate(seqs):
                f.write(f">s{i}\n{s}\n")
        run = subprocess.run([args.seqlift, "-q", "predict", "-m", args.output, "--fasta", fa],
                             capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"seqlift cannot run the export:\n{run.stderr}")
    rows = [line.split("\t")[1:] for line in run.stdout.strip().split("\n")[1:]]
    got = np.array(rows, dtype=np.float64)
    if got.shape != expect.shape:
        sys.exit(f"seqlift predicts {got.shape[1]} values per sequence; the module {expect.shape[1]}")
    err = np.max(np.abs(got - expect) / np.maximum(1.0, np.abs(expect)))
    print(f"checked: seqlift predict vs PyTorch on {len(seqs)} random sequences, "
          f"max relative difference {err:.2e}", file=sys.stderr)
    if err > 1e-4:
        sys.exit("export check FAILED (difference above 1e-4)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
