// Custom layers found in published Keras genomics models:
//  - keras_genomics RevCompConv1D: a Conv1D over [W, reverse-complement(W)] filters;
//  - Lambda layers that only index their input (crops, reversals), recognised from the
//    marshalled Python bytecode Keras stores (or declared as text, e.g. "x[:, 2:-2]").
// Both become existing engine kinds (Conv, index map), with their DeepLIFT rules.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>

#include "engine/index_maps.hpp"
#include "engine/keras_importer.hpp"

namespace seqlift {

// keras_genomics RevCompConv1D (every released version): the kernel used is
// concat([W, W[::-1, ::-1, ::-1]], -1), the bias concat([b, b[::-1]]), and call() does
// `outputs += K.bias_add(outputs, bias)`, so the layer computes act(2 conv(x) + bias).
int import_revcomp_conv1d(KerasImporter& imp, const Json& cfg, const std::vector<int>& in) {
  if (in.size() != 1) imp.fail("expects one input");
  const int x = in[0];
  const Shape s = imp.shape_of(x);
  if (s.size() != 2) imp.fail("expects a (length, channels) input, got " + shape_string(s));
  if (imp.string_param(cfg, "data_format", "channels_last") != "channels_last")
    imp.fail("only channels_last is supported");
  ConvParams p;
  p.in_channels = s[0];
  p.length_in = s[1];
  const int64_t filters = imp.int_param(cfg, "filters", -1);
  p.out_channels = 2 * filters;
  p.kernel = imp.int_param(cfg, "kernel_size", -1);
  p.stride = imp.int_param(cfg, "strides", 1);
  p.dilation = imp.int_param(cfg, "dilation_rate", 1);
  if (filters <= 0 || p.kernel <= 0 || p.stride <= 0 || p.dilation <= 0)
    imp.fail("bad filters/kernel_size/strides/dilation_rate");
  const int64_t span = (p.kernel - 1) * p.dilation + 1;
  const std::string padding = imp.string_param(cfg, "padding", "valid");
  if (padding == "same") {
    const int64_t out = (p.length_in + p.stride - 1) / p.stride;
    const int64_t total = std::max<int64_t>((out - 1) * p.stride + span - p.length_in, 0);
    p.pad_left = total / 2;
    p.pad_right = total - total / 2;
  } else if (padding != "valid") {
    imp.fail("padding '" + padding + "' is not supported (valid, same)");
  }
  if (p.length_out() <= 0) imp.fail("input shorter than the kernel span");
  const int64_t k = p.kernel, cin = p.in_channels;
  const Hdf5Array w = imp.weight("kernel", {k, cin, filters});
  auto W = [&](int64_t t, int64_t i, int64_t f) { return w.values[(t * cin + i) * filters + f]; };
  p.weight.resize(p.out_channels * cin * k);
  for (int64_t o = 0; o < p.out_channels; ++o)
    for (int64_t i = 0; i < cin; ++i)
      for (int64_t t = 0; t < k; ++t)
        p.weight[(o * cin + i) * k + t] =
            2.0f * (o < filters ? W(t, i, o) : W(k - 1 - t, cin - 1 - i, 2 * filters - 1 - o));
  if (imp.bool_param(cfg, "use_bias", true)) {
    const auto b = imp.weight("bias", {filters}).values;
    p.bias.resize(p.out_channels);
    for (int64_t o = 0; o < p.out_channels; ++o)
      p.bias[o] = o < filters ? b[o] : b[2 * filters - 1 - o];
  }
  const int y = imp.emit(make_conv(p), {x});
  return imp.activation(imp.string_param(cfg, "activation", "linear"), y, "/activation");
}

namespace {

// ---------------------------------------------------------------------------
// Lambda bytecode: CPython marshal (3.6-3.7 code objects; 3.8+ adds one field) and a
// symbolic evaluation of the few opcodes an indexing lambda uses.

struct PyVal {
  enum Kind {
    kNone,
    kInt,
    kFloat,
    kStr,
    kTuple,
    kSlice,
    kCode,
    kArg,
    kIntFn,
    kIndexed
  } kind = kNone;
  double num = 0;
  std::string str;
  std::vector<PyVal> items;  // tuple items; slice: start, stop, step; indexed: the key
  std::shared_ptr<struct PyCode> code;
};

struct PyCode {
  int64_t argcount = 0;
  std::string bytecode;
  std::vector<PyVal> consts, names, freevars, cellvars;
};

class Marshal {
 public:
  explicit Marshal(const std::string& d) : d_(d) {}
  PyVal read() {
    const uint8_t code = u8();
    const bool flag = code & 0x80;
    const char t = static_cast<char>(code & 0x7f);
    std::size_t slot = SIZE_MAX;
    if (flag) {
      slot = refs_.size();
      refs_.emplace_back();
    }
    PyVal v;
    switch (t) {
      case 'N':
        break;
      case 'T':
        v.kind = PyVal::kInt, v.num = 1;
        break;
      case 'F':
        v.kind = PyVal::kInt, v.num = 0;
        break;
      case 'i':
        v.kind = PyVal::kInt, v.num = i32();
        break;
      case 'g': {
        double x;
        std::memcpy(&x, bytes(8).data(), 8);
        v.kind = PyVal::kFloat, v.num = x;
        break;
      }
      case 's':
        v.kind = PyVal::kStr, v.str = bytes(i32());
        break;
      case 'z':
      case 'Z':
        v.kind = PyVal::kStr, v.str = bytes(u8());
        break;
      case 'a':
      case 'A':
      case 'u':
      case 't':
        v.kind = PyVal::kStr, v.str = bytes(i32());
        break;
      case ')':
      case '(':
      case '[': {
        const int64_t n = t == ')' ? u8() : i32();
        v.kind = PyVal::kTuple;
        for (int64_t i = 0; i < n; ++i) v.items.push_back(read());
        break;
      }
      case 'r': {
        const int64_t r = i32();
        if (r < 0 || r >= static_cast<int64_t>(refs_.size())) throw std::runtime_error("bad ref");
        return refs_[r];
      }
      case 'c': {
        auto c = std::make_shared<PyCode>();
        c->argcount = i32();
        // 3.8+ adds posonlyargcount: five or six ints before the bytecode ('s').
        int ints = 4;
        if ((peek_after(4 * 4) & 0x7f) != 's') ints = 5;
        for (int i = 0; i < ints; ++i) i32();
        c->bytecode = read().str;
        c->consts = read().items;
        c->names = read().items;
        read();  // varnames
        c->freevars = read().items;
        c->cellvars = read().items;
        read(), read();  // filename, name
        i32();           // firstlineno
        read();          // lnotab
        v.kind = PyVal::kCode;
        v.code = c;
        break;
      }
      default:
        throw std::runtime_error(std::string("marshal type '") + t + "'");
    }
    if (flag) refs_[slot] = v;
    return v;
  }

