#!/usr/bin/env python3
"""Writes data/example_motifs.meme: the motifs planted in the bundled example genome, as
MEME letter-probability matrices counted from the planted instances themselves.

The example genome (data/example_genome.fa) and its instance list
(tests/data/motif_world/instances.bed: BED6, name = motif, strand = orientation) are this
project's synthetic motif world. Each matrix is the base frequency at each position over
every planted instance of that motif, read on the instance's strand, with a pseudocount of
0.25 per base. Python standard library only.

Usage: python3 scripts/make_example_motifs.py [GENOME] [INSTANCES] [OUT]
"""
import collections
import sys

COMPLEMENT = str.maketrans("ACGTN", "TGCAN")


def read_fasta(path):
    seqs, name, chunks = {}, None, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith(">"):
                if name is not None:
                    seqs[name] = "".join(chunks)
                name, chunks = line[1:].split()[0], []
            elif line:
                chunks.append(line.upper())
    if name is not None:
        seqs[name] = "".join(chunks)
    return seqs


def main():
    genome = sys.argv[1] if len(sys.argv) > 1 else "data/example_genome.fa"
    instances = sys.argv[2] if len(sys.argv) > 2 else "tests/data/motif_world/instances.bed"
    out = sys.argv[3] if len(sys.argv) > 3 else "data/example_motifs.meme"
    seqs = read_fasta(genome)
    sites = collections.OrderedDict()
    with open(instances) as f:
        for line in f:
            chrom, start, end, name, _score, strand = line.split()[:6]
            s = seqs[chrom][int(start):int(end)]
            if strand == "-":
                s = s.translate(COMPLEMENT)[::-1]
            sites.setdefault(name, []).append(s)
    with open(out, "w") as o:
        o.write("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n")
        o.write("Background letter frequencies\nA 0.25 C 0.25 G 0.25 T 0.25\n\n")
        for name, group in sorted(sites.items(), key=lambda kv: kv[0].split("_", 1)[-1]):
            motif = name.split("_", 1)[-1]
            width = len(group[0])
            assert all(len(s) == width for s in group), name
            o.write(f"MOTIF example.{motif} {motif}\n")
            o.write(f"letter-probability matrix: alength= 4 w= {width} nsites= {len(group)} E= 0\n")
            for j in range(width):
                counts = [sum(s[j] == b for s in group) + 0.25 for b in "ACGT"]
                total = sum(counts)
                o.write(" " + "  ".join(f"{c / total:.4f}" for c in counts) + "\n")
            o.write("\n")


if __name__ == "__main__":
    main()
