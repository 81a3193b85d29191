// The registry of layer kinds, generated from kinds.def (one row per kind). The ONNX and
// Keras importers, `inspect`, the explainer's final-activation stripping and every
// "supported ..." message read it. Built once on first use; check_registry() (run then,
// and by the tests) rejects duplicate or inconsistent rows.
#pragma once
#include <string>
#include <vector>

namespace seqlift {

enum KindFlags : unsigned {
  kActivation = 1u << 0,       ///< elementwise f(x) implemented in activation.cpp
  kFinalActivation = 1u << 1,  ///< stripped from an explained output (explain the logits)
  kNoNode = 1u << 2,           ///< imports to an alias of its input (Identity, Dropout)
};

struct KindSpec {
  int index = 0;  ///< row number in kinds.def (indexes the importers' parser tables)
  std::string kind;
  std::vector<std::string> onnx_ops, keras_classes, keras_activations;
  std::vector<std::string> onnx_chain;  ///< x * chain(x) exported for this kind (may be empty)
  unsigned flags = 0;
};

/// Every registered kind, in kinds.def order.
const std::vector<KindSpec>& registered_kinds();
/// nullptr when not registered.
const KindSpec* find_kind(const std::string& kind);
const KindSpec* find_kind_for_onnx_op(const std::string& op);
const KindSpec* find_kind_for_keras_class(const std::string& class_name);
const KindSpec* find_kind_for_keras_activation(const std::string& name);

/// Sorted, comma-separated lists for error messages.
std::string supported_onnx_ops();
std::string supported_keras_classes();
std::string supported_keras_activations();

/// Throws std::logic_error naming the row at fault: a duplicate kind, ONNX op, Keras
/// class or activation name; an activation row activation.cpp does not implement (or
/// an implemented function without a row); a row nothing imports.
void check_registry();

}  // namespace seqlift
