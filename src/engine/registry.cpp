#include "engine/registry.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "engine/layers/layers.hpp"

namespace seqlift {
namespace {

struct Row {
  const char *kind, *onnx, *keras, *acts, *chain;
  unsigned flags;
};

// clang-format off
#define SEQLIFT_KIND(kind, onnx, onnx_fn, keras, keras_fn, acts, chain, flags) \
  {#kind, onnx, keras, acts, chain, flags},
constexpr Row kRows[] = {
#include "engine/kinds.def"
};
#undef SEQLIFT_KIND
// clang-format on

std::vector<std::string> words(const char* s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

struct Registry {
  std::vector<KindSpec> kinds;
  std::map<std::string, int> by_kind, by_onnx, by_keras, by_activation;
  std::string problem;  ///< first inconsistency found ("" = none)

  Registry() {
    for (const Row& r : kRows) {
      KindSpec k;
      k.index = static_cast<int>(kinds.size());
      k.kind = r.kind;
      k.onnx_ops = words(r.onnx);
      k.keras_classes = words(r.keras);
      k.keras_activations = words(r.acts);
      k.onnx_chain = words(r.chain);
      k.flags = r.flags;
      kinds.push_back(std::move(k));
    }
    for (const KindSpec& k : kinds) {
      add(by_kind, k.kind, k, "kind");
      for (const auto& op : k.onnx_ops) add(by_onnx, op, k, "ONNX op");
      for (const auto& c : k.keras_classes) add(by_keras, c, k, "Keras class");
      for (const auto& a : k.keras_activations) add(by_activation, a, k, "Keras activation");
      if (k.onnx_ops.empty() && k.keras_classes.empty() && k.keras_activations.empty())
        note("kind " + k.kind + " is imported from nothing (no ONNX op, Keras class or name)");
      if (!k.onnx_chain.empty() && !(k.flags & kActivation))
        note("kind " + k.kind + " has an ONNX chain but is not an elementwise activation");
    }
    // Activation rows and activation.cpp's functions must be the same set.
    const auto& fns = activation_kinds();
    for (const KindSpec& k : kinds)
      if ((k.flags & kActivation) && std::find(fns.begin(), fns.end(), k.kind) == fns.end())
        note("kind " + k.kind + " is flagged kActivation but activation.cpp has no function");
    for (const auto& f : fns)
      if (!by_kind.count(f) || !(kinds[by_kind[f]].flags & kActivation))
        note("activation.cpp implements " + f + " but kinds.def has no kActivation row for it");
  }
  void note(const std::string& p) {
    if (problem.empty()) problem = p;
  }
  void add(std::map<std::string, int>& map, const std::string& key, const KindSpec& k,
           const char* what) {
    auto [it, fresh] = map.emplace(key, k.index);
    if (!fresh)
      note(std::string(what) + " '" + key + "' is listed by both " + kinds[it->second].kind +
           " and " + k.kind);
  }
  const KindSpec* find(const std::map<std::string, int>& map, const std::string& key) const {
    auto it = map.find(key);
    return it == map.end() ? nullptr : &kinds[it->second];
  }
  static std::string list(const std::map<std::string, int>& map) {
    std::string s;
    for (const auto& [key, _] : map) s += (s.empty() ? "" : ", ") + key;
    return s;
  }
};

const Registry& registry() {
  static const Registry r;
  if (!r.problem.empty()) throw std::logic_error("layer registry (kinds.def): " + r.problem);
  return r;
}

}  // namespace

const std::vector<KindSpec>& registered_kinds() {
  return registry().kinds;
}
const KindSpec* find_kind(const std::string& kind) {
  return registry().find(registry().by_kind, kind);
}
const KindSpec* find_kind_for_onnx_op(const std::string& op) {
  return registry().find(registry().by_onnx, op);
}
const KindSpec* find_kind_for_keras_class(const std::string& class_name) {
  return registry().find(registry().by_keras, class_name);
}
const KindSpec* find_kind_for_keras_activation(const std::string& name) {
  return registry().find(registry().by_activation, name);
}
std::string supported_onnx_ops() {
  return Registry::list(registry().by_onnx);
}
std::string supported_keras_classes() {
  return Registry::list(registry().by_keras);
}
std::string supported_keras_activations() {
  return Registry::list(registry().by_activation);
}
void check_registry() {
  registry();
}

}  // namespace seqlift
