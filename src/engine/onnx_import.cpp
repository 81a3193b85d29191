// ONNX import: protobuf -> Model. Shape arithmetic on constants is folded at load time
// for the model's fixed input length (onnx_fold.cpp); composite activations (GELU, SiLU)
// are fused; BatchNormalization after a Conv is folded into it. Every other op maps to
// one layer kind through the registry (onnx_ops*.cpp hold the parsers).
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "engine/index_maps.hpp"
#include "engine/layers/layers.hpp"
#include "engine/onnx_importer.hpp"
#include "engine/registry.hpp"
#include "seqlift/error.hpp"
#include "seqlift/model.hpp"

namespace seqlift {

/// Broadcasts `c` (numpy rules) to `target` dims; throws when it cannot.
std::vector<double> broadcast(const Const& c, const Shape& target, const std::string& where) {
  if (c.dims.size() > target.size())
    throw ModelError(where + ": constant of shape " + shape_string(c.dims) +
                     " does not broadcast to " + shape_string(target));
  const std::size_t off = target.size() - c.dims.size();
  std::vector<int64_t> cst(c.dims.size(), 1);
  for (int64_t a = static_cast<int64_t>(c.dims.size()) - 2; a >= 0; --a)
    cst[a] = cst[a + 1] * c.dims[a + 1];
  for (std::size_t a = 0; a < c.dims.size(); ++a)
    if (c.dims[a] != 1 && c.dims[a] != target[a + off])
      throw ModelError(where + ": constant of shape " + shape_string(c.dims) +
                       " does not broadcast to " + shape_string(target));
  const int64_t n = numel(target);
  std::vector<double> out(n);
  std::vector<int64_t> idx(target.size(), 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t src = 0;
    for (std::size_t a = 0; a < c.dims.size(); ++a)
      src += (c.dims[a] == 1 ? 0 : idx[a + off]) * cst[a];
    out[i] = c.v[src];
    for (int64_t a = static_cast<int64_t>(target.size()) - 1; a >= 0; --a) {
      if (++idx[a] < target[a]) break;
      idx[a] = 0;
    }
  }
  return out;
}

Shape broadcast_dims(const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    const int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    if (da != db && da != 1 && db != 1) throw ModelError("shapes do not broadcast");
    out[i] = std::max(da, db);
  }
  return out;
}

Const read_tensor(const onnx::TensorProto& t, const std::string& where) {
  if (t.data_location() == onnx::TensorProto_DataLocation_EXTERNAL)
    throw ModelError(where + ": tensor '" + t.name() +
                     "' uses external data, which is not supported");
  Const c;
  for (auto d : t.dims()) c.dims.push_back(d);
  const int64_t n = numel(c.dims);
  if (n < 0 || n > (int64_t(1) << 31))
    throw ModelError(where + ": tensor '" + t.name() + "' has a bad shape");
  c.v.resize(n);
  const std::string& raw = t.raw_data();
  auto need = [&](std::size_t width, int have_typed) {
    if (t.has_raw_data() ? raw.size() != width * n : have_typed != n)
      throw ModelError(where + ": tensor '" + t.name() + "' holds " +
                       std::to_string(t.has_raw_data() ? raw.size() / width : have_typed) +
                       " values, shape " + shape_string(c.dims) + " needs " + std::to_string(n));
  };
  switch (t.data_type()) {
    case onnx::TensorProto_DataType_FLOAT:
      need(4, t.float_data_size());
      for (int64_t i = 0; i < n; ++i) {
        float f;
        if (t.has_raw_data())
          std::memcpy(&f, raw.data() + 4 * i, 4);
        else
          f = t.float_data(i);
        c.v[i] = f;
      }
      break;
    case onnx::TensorProto_DataType_DOUBLE:
      need(8, t.double_data_size());
      for (int64_t i = 0; i < n; ++i) {
        double f;
        if (t.has_raw_data())
          std::memcpy(&f, raw.data() + 8 * i, 8);
        else
          f = t.double_data(i);
        c.v[i] = f;
      }
      break;
    case onnx::TensorProto_DataType_INT64:
      c.is_int = true;
      need(8, t.int64_data_size());
      for (int64_t i = 0; i < n; ++i) {
        int64_t f;
        if (t.has_raw_data())
          std::memcpy(&f, raw.data() + 8 * i, 8);
        else
          f = t.int64_data(i);
        c.v[i] = static_cast<double>(f);
      }
      break;
    case onnx::TensorProto_DataType_INT32:
    case onnx::TensorProto_DataType_BOOL:
      c.is_int = true;
      if (t.has_raw_data()) {
        const std::size_t w = t.data_type() == onnx::TensorProto_DataType_BOOL ? 1 : 4;
        need(w, 0);
        for (int64_t i = 0; i < n; ++i) {
          int32_t f = 0;
          std::memcpy(&f, raw.data() + w * i, w);
          c.v[i] = f;
        }
      } else {
        need(4, t.int32_data_size());
        for (int64_t i = 0; i < n; ++i) c.v[i] = t.int32_data(i);
      }
      break;
    default:
      throw ModelError(where + ": tensor '" + t.name() + "' has unsupported data type " +
                       std::to_string(t.data_type()));
  }
  // Infinities are legitimate (-inf in attention masks); NaN never is.
  for (int64_t i = 0; i < n; ++i)
    if (std::isnan(c.v[i]))
      throw ModelError(where + ": tensor '" + t.name() + "' holds NaN at element " +
                       std::to_string(i));
  return c;
}

