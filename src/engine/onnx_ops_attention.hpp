// Internal: helpers shared by the attention-era ONNX handlers (onnx_ops_attention.cpp,
// onnx_ops_masks.cpp, onnx_ops_einsum.cpp), which track where the batch axis sits in
// every value (OnnxImporter::layouts).
#pragma once
#include <string>
#include <vector>

#include "engine/onnx_importer.hpp"

namespace seqlift {

using Imp = OnnxImporter;
using NodeP = onnx::NodeProto;

/// Records the batch placement of value `out` (a dropped batch axis is stored as 1 x 1).
void set_layout(Imp& imp, const std::string& out, BatchLayout l);
/// Rank of value `i` as ONNX sees it (with its batch axis).
int64_t onnx_rank(Imp& imp, int i);
/// Per-sample values of constant `c` broadcast against dynamic input `di`: the constant
/// may not vary along the batch axis (ModelError otherwise).
std::vector<double> constant_for(Imp& imp, int di, const Const& c);

}  // namespace seqlift
