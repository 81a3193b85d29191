// From similarities to a weighted graph (density adaptation / t-SNE affinities) and its
// Leiden clustering with igraph.
#include <igraph/igraph.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <tuple>

#include "motifs/modisco_internal.hpp"
#include "seqlift/error.hpp"

namespace seqlift::modisco {
namespace {

double distance_of(float s) {
  return std::max(std::log(2.0 / std::max<double>(s, 1e-7) - 1.0), 0.0);
}

// Precision beta of exp(-beta d) whose normalised kernel has entropy log(perplexity);
// `self` adds a zero-distance term to the normaliser (as TF-MoDISco does).
double perplexity_beta(const std::vector<double>& d, double perplexity, bool self) {
  const double target = std::log(perplexity);
  double beta = 1, lo = -1, hi = -1;
  for (int step = 0; step < 100 && !d.empty(); ++step) {
    double z = self ? 1.0 : 0.0, zd = 0;
    for (double x : d) {
      const double p = std::exp(-x * beta);
      z += p;
      zd += x * p;
    }
    z = std::max(z, 1e-8);
    const double h = std::log(z) + beta * zd / z;
    if (std::fabs(h - target) <= 1e-5) break;
    if (h > target) {  // too flat: sharpen
      lo = beta;
      beta = hi < 0 ? beta * 2 : (beta + hi) / 2;
    } else {
      hi = beta;
      beta = lo < 0 ? beta / 2 : (beta + lo) / 2;
    }
  }
  return beta;
}

// Rows from (i, j, value) triples with duplicates combined by `average`.
Graph rows_from_triples(std::vector<std::tuple<int32_t, int32_t, double>>& e, int64_t n,
                        bool average) {
  std::sort(e.begin(), e.end(), [](const auto& a, const auto& b) {
    return std::get<0>(a) != std::get<0>(b) ? std::get<0>(a) < std::get<0>(b)
                                            : std::get<1>(a) < std::get<1>(b);
  });
  Graph g;
  g.row_ptr.assign(n + 1, 0);
  for (std::size_t a = 0; a < e.size();) {
    std::size_t b = a;
    double sum = 0;
    while (b < e.size() && std::get<0>(e[b]) == std::get<0>(e[a]) &&
           std::get<1>(e[b]) == std::get<1>(e[a]))
      sum += std::get<2>(e[b++]);
    g.col.push_back(std::get<1>(e[a]));
    g.value.push_back(static_cast<float>(average ? sum / double(b - a) : sum));
    ++g.row_ptr[std::get<0>(e[a]) + 1];
    a = b;
  }
  for (int64_t i = 0; i < n; ++i) g.row_ptr[i + 1] += g.row_ptr[i];
  return g;
}

}  // namespace

Graph density_adapted_graph(const SparseRows& sims, double perplexity) {
  const int64_t n = sims.rows();
  std::vector<std::tuple<int32_t, int32_t, double>> e;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t q = sims.row_ptr[i]; q < sims.row_ptr[i + 1]; ++q) {
      const int32_t j = sims.col[q];
      if (j < 0 || j == i) continue;
      const double d = distance_of(sims.value[q]);
      if (d == 0) continue;
      e.emplace_back(static_cast<int32_t>(i), j, d);
      e.emplace_back(j, static_cast<int32_t>(i), d);
    }
  Graph dist = rows_from_triples(e, n, true);
  e.clear();
  e.shrink_to_fit();
  std::vector<double> beta(n), norm(n);
#pragma omp parallel for schedule(dynamic, 256)
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> d(dist.value.begin() + dist.row_ptr[i],
                          dist.value.begin() + dist.row_ptr[i + 1]);
    beta[i] = perplexity_beta(d, perplexity, true);
    double z = 1;
    for (double x : d) z += std::exp(-x / beta[i]);
    norm[i] = z;
  }
  Graph g;
  g.row_ptr.assign(1, 0);
  for (int64_t i = 0; i < n; ++i) {
    g.col.push_back(static_cast<int32_t>(i));
    g.value.push_back(static_cast<float>(1.0 / norm[i]));
    for (int64_t q = dist.row_ptr[i]; q < dist.row_ptr[i + 1]; ++q) {
      const int32_t j = dist.col[q];
      const double d = dist.value[q];
      // tfmodisco-lite uses the perplexity-calibrated precision as a bandwidth, exp(-d / beta):
      // a much flatter kernel than the calibrated one, which keeps clusters whole.
      const double w =
          std::sqrt(std::exp(-d / beta[i]) / norm[i] * std::exp(-d / beta[j]) / norm[j]);
      if (w < 1e-7) continue;  // negligible edges only cost memory in the graph
      g.col.push_back(j);
      g.value.push_back(static_cast<float>(w));
    }
    g.row_ptr.push_back(static_cast<int64_t>(g.col.size()));
  }
  return g;
}