const onnx::AttributeProto* find_attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
int64_t attr_int(const onnx::NodeProto& n, const char* name, int64_t dflt) {
  const auto* a = find_attr(n, name);
  return a ? a->i() : dflt;
}
float attr_float(const onnx::NodeProto& n, const char* name, float dflt) {
  const auto* a = find_attr(n, name);
  return a ? a->f() : dflt;
}
std::string attr_string(const onnx::NodeProto& n, const char* name, const std::string& dflt) {
  const auto* a = find_attr(n, name);
  return a ? a->s() : dflt;
}
std::vector<int64_t> attr_ints(const onnx::NodeProto& n, const char* name) {
  const auto* a = find_attr(n, name);
  std::vector<int64_t> out;
  if (a)
    for (auto v : a->ints()) out.push_back(v);
  return out;
}

void OnnxImporter::load() {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path + ": cannot open for reading: " + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string bytes = buf.str();
  if (bytes.empty()) throw ModelError(path + ": empty file, not an ONNX model");
  if (!proto.ParseFromString(bytes) || !proto.has_graph() || proto.graph().node_size() == 0)
    throw ModelError(path + ": not a valid ONNX model (truncated or corrupt protobuf)");
  for (const auto& o : proto.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
}

// GELU exported as Div(x, sqrt2) -> Erf -> Add(1) -> Mul(x, .) -> Mul(0.5) (or with the
// 0.5 applied to x first) and the registry's chains (SiLU as Sigmoid(x) -> Mul(x, .))
// become one node each.
void OnnxImporter::fuse_patterns(std::vector<onnx::NodeProto>& ns) {
  std::map<std::string, std::vector<std::size_t>> users;
  std::map<std::string, std::size_t> producer;
  for (std::size_t i = 0; i < ns.size(); ++i) {
    for (const auto& in : ns[i].input()) users[in].push_back(i);
    for (const auto& out : ns[i].output()) producer[out] = i;
  }
  for (const auto& o : proto.graph().output()) users[o.name()].push_back(SIZE_MAX);
  auto only_user = [&](const std::string& v) -> long {
    auto it = users.find(v);
    return it != users.end() && it->second.size() == 1 && it->second[0] != SIZE_MAX
               ? long(it->second[0])
               : -1;
  };
  auto const_scalar = [&](const std::string& v, double& out) {
    auto it = consts.find(v);
    if (it == consts.end() || it->second.v.size() != 1) return false;
    out = it->second.v[0];
    return true;
  };
  auto other_input = [](const onnx::NodeProto& n, const std::string& v) -> std::string {
    if (n.input_size() != 2) return "";
    return n.input(0) == v ? n.input(1) : n.input(1) == v ? n.input(0) : "";
  };
  std::vector<bool> drop(ns.size(), false);
  auto replace = [&](std::vector<std::size_t> parts, const std::string& x, const std::string& op,
                     const std::string& desc) {
    const std::size_t last = parts.back();
    onnx::NodeProto fused;
    fused.set_op_type(op);
    fused.set_name(ns[last].name().empty() ? ns[last].output(0) : ns[last].name());
    fused.add_input(x);
    fused.add_output(ns[last].output(0));
    fused.set_doc_string(desc);
    for (auto p : parts) drop[p] = true;
    drop[last] = false;
    ns[last] = fused;
  };
  // x * opN(...op1(x)) -> the kind whose kinds.def chain is op1..opN (SiLU: Sigmoid;
  // Mish: Softplus, Tanh); each intermediate read only by the next step.
  auto fuse_chain = [&](std::size_t i) {
    for (const KindSpec& k : registered_kinds()) {
      const auto& chain = k.onnx_chain;
      if (chain.empty() || ns[i].op_type() != chain[0]) continue;
      std::vector<std::size_t> parts{i};
      std::string desc = chain[0];
      for (std::size_t c = 1; c < chain.size() && !parts.empty(); ++c) {
        const long next = only_user(ns[parts.back()].output(0));
        if (next < 0 || ns[next].op_type() != chain[c] || ns[next].input_size() != 1)
          parts.clear();
        else
          parts.push_back(std::size_t(next)), desc += "+" + chain[c];
      }
      if (parts.empty()) continue;
      const long m = only_user(ns[parts.back()].output(0));
      if (m < 0 || ns[m].op_type() != "Mul" ||
          other_input(ns[m], ns[parts.back()].output(0)) != ns[i].input(0))
        continue;
      parts.push_back(std::size_t(m));
      replace(parts, ns[i].input(0), k.kind, desc + "+Mul");
      return;
    }
  };
  for (std::size_t i = 0; i < ns.size(); ++i) {
    if (drop[i]) continue;
    const auto& n = ns[i];
    if (n.input_size() == 0) continue;  // Constant nodes; malformed ones fail later
    if (n.op_type() == "Erf") {
      auto pit = producer.find(n.input(0));
      if (pit == producer.end()) continue;
      const auto& pre = ns[pit->second];
      double c;
      if (pre.input_size() != 2 || !const_scalar(pre.input(1), c)) continue;
      const bool scaled = (pre.op_type() == "Div" && std::fabs(c - std::sqrt(2.0)) < 1e-3) ||
                          (pre.op_type() == "Mul" && std::fabs(c - std::sqrt(0.5)) < 1e-3);
      if (!scaled || only_user(pre.output(0)) != long(i)) continue;
      const std::string x = pre.input(0);
      long add = only_user(n.output(0));
      if (add < 0 || ns[add].op_type() != "Add") continue;
      double one;
      if (!const_scalar(other_input(ns[add], n.output(0)), one) || std::fabs(one - 1.0) > 1e-6)
        continue;
      long m1 = only_user(ns[add].output(0));
      if (m1 < 0 || ns[m1].op_type() != "Mul") continue;
      const std::string partner = other_input(ns[m1], ns[add].output(0));
      double half;
      if (partner == x) {  // x * (1 + erf) then * 0.5
        long m2 = only_user(ns[m1].output(0));
        if (m2 < 0 || ns[m2].op_type() != "Mul" ||
            !const_scalar(other_input(ns[m2], ns[m1].output(0)), half) ||
            std::fabs(half - 0.5) > 1e-6)
          continue;
        replace({pit->second, i, std::size_t(add), std::size_t(m1), std::size_t(m2)}, x, "Gelu",
                "Div+Erf+Add+Mul+Mul");
      } else {  // (x * 0.5) * (1 + erf)
        auto hp = producer.find(partner);
        if (hp == producer.end() || ns[hp->second].op_type() != "Mul" ||
            !const_scalar(other_input(ns[hp->second], x), half) || std::fabs(half - 0.5) > 1e-6 ||
            only_user(partner) != m1)
          continue;
        replace({pit->second, i, std::size_t(add), hp->second, std::size_t(m1)}, x, "Gelu",
                "Div+Erf+Add+Mul+Mul");
      }
    } else {
      fuse_chain(i);
    }
  }
  std::vector<onnx::NodeProto> kept;
  for (std::size_t i = 0; i < ns.size(); ++i)
    if (!drop[i]) kept.push_back(ns[i]);
  ns.swap(kept);
}

void OnnxImporter::import_graph() {
  const auto& g = proto.graph();
  for (const auto& init : g.initializer()) consts[init.name()] = read_tensor(init, path);
  // The sequence input: the first of rank 3 with 4 channels ([N, 4, L] or channels-last
  // [N, L, 4]); every other input is an extra input of fixed shape fed by the caller.
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& in : g.input())
    if (!consts.count(in.name())) inputs.push_back(&in);
  if (inputs.empty()) throw ModelError(path + ": the model has no input");
  auto dim_of = [](const onnx::ValueInfoProto& in, int i) -> int64_t {
    const auto& d = in.type().tensor_type().shape().dim();
    return i < d.size() && d[i].has_dim_value() ? d[i].dim_value() : -1;
  };
  auto rank_of = [](const onnx::ValueInfoProto& in) {
    return in.type().tensor_type().shape().dim_size();
  };
  const onnx::ValueInfoProto* input = nullptr;
  for (const auto* in : inputs)
    if (!input && rank_of(*in) == 3 && (dim_of(*in, 1) == 4 || dim_of(*in, 2) == 4)) input = in;
  if (!input) input = inputs[0];
  const auto& dims = input->type().tensor_type().shape().dim();
  if (dims.size() != 3)
    throw ModelError(path + ": input '" + input->name() + "' has rank " +
                     std::to_string(dims.size()) + "; expected [N, 4, L] one-hot DNA");
  auto dim = [&](int i) -> int64_t { return dim_of(*input, i); };
  bool channels_last = false;
  int64_t length;
  if (dim(1) == 4) {
    length = dim(2);
  } else if (dim(2) == 4) {
    channels_last = true;
    length = dim(1);
  } else {
    throw ModelError(path + ": input '" + input->name() + "' has shape [N, " +
                     std::to_string(dim(1)) + ", " + std::to_string(dim(2)) +
                     "]: neither axis has 4 channels (A, C, G, T)");
  }
  if (length <= 0) length = model.input_length();
  if (length <= 0)
    throw ModelError(
        path + ": input '" + input->name() +
        "' has a symbolic length; give the sequence length with --length N (or --width N)");
  const int in_id = model.add_value(input->name(), {4, length}, -1);
  model.set_input(in_id, static_cast<int>(length));
  dyn[input->name()] = in_id;
  for (const auto* in : inputs) {
    if (in == input) continue;
    Shape shape;
    for (int i = 1; i < rank_of(*in); ++i) {
      const int64_t d = dim_of(*in, i);
      if (d <= 0)
        throw ModelError(path + ": extra input '" + in->name() + "' has a symbolic or empty axis " +
                         std::to_string(i) + "; seqlift needs fixed shapes for inputs besides " +
                         "the sequence");
      shape.push_back(d);
    }
    if (rank_of(*in) < 1) throw ModelError(path + ": input '" + in->name() + "' has no batch axis");
    check_tensor_size(shape, path + ": input '" + in->name() + "'");
    const int id = model.add_value(in->name(), shape, -1);
    model.add_extra_input(id);
    dyn[in->name()] = id;
  }
  if (channels_last) {
    cur_name = "input_to_channels_last";
    Shape out;
    auto map = transpose_map({4, length}, {1, 0}, out);
    onnx::NodeProto fake;
    fake.set_op_type("Transpose");
    cur = &fake;
    emit(make_index_map("Transpose", {{4, length}}, out, std::move(map)), {in_id},
         input->name() + ":nlc", "Transpose");
    dyn[input->name()] = dyn[input->name() + ":nlc"];
  }

  std::vector<onnx::NodeProto> ns(g.node().begin(), g.node().end());
  for (std::size_t i = 0; i < ns.size(); ++i)  // the fusion pass reads output(0)
    if (ns[i].output_size() == 0 || ns[i].output(0).empty()) {
      cur = &ns[i];
      cur_name = ns[i].name().empty() ? ns[i].op_type() + "_" + std::to_string(i) : ns[i].name();
      fail("node has no output");
    }
  for (const auto& n : ns)  // Constant nodes first: the fusion pass matches their values
    if (n.op_type() == "Constant") {
      cur = &n;
      cur_name = n.name();
      fold_constant(n);
    }
  fuse_patterns(ns);
  for (const auto& n : ns)
    for (const auto& in : n.input()) ++consumers[in];
  for (const auto& o : g.output()) ++consumers[o.name()];
  for (std::size_t i = 0; i < ns.size(); ++i) {
    cur = &ns[i];
    cur_name = ns[i].name().empty() ? ns[i].op_type() + "_" + std::to_string(i) : ns[i].name();
    if (ns[i].output_size() == 0) fail("node has no output");
    if (fold_constant(ns[i])) continue;
    import_node(ns[i]);
  }
  cur = nullptr;
  std::vector<int> outs;
  for (const auto& o : g.output()) {
    auto it = dyn.find(o.name());
    if (it == dyn.end())
      throw ModelError(path + ": output '" + o.name() + "' does not depend on the input");
    if (!layout_of(o.name()).is_default())
      throw ModelError(path + ": output '" + o.name() + "' has its batch axis at axis " +
                       std::to_string(layout_of(o.name()).axis) +
                       "; seqlift needs outputs with the batch axis first");
    outs.push_back(it->second);
  }
  for (auto& node : nodes) model.add_node(std::move(node));
  // Output values carry the graph output names (targets, columns and messages use them).
  for (std::size_t i = 0; i < outs.size(); ++i)
    if (model.values()[outs[i]].producer >= 0 && std::count(outs.begin(), outs.end(), outs[i]) == 1)
      model.values_mutable(outs[i]).name = g.output(static_cast<int>(i)).name();
  model.set_outputs(outs);
  model.prune_unused();
}

