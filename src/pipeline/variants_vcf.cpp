// VCF/BCF reading (multi-allelic records split per ALT) and the annotated, indexed
// VCF output of `seqlift variants`, through HTSlib.
#include "pipeline/variants_vcf.hpp"

#include <htslib/hts.h>
#include <htslib/vcf.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstring>

#include "seqlift/error.hpp"
#include "seqlift/log.hpp"
#include "util/cleanup.hpp"

namespace seqlift {

namespace {
htsFile* F(void* p) {
  return static_cast<htsFile*>(p);
}
bcf_hdr_t* H(void* p) {
  return static_cast<bcf_hdr_t*>(p);
}
bool plain_dna(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::strchr("ACGTNacgtn", c)) return false;
  return true;
}
std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

VcfReader::VcfReader(const std::string& path) : path_(path) {
  htsFile* fp = hts_open(path.c_str(), "r");
  if (!fp) throw IoError(path + ": cannot open VCF/BCF");
  fp_ = fp;
  const htsFormat* fmt = hts_get_format(fp);
  if (fmt->category != variant_data) {
    hts_close(fp);
    fp_ = nullptr;
    throw InputError(path + ": not a VCF or BCF file");
  }
  hdr_ = bcf_hdr_read(fp);
  if (!hdr_) {
    hts_close(fp);
    fp_ = nullptr;
    throw ParseError(path, 1, "cannot read the VCF header");
  }
}

VcfReader::~VcfReader() {
  if (hdr_) bcf_hdr_destroy(H(hdr_));
  if (fp_) hts_close(F(fp_));
}

bool VcfReader::next(VcfRecord& record) {
  std::shared_ptr<bcf1_t> rec(bcf_init(), bcf_destroy);
  const int r = bcf_read(F(fp_), H(hdr_), rec.get());
  if (r == -1) return false;
  ++records_;
  if (r < -1 || rec->errcode)
    throw ParseError(path_, records_,
                     "malformed VCF record (data record " + std::to_string(records_) + ")");
  if (bcf_unpack(rec.get(), BCF_UN_STR) < 0)
    throw ParseError(path_, records_, "cannot unpack record " + std::to_string(records_));
  record.alleles.clear();
  record.unusable.clear();
  record.raw = rec;
  const char* chrom = bcf_seqname(H(hdr_), rec.get());
  if (!chrom) throw ParseError(path_, records_, "record without a chromosome");
  std::string id = rec->d.id ? rec->d.id : ".";
  const std::string ref = rec->n_allele > 0 ? upper(rec->d.allele[0]) : "";
  for (int a = 1; a < rec->n_allele; ++a) {
    Variant v;
    v.chrom = chrom;
    v.pos = rec->pos;
    v.ref = ref;
    v.alt = upper(rec->d.allele[a]);
    v.allele = a;
    v.record = records_;
    v.id = id != "." ? id : v.chrom + ":" + std::to_string(v.pos + 1) + ":" + v.ref + ":" + v.alt;
    record.unusable.push_back(plain_dna(v.ref) && plain_dna(v.alt) ? "" : "symbolic");
    record.alleles.push_back(std::move(v));
  }
  return true;
}

int64_t count_vcf_alleles(const std::string& path) {
  VcfReader in(path);
  VcfRecord rec;
  int64_t n = 0;
  while (in.next(rec)) n += static_cast<int64_t>(rec.alleles.size());
  return n;
}

VcfAnnotator::VcfAnnotator(const std::string& path, const VcfReader& input,
                           std::vector<InfoField> fields)
    : path_(path), fields_(std::move(fields)) {
  in_hdr_ = input.header();
  bcf_hdr_t* hdr = bcf_hdr_dup(H(in_hdr_));
  if (!hdr) throw IoError(path + ": cannot copy the VCF header");
  hdr_ = hdr;
  auto add = [&](const std::string& line) {
    if (bcf_hdr_append(hdr, line.c_str()) < 0)
      throw IoError(path + ": cannot add header line " + line);
  };
  for (const auto& f : fields_)
    add("##INFO=<ID=" + f.key + ",Number=A,Type=Float,Description=\"" + f.description + "\">");
  add("##INFO=<ID=seqlift_status,Number=A,Type=String,Description=\"seqlift variants: ok, "
      "ref_mismatch, symbolic or unknown_chrom, per ALT allele\">");
  if (bcf_hdr_sync(hdr) < 0) throw IoError(path + ": cannot build the output VCF header");
  staged_ = stage_output(path);
  tmp_ = staged_.tmp;
  htsFile* fp = hts_open(tmp_.c_str(), "wz");
  if (!fp) {
    discard_output(staged_);
    throw IoError(path + ": cannot open for writing");
  }
  fp_ = fp;
  if (bcf_hdr_write(fp, hdr) < 0) throw IoError(path + ": cannot write the VCF header");
}

VcfAnnotator::~VcfAnnotator() {
  if (fp_) hts_close(F(fp_));
  if (!committed_ && !tmp_.empty()) discard_output(staged_);
  if (hdr_) bcf_hdr_destroy(H(hdr_));
}

void VcfAnnotator::write(const VcfRecord& record, const std::vector<std::vector<float>>& values,
                         const std::string& status) {
  bcf1_t* rec = static_cast<bcf1_t*>(record.raw.get());
  if (bcf_translate(H(hdr_), H(in_hdr_), rec) < 0)
    throw IoError(path_ + ": cannot translate a VCF record");
  const int n = static_cast<int>(record.alleles.size());
  std::vector<float> buf(n);
  for (std::size_t f = 0; f < fields_.size(); ++f) {
    for (int a = 0; a < n; ++a) {
      buf[a] = values[f][a];
      if (std::isnan(buf[a])) bcf_float_set_missing(buf[a]);
    }
    if (n > 0 && bcf_update_info_float(H(hdr_), rec, fields_[f].key.c_str(), buf.data(), n) < 0)
      throw IoError(path_ + ": cannot set INFO/" + fields_[f].key);
  }
  if (n > 0 && bcf_update_info_string(H(hdr_), rec, "seqlift_status", status.c_str()) < 0)
    throw IoError(path_ + ": cannot set INFO/seqlift_status");
  if (bcf_write(F(fp_), H(hdr_), rec) < 0) throw IoError(path_ + ": write failed");
}

void VcfAnnotator::commit() {
  const int closed = hts_close(F(fp_));
  fp_ = nullptr;
  if (closed != 0) throw IoError(path_ + ": write failed");
  // Tabix index (min_shift 0 = .tbi), built from the temporary and committed with it.
  // Unsorted input cannot be indexed: the VCF is kept.
  if (!staged_.write_through) {
    StagedOutput tbi = stage_output(path_ + ".tbi");
    if (bcf_index_build3(tmp_.c_str(), tbi.tmp.c_str(), 0, 1) != 0) {
      discard_output(tbi);
      log_warn(path_ + ": cannot build the .tbi index (is the input VCF sorted by position?)");
    } else {
      finish_output(tbi);
    }
  }
  committed_ = true;
  finish_output(staged_);
}

}  // namespace seqlift