Graph tsne_graph(const SparseRows& sims, double perplexity) {
  const int64_t n = sims.rows();
  const int64_t k = std::min<int64_t>(n - 1, static_cast<int64_t>(3 * perplexity + 1));
  std::vector<std::tuple<int32_t, int32_t, double>> e;
  for (int64_t i = 0; i < n; ++i) {
    std::vector<std::pair<double, int32_t>> row;
    for (int64_t q = sims.row_ptr[i]; q < sims.row_ptr[i + 1]; ++q)
      if (sims.col[q] >= 0 && sims.col[q] != i)
        row.push_back({distance_of(sims.value[q]), sims.col[q]});
    std::sort(row.begin(), row.end());
    if (static_cast<int64_t>(row.size()) > k) row.resize(std::max<int64_t>(k, 0));
    std::vector<double> d;
    for (const auto& r : row) d.push_back(r.first);
    const double beta = perplexity_beta(d, perplexity, false);
    double z = 0;
    for (double x : d) z += std::exp(-x * beta);
    z = std::max(z, 1e-8);
    for (const auto& r : row) {
      const double p = std::exp(-r.first * beta) / z;
      e.emplace_back(static_cast<int32_t>(i), r.second, p);
      e.emplace_back(r.second, static_cast<int32_t>(i), p);
    }
  }
  Graph g = rows_from_triples(e, n, false);
  double total = 0;
  for (float v : g.value) total += v;
  if (total > 0)
    for (float& v : g.value) v = static_cast<float>(v / total);
  return g;
}

std::vector<int> leiden_clusters(const Graph& g, int runs) {
  const int64_t n = g.rows();
  if (n == 0) return {};
  igraph_set_error_handler(igraph_error_handler_ignore);  // errors come back as codes
  igraph_vector_int_t edges;
  igraph_vector_t weights, strength;
  igraph_vector_int_init(&edges, 0);
  igraph_vector_init(&weights, 0);
  igraph_vector_init(&strength, n);
  double m = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t q = g.row_ptr[i]; q < g.row_ptr[i + 1]; ++q) {
      const int64_t j = g.col[q];
      if (j < i) continue;
      // Both stored directions become one edge of twice the weight; a loop counts once.
      const double w = j == i ? g.value[q] : 2.0 * g.value[q];
      if (w <= 0) continue;
      igraph_vector_int_push_back(&edges, i);
      igraph_vector_int_push_back(&edges, j);
      igraph_vector_push_back(&weights, w);
      VECTOR(strength)[i] += w;
      VECTOR(strength)[j] += w;
      m += w;
    }
  igraph_t graph;
  if (igraph_create(&graph, &edges, n, IGRAPH_UNDIRECTED) != IGRAPH_SUCCESS)
    throw Error("igraph_create failed");
  igraph_vector_int_t membership;
  igraph_vector_int_init(&membership, n);
  std::vector<int> best(n, 0);
  double best_quality = -1e300;
  for (int run = 1; run <= std::max(1, runs) && m > 0; ++run) {
    igraph_rng_seed(igraph_rng_default(), static_cast<igraph_uint_t>(run * 100));
    igraph_integer_t clusters = 0;
    igraph_real_t quality = 0;
    if (igraph_community_leiden(&graph, &weights, &strength, 1.0 / (2.0 * m), 0.01, false, -1,
                                &membership, &clusters, &quality) != IGRAPH_SUCCESS)
      throw Error("igraph_community_leiden failed");
    if (quality > best_quality) {
      best_quality = quality;
      for (int64_t i = 0; i < n; ++i) best[i] = static_cast<int>(VECTOR(membership)[i]);
    }
  }
  igraph_vector_int_destroy(&membership);
  igraph_destroy(&graph);
  igraph_vector_int_destroy(&edges);
  igraph_vector_destroy(&weights);
  igraph_vector_destroy(&strength);
  // Renumber by decreasing size (ties: first appearance).
  std::map<int, int64_t> size;
  for (int c : best) ++size[c];
  std::vector<int> ids;
  for (const auto& [c, s] : size) ids.push_back(c);
  std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return size[a] > size[b]; });
  std::map<int, int> renum;
  for (std::size_t r = 0; r < ids.size(); ++r) renum[ids[r]] = static_cast<int>(r);
  for (int& c : best) c = renum[c];
  return best;
}

}  // namespace seqlift::modisco
