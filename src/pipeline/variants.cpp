// `seqlift variants`: reference and alternative alleles of VCF records scored in one
// forward batch per chunk of records; effects per head; optional DeepLIFT contributions
// of both alleles against references shared by the two (made from the REF window).
#include "seqlift/variants.hpp"

#include <algorithm>
#include <cmath>

#include "pipeline/variants_vcf.hpp"
#include "seqlift/dna.hpp"
#include "seqlift/error.hpp"
#include "seqlift/genome.hpp"
#include "seqlift/log.hpp"
#include "seqlift/npy.hpp"
#include "seqlift/output.hpp"
#include "seqlift/predict.hpp"
#include "seqlift/score.hpp"

namespace seqlift {

namespace {

// One summary value of a head: alt - ref of value `index` (scalar heads) or the JSD of
// the whole head (index -1).
struct Metric {
  int head;
  int64_t index;
  std::string label;  ///< column suffix
};

std::vector<Metric> metrics_of(const std::vector<Head>& heads) {
  std::vector<Metric> m;
  for (std::size_t h = 0; h < heads.size(); ++h) {
    const std::string base = head_label(heads[h].name);
    if (heads[h].profile) {
      m.push_back({int(h), -1, base});
      continue;
    }
    for (int64_t i = 0; i < heads[h].size; ++i)
      m.push_back({int(h), i, heads[h].size == 1 ? base : base + "_" + std::to_string(i)});
  }
  return m;
}

// Predictions of sequence s averaged with its reverse complement's (row s + n): scalar
// heads averaged, profile heads reversed first (the flattened head reversed, so a
// [strands, L] or [L, strands] profile also swaps strands), then averaged.
void revcomp_average(std::vector<float>& y, int64_t n, int64_t out,
                     const std::vector<Head>& heads) {
  for (int64_t s = 0; s < n; ++s) {
    float* f = y.data() + s * out;
    const float* r = y.data() + (s + n) * out;
    for (const Head& h : heads)
      for (int64_t i = 0; i < h.size; ++i) {
        const int64_t j = h.profile ? h.size - 1 - i : i;
        f[h.offset + i] = 0.5f * (f[h.offset + i] + r[h.offset + j]);
      }
  }
}

std::string fmt(double v) {
  if (std::isnan(v)) return "NA";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

}  // namespace

VariantSummary run_variants(const VariantOptions& o) {
  if (o.vcf.empty()) throw UsageError("variants needs --vcf");
  if (o.genome.empty()) throw UsageError("variants needs --genome");
  if (o.output.empty() && o.vcf_out.empty() && o.npz.empty())
    throw UsageError("variants needs an output: -o, --vcf-out or --npz");
  if (o.chunk < 1) throw UsageError("--chunk must be positive");
  auto model = load_model(o.model, 0, o.weights);
  const int64_t L = model->input_length(), out_size = model->output_size(), n_in = 4 * L;
  const std::vector<Head> heads = classify_heads(*model, o.counts_heads, o.profile_heads);
  const std::vector<Metric> metrics = metrics_of(heads);
  Genome genome(o.genome);
  for (const auto& h : heads)
    log_info(std::string("variants: head '") + h.name + "' (" + std::to_string(h.size) +
             " values): " +
             (h.profile  ? "profile (jsd)"
              : h.counts ? "counts (logfc)"
                         : "scalar"));

  // DeepLIFT of both alleles against the same references.
  const bool deeplift = o.contributions || !o.npz.empty();
  std::unique_ptr<Explainer> explainer;
  std::unique_ptr<ReferenceSource> refs;
  int64_t K = 0;
  if (deeplift) {
    ExplainOptions eo;
    eo.rule = o.rule;
    std::string target = o.target;
    if (target.empty()) {
      for (const auto& h : heads)
        if (!h.profile && target.empty()) target = std::to_string(h.offset);
      if (target.empty()) target = "profile:" + heads.front().name;
    }
    if (target.rfind("profile:", 0) == 0) {
      eo.profile_output = target.substr(8);
    } else {
      eo.targets = parse_targets(target, out_size);
      if (eo.targets.size() != 1)
        throw UsageError("variants: --target names one output value (got '" + target + "')");
    }
    explainer = std::make_unique<Explainer>(*model, eo);
    if (parse_reference_kind(o.references.kind) == ReferenceKind::kFasta)
      throw UsageError("variants: --references must be a generated kind, not a FASTA file");
    refs = make_reference_source(references_for_input(o.references, o.genome, L));
    K = refs->count();
    log_info("variants: DeepLIFT target " + target + ", " + rule_string(o.rule) + " rule, " +
             refs->describe() + " (shared by both alleles)");
  }

  // Outputs.
  std::unique_ptr<OutputFile> tsv;
  if (!o.output.empty()) {
    tsv = std::make_unique<OutputFile>(o.output);
    std::string header = "chrom\tpos\tid\tref\talt\tallele\tstatus";
    for (const auto& m : metrics)
      header += heads[m.head].profile
                    ? "\tjsd_" + m.label
                    : "\tref_" + m.label + "\talt_" + m.label + "\tlogfc_" + m.label;
    if (deeplift) header += "\tcontrib_ref\tcontrib_alt";
    std::fprintf(tsv->get(), "%s\n", header.c_str());
  }
  VcfReader vcf(o.vcf);
  std::unique_ptr<VcfAnnotator> annot;
  if (!o.vcf_out.empty()) {
    std::vector<InfoField> fields;
    for (const auto& m : metrics)
      fields.push_back(
          heads[m.head].profile
              ? InfoField{"jsd_" + m.label,
                          "seqlift: Jensen-Shannon distance of "
                          "softmax(" +
                              heads[m.head].name + ") between REF and ALT (natural log)"}
              : InfoField{"logfc_" + m.label, "seqlift: ALT - REF of " + heads[m.head].name +
                                                  (heads[m.head].counts ? " (log counts)" : "")});
    if (deeplift) {
      fields.push_back({"contrib_ref", "seqlift: DeepLIFT contribution of the REF allele bases"});
      fields.push_back({"contrib_alt", "seqlift: DeepLIFT contribution of the ALT allele bases"});
    }
    annot = std::make_unique<VcfAnnotator>(o.vcf_out, vcf, fields);
  }
  std::unique_ptr<NpzWriter> npz;
  int npz_ids = -1, npz_ref = -1, npz_alt = -1, npz_diff = -1, npz_ref_ohe = -1, npz_alt_ohe = -1,
      npz_index = -1;
  if (!o.npz.empty()) {
    int64_t m = 0;
    std::size_t longest = 1;
    {
      VcfReader counter(o.vcf);
      VcfRecord rec;
      while (counter.next(rec))
        for (const auto& v : rec.alleles) {
          ++m;
          longest = std::max(longest, v.id.size());
        }
    }
    npz = std::make_unique<NpzWriter>(o.npz);
    npz_ids = npz->declare("ids", "<U" + std::to_string(longest), {m});
    npz_index = npz->declare("index", "<i8", {m});
    npz_ref = npz->declare("ref", "<f4", {m, 4, L});
    npz_alt = npz->declare("alt", "<f4", {m, 4, L});
    npz_diff = npz->declare("diff", "<f4", {m, 4, L});
    npz_ref_ohe = npz->declare("ref_ohe", "<f4", {m, 4, L});
    npz_alt_ohe = npz->declare("alt_ohe", "<f4", {m, 4, L});
  }

  VariantSummary summary;
  std::vector<VcfRecord> chunk;
  auto flush = [&] {
    // Status per allele, then the sequences to run: per record its REF window (once)
    // and each scorable ALT window.
    std::vector<std::vector<std::string>> status(chunk.size());
    std::vector<std::string> seqs;
    std::vector<int64_t> ref_row(chunk.size(), -1);
    std::vector<std::vector<int64_t>> alt_row(chunk.size());
    for (std::size_t r = 0; r < chunk.size(); ++r) {
      const VcfRecord& rec = chunk[r];
      status[r].assign(rec.alleles.size(), "ok");
      alt_row[r].assign(rec.alleles.size(), -1);
      if (rec.alleles.empty()) continue;
      const Variant& v0 = rec.alleles.front();
      std::string why;
      if (!genome.has(v0.chrom)) {
        why = "unknown_chrom";
        log_warn(vcf.path() + " record " + std::to_string(v0.record) + ": chromosome '" + v0.chrom +
                 "' is not in " + o.genome + "; not scored");
      } else if (rec.unusable.front().empty()) {
        const std::string g =
            genome.fetch(v0.chrom, v0.pos, v0.pos + static_cast<int64_t>(v0.ref.size()));
        bool match = g.size() == v0.ref.size();
        for (std::size_t i = 0; match && i < g.size(); ++i)
          match = v0.ref[i] == 'N' || g[i] == v0.ref[i];
        if (!match) {
          why = "ref_mismatch";
          log_warn(vcf.path() + " record " + std::to_string(v0.record) + " (" + v0.chrom + ":" +
                   std::to_string(v0.pos + 1) + "): REF '" + v0.ref +
                   "' does not match the genome ('" + g + "'); not scored");
        }
      }
      for (std::size_t a = 0; a < rec.alleles.size(); ++a) {
        if (!why.empty())
          status[r][a] = why;
        else if (!rec.unusable[a].empty())
          status[r][a] = rec.unusable[a];
        if (status[r][a] != "ok") continue;
        if (ref_row[r] < 0) {
          ref_row[r] = static_cast<int64_t>(seqs.size());
          seqs.push_back(allele_window(genome, v0, v0.ref, L));
        }
        alt_row[r][a] = static_cast<int64_t>(seqs.size());
        seqs.push_back(allele_window(genome, rec.alleles[a], rec.alleles[a].alt, L));
      }
    }
    const int64_t n = static_cast<int64_t>(seqs.size());
    std::vector<float> x(n * n_in * (o.revcomp_average ? 2 : 1));
    for (int64_t s = 0; s < n; ++s) {
      one_hot(seqs[s], x.data() + s * n_in);
      if (o.revcomp_average)
        reverse_complement_4xl(x.data() + s * n_in, L, x.data() + (n + s) * n_in);
    }
    std::vector<float> y =
        n ? predict_batch(*model, x.data(), n * (o.revcomp_average ? 2 : 1), o.threads)
          : std::vector<float>{};
    if (o.revcomp_average) revcomp_average(y, n, out_size, heads);

    // DeepLIFT of every sequence (projected contributions [4, L]).
    std::vector<std::vector<float>> proj(deeplift ? n : 0);
    if (deeplift && n) {
      std::vector<int64_t> ref_of(n);
      std::vector<std::string> name_of(n);
      for (std::size_t r = 0; r < chunk.size(); ++r)
        for (std::size_t a = 0; a < chunk[r].alleles.size(); ++a) {
          const Variant& v = chunk[r].alleles[a];
          for (int64_t s : {ref_row[r], alt_row[r][a]})
            if (s >= 0) {
              ref_of[s] = ref_row[r];
              name_of[s] = v.chrom + ":" + std::to_string(v.pos + 1);
            }
        }
      std::vector<double> worst(n, 0.0);
      std::string error;
#pragma omp parallel for schedule(dynamic) num_threads(o.threads)
      for (int64_t s = 0; s < n; ++s) {
        try {
          // References depend on the record only (its REF window and chrom:pos), so
          // both alleles are explained against the same ones.
          Region reg;
          reg.name = name_of[s];
          reg.sequence = seqs[ref_of[s]];
          std::vector<float> local(K * n_in);
          refs->make(reg, local.data());
          Explanation e = explainer->explain(x.data() + s * n_in, local.data(), K);
          proj[s] = std::move(e.projected);
          for (double d : e.delta_error) worst[s] = std::max(worst[s], d);
        } catch (const std::exception& e) {
#pragma omp critical
          if (error.empty()) error = e.what();
        }
      }
      if (!error.empty()) throw InputError(error);
      for (double w : worst) summary.worst_delta_error = std::max(summary.worst_delta_error, w);
    }

    // One TSV row (and npz row) per allele, one annotated VCF record per record.
    const int64_t c0 = L / 2;
    auto allele_sum = [&](int64_t s, std::size_t len) {
      double t = 0;
      const int64_t hi = std::min<int64_t>(L, c0 + static_cast<int64_t>(len));
      for (int c = 0; c < 4; ++c)
        for (int64_t j = c0; j < hi; ++j) t += proj[s][c * L + j];
      return t;
    };
    const std::vector<float> nan_row(n_in, NAN);
    for (std::size_t r = 0; r < chunk.size(); ++r) {
      const VcfRecord& rec = chunk[r];
      ++summary.records;
      const std::size_t na = rec.alleles.size();
      std::vector<std::vector<float>> info(metrics.size() + (deeplift ? 2 : 0),
                                           std::vector<float>(na, NAN));
      std::string joined;
      if (!status[r].empty() && status[r][0] == "ref_mismatch") ++summary.ref_mismatch;
      for (std::size_t a = 0; a < na; ++a) {
        const Variant& v = rec.alleles[a];
        const bool ok = status[r][a] == "ok";
        ++summary.alleles;
        if (ok)
          ++summary.scored;
        else if (status[r][a] != "ref_mismatch")
          ++summary.skipped;
        joined += (a ? "," : "") + status[r][a];
        const float* yr = ok ? y.data() + ref_row[r] * out_size : nullptr;
        const float* ya = ok ? y.data() + alt_row[r][a] * out_size : nullptr;
        std::string row = v.chrom + "\t" + std::to_string(v.pos + 1) + "\t" + v.id + "\t" + v.ref +
                          "\t" + v.alt + "\t" + std::to_string(v.allele) + "\t" + status[r][a];
        for (std::size_t k = 0; k < metrics.size(); ++k) {
          const Metric& m = metrics[k];
          const Head& h = heads[m.head];
          if (h.profile) {
            const double jsd =
                ok ? jensen_shannon_distance(yr + h.offset, ya + h.offset, h.size) : NAN;
            info[k][a] = static_cast<float>(jsd);
            row += "\t" + fmt(jsd);
          } else {
            const double rv = ok ? yr[h.offset + m.index] : NAN,
                         av = ok ? ya[h.offset + m.index] : NAN;
            // The difference of the float outputs, as a direct predict of each allele gives them.
            const double d = ok ? double(ya[h.offset + m.index] - yr[h.offset + m.index]) : NAN;
            info[k][a] = static_cast<float>(d);
            row += "\t" + fmt(rv) + "\t" + fmt(av) + "\t" + fmt(d);
          }
        }
        if (deeplift) {
          const double cr = ok ? allele_sum(ref_row[r], v.ref.size()) : NAN,
                       ca = ok ? allele_sum(alt_row[r][a], v.alt.size()) : NAN;
          info[metrics.size()][a] = static_cast<float>(cr);
          info[metrics.size() + 1][a] = static_cast<float>(ca);
          row += "\t" + fmt(cr) + "\t" + fmt(ca);
        }
        if (tsv) std::fprintf(tsv->get(), "%s\n", row.c_str());
        if (npz) {
          npz->append_strings(npz_ids, {v.id});
          const int64_t idx = c0;
          npz->append(npz_index, &idx, sizeof idx);
          const std::size_t bytes = n_in * sizeof(float);
          if (ok) {
            const float* pr = proj[ref_row[r]].data();
            const float* pa = proj[alt_row[r][a]].data();
            std::vector<float> diff(n_in);
            for (int64_t i = 0; i < n_in; ++i) diff[i] = pa[i] - pr[i];
            npz->append(npz_ref, pr, bytes);
            npz->append(npz_alt, pa, bytes);
            npz->append(npz_diff, diff.data(), bytes);
            npz->append(npz_ref_ohe, x.data() + ref_row[r] * n_in, bytes);
            npz->append(npz_alt_ohe, x.data() + alt_row[r][a] * n_in, bytes);
          } else {
            for (int id : {npz_ref, npz_alt, npz_diff, npz_ref_ohe, npz_alt_ohe})
              npz->append(id, nan_row.data(), bytes);
          }
        }
      }
      if (annot) annot->write(rec, info, joined);
    }
    chunk.clear();
  };
  VcfRecord rec;
  while (vcf.next(rec)) {
    chunk.push_back(std::move(rec));
    rec = VcfRecord{};
    if (static_cast<int64_t>(chunk.size()) == o.chunk) flush();
  }
  if (!chunk.empty()) flush();
  if (tsv) tsv->commit();
  if (annot) annot->commit();
  if (npz) npz->commit();
  return summary;
}

}  // namespace seqlift
