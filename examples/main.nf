// seqlift as a Nextflow pipeline: the same workflow as examples/Snakefile (score the
// peaks in shards, merge the shards into one bigWig, call seqlets on all shards together
// and annotate them against a MEME motif database).
// NOT RUNNABLE in this project's CI: Nextflow is not available from Debian's packages
// here. Usage elsewhere:
//   nextflow run examples/main.nf --seqlift $PWD/build/seqlift --shards 3
// (give --seqlift as an absolute path: processes run in their own work directories)
nextflow.enable.dsl = 2

params.seqlift = "build/seqlift"
params.model = "data/example_model.onnx"
params.genome = "data/example_genome.fa"
params.peaks = "data/example_peaks.bed"
params.width = 1000
params.shards = 3
params.n_refs = 20
params.out = "out/nextflow"
params.motifs = "data/example_motifs.meme"

process SCORE_SHARD {
    cpus 1
    input:
    val shard
    path model
    path genome
    path peaks
    output:
    path "shard${shard}.npz"
    script:
    """
    ${params.seqlift} score --model ${model} --genome ${genome} --regions ${peaks} \\
        --width ${params.width} --references dinuc --n-refs ${params.n_refs} --seed 0 \\
        --shard ${shard}/${params.shards} --threads ${task.cpus} --npz shard${shard}.npz
    """
}

process MERGE {
    publishDir params.out, mode: 'copy'
    input:
    path shards
    path genome
    output:
    path "contributions.bw"
    script:
    """
    ${params.seqlift} merge --genome ${genome} --bigwig contributions.bw ${shards}
    """
}

process SEQLETS {
    publishDir params.out, mode: 'copy'
    input:
    path shards
    output:
    path "seqlets.bed"
    script:
    """
    ${params.seqlift} seqlets --npz ${shards} -o seqlets.bed
    """
}

process MOTIFS {
    publishDir params.out, mode: 'copy'
    input:
    path shards
    path seqlets
    path db
    output:
    path "motifs"
    script:
    """
    ${params.seqlift} motifs --npz ${shards} --seqlets ${seqlets} --motifs ${db} -o motifs
    """
}

workflow {
    shards = Channel.of(0..<params.shards)
    scored = SCORE_SHARD(shards, file(params.model), file(params.genome), file(params.peaks)).collect()
    MERGE(scored, file(params.genome))
    MOTIFS(scored, SEQLETS(scored), file(params.motifs))
}
