#include "references/shuffle.hpp"

#include <algorithm>
#include <array>

namespace seqlift {

namespace {

// numpy's random_interval: masked rejection sampling on 32-bit draws.
uint64_t random_interval(uint64_t max, std::mt19937& rng) {
  if (max == 0) return 0;
  uint64_t mask = max;
  for (int s = 1; s <= 32; s *= 2) mask |= mask >> s;
  uint64_t value;
  while ((value = (rng() & mask)) > max) {
  }
  return value;
}

// Symbols: the distinct characters of seq in sorted order (numpy.unique).
std::vector<int> tokenize(const std::string& seq, std::string& alphabet) {
  alphabet.assign(seq.begin(), seq.end());
  std::sort(alphabet.begin(), alphabet.end());
  alphabet.erase(std::unique(alphabet.begin(), alphabet.end()), alphabet.end());
  std::array<int, 256> id{};
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    id[static_cast<unsigned char>(alphabet[i])] = int(i);
  std::vector<int> tokens(seq.size());
  for (std::size_t i = 0; i < seq.size(); ++i) tokens[i] = id[static_cast<unsigned char>(seq[i])];
  return tokens;
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

std::vector<int64_t> numpy_permutation(int64_t n, std::mt19937& rng) {
  std::vector<int64_t> p(n > 0 ? n : 0);
  for (int64_t i = 0; i < n; ++i) p[i] = i;
  for (int64_t i = n - 1; i >= 1; --i) std::swap(p[i], p[random_interval(uint64_t(i), rng)]);
  return p;
}

std::vector<std::string> dinuc_shuffle(const std::string& seq, int n, std::mt19937& rng) {
  std::vector<std::string> out;
  if (seq.size() <= 2) return std::vector<std::string>(n, seq);
  std::string alphabet;
  const std::vector<int> tokens = tokenize(seq, alphabet);
  // next[t] = positions following each occurrence of symbol t (except at the end).
  std::vector<std::vector<int64_t>> next(alphabet.size());
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) next[tokens[i]].push_back(int64_t(i) + 1);
  for (int s = 0; s < n; ++s) {
    for (auto& succ : next) {
      if (succ.size() < 2) continue;  // nothing to permute; numpy draws nothing either
      auto perm = numpy_permutation(int64_t(succ.size()) - 1, rng);
      std::vector<int64_t> shuffled(succ.size());
      for (std::size_t i = 0; i + 1 < succ.size(); ++i) shuffled[i] = succ[perm[i]];
      shuffled.back() = succ.back();
      succ.swap(shuffled);
    }
    std::vector<std::size_t> used(alphabet.size(), 0);
    std::string result(seq.size(), ' ');
    int64_t at = 0;
    result[0] = seq[0];
    for (std::size_t j = 1; j < seq.size(); ++j) {
      const int t = tokens[at];
      at = next[t][used[t]++];
      result[j] = seq[at];
    }
    out.push_back(std::move(result));
  }
  return out;
}

std::string dinuc_shuffle_uniform(const std::string& seq, std::mt19937& rng) {
  if (seq.size() <= 2) return seq;
  std::string alphabet;
  const std::vector<int> tokens = tokenize(seq, alphabet);
  const int m = static_cast<int>(alphabet.size());
  std::vector<std::vector<int>> edges(m);  // successor symbols, one entry per occurrence
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) edges[tokens[i]].push_back(tokens[i + 1]);
  // Wilson's algorithm: a random arborescence of last exits rooted at the final symbol,
  // each step weighted by edge multiplicity.
  const int root = tokens.back();
  std::vector<bool> in_tree(m, false);
  std::vector<int> last_exit(m, -1);
  in_tree[root] = true;
  for (int start = 0; start < m; ++start) {
    for (int u = start; !in_tree[u]; u = last_exit[u])
      last_exit[u] =
          edges[u][std::uniform_int_distribution<std::size_t>(0, edges[u].size() - 1)(rng)];
    for (int u = start; !in_tree[u]; u = last_exit[u]) in_tree[u] = true;
  }
  // Remaining exits of each symbol in uniformly random order, then its last exit.
  for (int v = 0; v < m; ++v) {
    auto& e = edges[v];
    if (v != root) e.erase(std::find(e.begin(), e.end(), last_exit[v]));
    std::shuffle(e.begin(), e.end(), rng);
    if (v != root) e.push_back(last_exit[v]);
  }
  std::vector<std::size_t> used(m, 0);
  std::string result(1, seq[0]);
  int at = tokens[0];
  for (std::size_t j = 1; j < seq.size(); ++j) {
    at = edges[at][used[at]++];
    result += alphabet[at];
  }
  return result;
}

uint32_t reference_seed(uint64_t seed, const std::string& region, int64_t k) {
  uint64_t h = splitmix64(seed);
  for (unsigned char c : region) h = splitmix64(h ^ c);
  h = splitmix64(h ^ static_cast<uint64_t>(k) ^ 0x5eed5eedULL);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace seqlift
