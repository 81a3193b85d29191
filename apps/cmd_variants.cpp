// seqlift variants: effects of VCF alleles on the model's heads (and contributions).
#include "common.hpp"
#include "seqlift/log.hpp"
#include "seqlift/variants.hpp"

namespace seqlift::app {

Subcommand variants_command() {
  return {
      "variants", "Score VCF alleles: per-head log fold change / profile JSD, contributions",
      [](CLI::App& cmd) -> std::function<void()> {
        struct Options {
          VariantOptions v;
          std::string rule = "rescale";
        };
        auto opt = std::make_shared<Options>();
        auto& v = opt->v;
        v.threads = 0;
        add_model_options(cmd, v.model, v.weights);
        cmd.add_option("--genome", v.genome, "Genome FASTA (faidx index built if missing)")
            ->required()
            ->group(kInputGroup);
        cmd.add_option("--vcf", v.vcf, "Variants: VCF (plain or bgzipped) or BCF")->required()
            ->group(kInputGroup);
        cmd.add_option("-o,--output", v.output,
                       "TSV, one row per variant allele ('-' = stdout, '' = none)")
            ->capture_default_str()
            ->group(kOutputGroup);
        cmd.add_option("--vcf-out", v.vcf_out,
                       "The VCF with INFO fields logfc_<head>/jsd_<head> added (bgzipped, .tbi)")
            ->group(kOutputGroup);
        cmd.add_option("--npz", v.npz,
                       "DeepLIFT projected contributions of both alleles: ref, alt, diff "
                       "[M, 4, L] (variant at index L/2), ref_ohe, alt_ohe, ids")
            ->group(kOutputGroup);
        cmd.add_flag("--contrib", v.contributions,
                     "Add contrib_ref/contrib_alt (the allele bases' own DeepLIFT contribution)")
            ->group(kOutputGroup);
        cmd.add_flag("--revcomp-average", v.revcomp_average,
                     "Average predictions with the reverse complement's (profiles reversed)")
            ->group(kModelGroup);
        cmd.add_option("--counts-heads", v.counts_heads,
                       "Outputs to treat as counts heads (logfc), by name")
            ->delimiter(',')
            ->group(kModelGroup);
        cmd.add_option("--profile-heads", v.profile_heads,
                       "Outputs to treat as profile heads (jsd), by name")
            ->delimiter(',')
            ->group(kModelGroup);
        cmd.add_option("--target", v.target,
                       "DeepLIFT target: output index or profile:OUTPUT (default: the first "
                       "scalar head, else the first profile head)")
            ->group(kModelGroup);
        cmd.add_option("--rule", opt->rule, "rescale | reveal-cancel | genomics | gradient")
            ->capture_default_str()
            ->group(kModelGroup);
        cmd.add_option("--references", v.references.kind,
                       "dinuc | dinuc-uniform | gc | gc-genome | flat:A,C,G,T (made from the "
                       "REF window, shared by both alleles)")
            ->capture_default_str()
            ->group(kReferenceGroup);
        cmd.add_option("--n-refs", v.references.count, "References per variant")
            ->capture_default_str()
            ->check(CLI::PositiveNumber)
            ->group(kReferenceGroup);
        cmd.add_option("--seed", v.references.seed, "Seed for generated references")
            ->capture_default_str()
            ->group(kReferenceGroup);
        cmd.add_option("--chunk", v.chunk, "VCF records per forward batch")
            ->capture_default_str()
            ->check(CLI::PositiveNumber)
            ->group(kPerformanceGroup);
        add_threads_option(cmd, v.threads);
        return [opt] {
          opt->v.rule = parse_rule(opt->rule);
          opt->v.threads = resolve_threads(opt->v.threads);
          const VariantSummary s = run_variants(opt->v);
          char buf[256];
          std::snprintf(buf, sizeof buf,
                        "variants: %lld records, %lld alleles, %lld scored, %lld REF "
                        "mismatches, %lld not scorable",
                        (long long)s.records, (long long)s.alleles, (long long)s.scored,
                        (long long)s.ref_mismatch, (long long)s.skipped);
          std::string what = buf;
          if (!opt->v.npz.empty() || opt->v.contributions) {
            std::snprintf(buf, sizeof buf, "; worst summation-to-delta error %.3g",
                          s.worst_delta_error);
            what += buf;
          }
          log_summary(what);
        };
      }};
}

}  // namespace seqlift::app