 private:
  uint8_t u8() {
    if (at_ >= d_.size()) throw std::runtime_error("truncated");
    return static_cast<uint8_t>(d_[at_++]);
  }
  int32_t i32() {
    int32_t v;
    std::memcpy(&v, bytes(4).data(), 4);
    return v;
  }
  std::string bytes(int64_t n) {
    if (n < 0 || at_ + n > d_.size()) throw std::runtime_error("truncated");
    std::string s = d_.substr(at_, n);
    at_ += n;
    return s;
  }
  uint8_t peek_after(std::size_t skip) const {
    return at_ + skip < d_.size() ? static_cast<uint8_t>(d_[at_ + skip]) : 0;
  }
  const std::string& d_;
  std::size_t at_ = 0;
  std::vector<PyVal> refs_;
};

PyVal number(double v, bool is_int) {
  PyVal r;
  r.kind = is_int ? PyVal::kInt : PyVal::kFloat;
  r.num = v;
  return r;
}

// Runs the lambda's bytecode with its argument symbolic; returns the index key of the
// one subscript of the argument it returns. Throws std::runtime_error otherwise.
PyVal evaluate_lambda(const PyCode& co, const std::vector<PyVal>& closure) {
  if (co.argcount != 1)
    throw std::runtime_error("the lambda takes " + std::to_string(co.argcount) + " arguments");
  std::vector<PyVal> cells = co.cellvars;
  for (const auto& c : closure) cells.push_back(c);
  std::vector<PyVal> st;
  auto pop = [&] {
    if (st.empty()) throw std::runtime_error("stack underflow");
    PyVal v = st.back();
    st.pop_back();
    return v;
  };
  const std::string& b = co.bytecode;
  for (std::size_t pc = 0; pc + 1 < b.size(); pc += 2) {
    const int op = static_cast<uint8_t>(b[pc]), arg = static_cast<uint8_t>(b[pc + 1]);
    switch (op) {
      case 124:
        st.push_back(PyVal{PyVal::kArg});
        break;   // LOAD_FAST (the argument)
      case 100:  // LOAD_CONST
        if (arg >= static_cast<int>(co.consts.size())) throw std::runtime_error("bad const");
        st.push_back(co.consts[arg]);
        break;
      case 136:  // LOAD_DEREF
        if (arg >= static_cast<int>(cells.size())) throw std::runtime_error("bad closure cell");
        st.push_back(cells[arg]);
        break;
      case 116:  // LOAD_GLOBAL: only int()
        if (arg >= static_cast<int>(co.names.size()) || co.names[arg].str != "int")
          throw std::runtime_error("uses a global other than int()");
        st.push_back(PyVal{PyVal::kIntFn});
        break;
      case 131: {  // CALL_FUNCTION int(x)
        if (arg != 1) throw std::runtime_error("call with " + std::to_string(arg) + " args");
        PyVal a = pop();
        if (pop().kind != PyVal::kIntFn || (a.kind != PyVal::kInt && a.kind != PyVal::kFloat))
          throw std::runtime_error("unsupported call");
        st.push_back(number(std::trunc(a.num), true));
        break;
      }
      case 11: {  // UNARY_NEGATIVE
        PyVal a = pop();
        if (a.kind != PyVal::kInt && a.kind != PyVal::kFloat) throw std::runtime_error("bad -");
        a.num = -a.num;
        st.push_back(a);
        break;
      }
      case 20:
      case 23:
      case 24:
      case 26:
      case 27: {  // * + - // /
        PyVal r = pop(), l = pop();
        if ((l.kind != PyVal::kInt && l.kind != PyVal::kFloat) ||
            (r.kind != PyVal::kInt && r.kind != PyVal::kFloat))
          throw std::runtime_error("arithmetic on non-numbers");
        const bool ints = l.kind == PyVal::kInt && r.kind == PyVal::kInt;
        if ((op == 26 || op == 27) && r.num == 0) throw std::runtime_error("division by zero");
        const double v = op == 20   ? l.num * r.num
                         : op == 23 ? l.num + r.num
                         : op == 24 ? l.num - r.num
                         : op == 26 ? std::floor(l.num / r.num)
                                    : l.num / r.num;
        st.push_back(number(v, ints && op != 27));
        break;
      }
      case 133: {  // BUILD_SLICE
        if (arg != 2 && arg != 3) throw std::runtime_error("bad slice");
        PyVal s;
        s.kind = PyVal::kSlice;
        s.items.resize(3);
        for (int i = arg - 1; i >= 0; --i) s.items[i] = pop();
        st.push_back(s);
        break;
      }
      case 102: {  // BUILD_TUPLE
        PyVal t;
        t.kind = PyVal::kTuple;
        t.items.resize(arg);
        for (int i = arg - 1; i >= 0; --i) t.items[i] = pop();
        st.push_back(t);
        break;
      }
      case 25: {  // BINARY_SUBSCR
        PyVal key = pop();
        if (pop().kind != PyVal::kArg) throw std::runtime_error("subscript of a non-argument");
        PyVal r;
        r.kind = PyVal::kIndexed;
        r.items = {key};
        st.push_back(r);
        break;
      }
      case 83: {  // RETURN_VALUE
        PyVal r = pop();
        if (r.kind != PyVal::kIndexed) throw std::runtime_error("does not return x[...]");
        return r.items[0];
      }
      default:
        throw std::runtime_error("opcode " + std::to_string(op));
    }
  }
  throw std::runtime_error("no return");
}

// Python slice.indices(n): the positions a slice selects, in order.
std::vector<int64_t> slice_positions(const PyVal& s, int64_t n) {
  auto get = [](const PyVal& v, bool& has) -> int64_t {
    has = v.kind != PyVal::kNone;
    if (has && v.kind != PyVal::kInt) throw std::runtime_error("non-integer slice bound");
    return static_cast<int64_t>(v.num);
  };
  bool hs, he, hp;
  int64_t start = get(s.items[0], hs), stop = get(s.items[1], he), step = get(s.items[2], hp);
  if (!hp) step = 1;
  if (step == 0) throw std::runtime_error("slice step 0");
  auto clamp = [&](int64_t v, bool has, int64_t dflt) {
    if (!has) return dflt;
    if (v < 0) v += n;
    if (step > 0) return std::clamp<int64_t>(v, 0, n);
    return std::clamp<int64_t>(v, -1, n - 1);
  };
  start = clamp(start, hs, step > 0 ? 0 : n - 1);
  stop = clamp(stop, he, step > 0 ? n : -1);
  std::vector<int64_t> out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(i);
  return out;
}

// Applies an index key (slices over the Keras axes; the first is the batch and must be
// ':') to engine value x as an index map.
int emit_indexing(KerasImporter& imp, int x, const PyVal& key_in, const std::string& text) {
  std::vector<PyVal> key = key_in.kind == PyVal::kTuple ? key_in.items : std::vector<PyVal>{key_in};
  const Shape s = imp.shape_of(x);
  const Shape keras = s.size() == 2 ? Shape{s[1], s[0]} : s;  // engine [C, L] is Keras (L, C)
  if (key.empty() || key.size() > keras.size() + 1)
    throw std::runtime_error("index " + text + " does not fit a rank-" +
                             std::to_string(keras.size() + 1) + " tensor");
  for (const auto& k : key)
    if (k.kind != PyVal::kSlice) throw std::runtime_error("only slices are supported in " + text);
  for (std::size_t i = 0; i < 3; ++i)  // the batch axis must be ':' (or '::1')
    if (key[0].items[i].kind != PyVal::kNone && !(i == 2 && key[0].items[i].num == 1))
      throw std::runtime_error(text + " indexes the batch axis");
  std::vector<std::vector<int64_t>> pos(keras.size());
  Shape out_keras;
  for (std::size_t a = 0; a < keras.size(); ++a) {
    if (a + 1 < key.size()) {
      pos[a] = slice_positions(key[a + 1], keras[a]);
    } else {
      for (int64_t i = 0; i < keras[a]; ++i) pos[a].push_back(i);
    }
    if (pos[a].empty()) throw std::runtime_error(text + " selects nothing");
    out_keras.push_back(static_cast<int64_t>(pos[a].size()));
  }
  std::vector<IndexSource> map;
  Shape out;
  if (keras.size() == 1) {
    out = out_keras;
    for (int64_t i : pos[0]) map.push_back({0, i});
  } else {  // engine [C', L'] element (c, l) reads Keras (pos0[l], pos1[c]) = engine (pos1[c],
            // pos0[l])
    out = {out_keras[1], out_keras[0]};
    for (int64_t c = 0; c < out[0]; ++c)
      for (int64_t l = 0; l < out[1]; ++l) map.push_back({0, pos[1][c] * s[1] + pos[0][l]});
  }
  return imp.emit(make_index_map("Slice", {s}, out, std::move(map)), {x});
}

// "x[:, 2:-2]" (also "lambda x: x[...]") -> the index key: a tuple of slices.
PyVal parse_index_expression(const std::string& text) {
  std::string s;
  for (char c : text)
    if (c != ' ') s += c;
  if (s.rfind("lambdax:", 0) == 0) s = s.substr(8);
  if (s.size() < 4 || s.compare(0, 2, "x[") != 0 || s.back() != ']')
    throw std::runtime_error("not of the form x[...] with slices");
  s = s.substr(2, s.size() - 3);
  PyVal key;
  key.kind = PyVal::kTuple;
  std::size_t at = 0;
  while (at <= s.size()) {
    const auto comma = s.find(',', at);
    const std::string part =
        s.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
    at = comma == std::string::npos ? s.size() + 1 : comma + 1;
    PyVal sl;
    sl.kind = PyVal::kSlice;
    sl.items.resize(3);
    int field = 0;
    std::string cur;
    auto flush = [&] {
      if (field > 2) throw std::runtime_error("'" + part + "' has too many ':'");
      if (!cur.empty()) {
        std::size_t used = 0;
        const long long v = std::stoll(cur, &used);
        if (used != cur.size()) throw std::runtime_error("'" + cur + "' is not an integer");
        sl.items[field] = number(static_cast<double>(v), true);
      }
      cur.clear();
      ++field;
    };
    for (char c : part) {
      if (c == ':')
        flush();
      else
        cur += c;
    }
    if (field == 0) throw std::runtime_error("'" + part + "' is not a slice (integers drop axes)");
    flush();
    key.items.push_back(sl);
  }
  return key;
}

}  // namespace

// Returns the value of a Lambda that only indexes its input, or -1 when the lambda is
// something else (the caller reports it). Throws ModelError on a malformed encoding.
int import_indexing_lambda(KerasImporter& imp, const Json& cfg, const std::vector<int>& in) {
  for (const auto& [name, expr] : imp.lambdas) {
    if (name != imp.cur_name) continue;
    if (in.size() != 1) imp.fail("a declared Lambda takes one input");
    imp.used_lambdas.insert(name);
    try {
      return emit_indexing(imp, in[0], parse_index_expression(expr), expr);
    } catch (const ModelError&) {
      throw;
    } catch (const std::exception& e) {
      imp.fail("--lambda " + name + "='" + expr + "': " + e.what());
    }
  }
  if (in.size() != 1 || !cfg.is_object() || cfg.value("function_type", "") != "lambda") return -1;
  const Json& f = cfg.contains("function") ? cfg["function"] : Json();
  if (!f.is_array() || f.empty() || !f[0].is_string()) return -1;
  std::vector<PyVal> closure;
  if (f.size() > 2 && f[2].is_array())
    for (const auto& c : f[2]) {
      if (!c.is_number()) return -1;
      closure.push_back(number(c.get<double>(), c.is_number_integer()));
    }
  PyVal key;
  try {
    const std::string raw = base64_decode(f[0].get<std::string>());
    Marshal m(raw);
    const PyVal code = m.read();
    if (code.kind != PyVal::kCode) return -1;
    if (code.code->freevars.size() != closure.size()) return -1;
    key = evaluate_lambda(*code.code, closure);
    return emit_indexing(imp, in[0], key, "the lambda's index");
  } catch (const ModelError&) {
    throw;
  } catch (const std::exception&) {
    return -1;  // not an indexing lambda
  }
}

}  // namespace seqlift
