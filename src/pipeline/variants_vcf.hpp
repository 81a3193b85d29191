// VCF/BCF input and annotated output of `seqlift variants` (HTSlib). Internal.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "seqlift/variants.hpp"
#include "util/cleanup.hpp"

namespace seqlift {

/// One VCF record split into its ALT alleles.
struct VcfRecord {
  std::vector<Variant> alleles;
  /// Per allele: "" when scorable, else why not ("symbolic" for <DEL>, '*', '.', ...).
  std::vector<std::string> unusable;
  std::shared_ptr<void> raw;  ///< the bcf1_t (for the annotated output)
};

/// Reads VCF (plain or bgzipped) or BCF. Not thread-safe.
class VcfReader {
 public:
  explicit VcfReader(const std::string& path);
  ~VcfReader();
  VcfReader(const VcfReader&) = delete;
  VcfReader& operator=(const VcfReader&) = delete;
  /// The next record; false at the end. Throws ParseError naming the record number.
  bool next(VcfRecord& record);
  void* header() const { return hdr_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* fp_ = nullptr;
  void* hdr_ = nullptr;
  int64_t records_ = 0;
};

/// Number of ALT alleles in a VCF (a full pass).
int64_t count_vcf_alleles(const std::string& path);

/// One Number=A Float INFO field added to every record.
struct InfoField {
  std::string key, description;
};

/// Writes the input's records with extra INFO fields to a bgzipped VCF (under a
/// temporary name, renamed on commit()), then builds its .tbi index.
class VcfAnnotator {
 public:
  VcfAnnotator(const std::string& path, const VcfReader& input, std::vector<InfoField> fields);
  ~VcfAnnotator();
  VcfAnnotator(const VcfAnnotator&) = delete;
  VcfAnnotator& operator=(const VcfAnnotator&) = delete;
  /// values[field][allele] (NaN = missing); `status` goes into INFO/seqlift_status.
  void write(const VcfRecord& record, const std::vector<std::vector<float>>& values,
             const std::string& status);
  void commit();

 private:
  std::string path_, tmp_;
  StagedOutput staged_;
  bool committed_ = false;
  void* in_hdr_ = nullptr;
  void* hdr_ = nullptr;
  void* fp_ = nullptr;
  std::vector<InfoField> fields_;
};

}  // namespace seqlift
