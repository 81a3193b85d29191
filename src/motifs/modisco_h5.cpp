// tfmodisco-lite's modisco.h5 layout (modiscolite/io.py save_hdf5 / save_pattern).
#include "io/hdf5_file.hpp"
#include "motifs/modisco_internal.hpp"

namespace seqlift {
namespace {

std::vector<double> flat(const std::vector<std::array<double, 4>>& m) {
  std::vector<double> v;
  for (const auto& r : m) v.insert(v.end(), r.begin(), r.end());
  return v;
}

void save_pattern(Hdf5Writer& h5, const std::string& at, const ModiscoPattern& p,
                  const ModiscoTracks& t) {
  h5.group(at);
  const int64_t w = static_cast<int64_t>(p.sequence.size());
  h5.write(at + "/sequence", {w, 4}, flat(p.sequence).data());
  h5.write(at + "/contrib_scores", {w, 4}, flat(p.contrib).data());
  h5.write(at + "/hypothetical_contribs", {w, 4}, flat(p.hypothetical).data());
  const std::string s = at + "/seqlets";
  h5.group(s);
  const int64_t n = static_cast<int64_t>(p.seqlets.size());
  const int64_t count[1] = {n};
  h5.write(s + "/n_seqlets", {1}, count);
  std::vector<int64_t> start, end, example;
  std::vector<uint8_t> rc;
  std::vector<float> seq(n * w * 4), contrib(n * w * 4), hyp(n * w * 4);
  for (int64_t i = 0; i < n; ++i) {
    const auto& q = p.seqlets[i];
    start.push_back(q.start), end.push_back(q.end), example.push_back(q.example);
    rc.push_back(q.revcomp ? 1 : 0);
    modisco::extract(t, q, seq.data() + i * w * 4, contrib.data() + i * w * 4,
                     hyp.data() + i * w * 4);
  }
  h5.write(s + "/start", {n}, start.data());
  h5.write(s + "/end", {n}, end.data());
  h5.write(s + "/example_idx", {n}, example.data());
  h5.write_bool(s + "/is_revcomp", {n}, rc.data());
  h5.write(s + "/sequence", {n, w, 4}, seq.data());
  h5.write(s + "/contrib_scores", {n, w, 4}, contrib.data());
  h5.write(s + "/hypothetical_contribs", {n, w, 4}, hyp.data());
  for (std::size_t k = 0; k < p.subpatterns.size(); ++k)
    save_pattern(h5, at + "/subpattern_" + std::to_string(k), p.subpatterns[k], t);
}

}  // namespace

void write_modisco_h5(const std::string& path, const ModiscoResult& r, const ModiscoTracks& full) {
  ModiscoTracks cropped;
  if (r.window < full.length) cropped = crop_tracks(full, r.window);
  const ModiscoTracks& t = r.window < full.length ? cropped : full;
  Hdf5Writer h5(path);
  h5.attribute("/", "window_size", r.window);
  const std::pair<const char*, const std::vector<ModiscoPattern>*> groups[] = {
      {"/pos_patterns", &r.positive}, {"/neg_patterns", &r.negative}};
  for (const auto& [name, patterns] : groups) {
    if (patterns->empty()) continue;
    h5.group(name);
    for (std::size_t i = 0; i < patterns->size(); ++i)
      save_pattern(h5, std::string(name) + "/pattern_" + std::to_string(i), (*patterns)[i], t);
  }
  h5.commit();
}

}  // namespace seqlift