void OnnxImporter::import_node(const onnx::NodeProto& n) {
  refuse_data_dependent_mask(*this, n);
  const OnnxParser parser = find_onnx_parser(n.op_type());
  if (!parser)
    throw ModelError(path + ": node '" + cur_name + "' (op " + n.op_type() +
                     ") is not supported; supported ops: " + supported_ops_list());
  // A moved batch axis (sequence-first attention) is accepted only by ops that know
  // how to carry it; the others refuse it by name.
  const int policy = batch_layout_policy(n);
  BatchLayout in_layout;
  bool moved = false;
  for (const auto& in : n.input())
    if (!in.empty() && dyn.count(in) && !layout_of(in).is_default()) {
      if (!moved) in_layout = layout_of(in);
      moved = true;
    }
  if (moved && policy == 0)
    fail("its input has the batch axis moved to axis " + std::to_string(in_layout.axis) +
         (in_layout.kept() ? " and merged with another axis" : "") +
         " (sequence-first layout); this op supports only batch-first tensors there");
  parser(*this, n);
  if (moved && policy == 1)
    for (const auto& out : n.output())
      if (!out.empty() && !layouts.count(out)) layouts[out] = in_layout;
  if (moved && policy == 3) layouts[n.output(0)] = reduced_layout(*this, n, in_layout);
}

std::unique_ptr<ModelBuilder> load_onnx(const std::string& path, int input_length) {
  auto model = std::make_unique<ModelBuilder>();
  model->set_input(-1, input_length);
  OnnxImporter imp(path, *model);
  imp.load();
  try {
    imp.import_graph();
  } catch (const ModelError&) {
    throw;
  } catch (const std::exception& e) {
    throw ModelError(path + ": node '" + imp.cur_name + "': " + e.what());
  }
  model->set_source(path);
  return model;
}

}  // namespace seqlift
