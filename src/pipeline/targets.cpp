#include "seqlift/targets.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "seqlift/error.hpp"
#include "seqlift/log.hpp"

namespace seqlift {
namespace {

struct OutputInfo {
  std::string name;
  int64_t size = 0, offset = 0;  ///< elements; first flattened index
  Shape shape;                   ///< per sequence
};

std::vector<OutputInfo> output_infos(const Model& model) {
  std::vector<OutputInfo> outs;
  int64_t offset = 0;
  for (int v : model.outputs()) {
    const int64_t n = numel(model.values()[v].shape);
    outs.push_back({model.values()[v].name, n, offset, model.values()[v].shape});
    offset += n;
  }
  return outs;
}

std::string list_outputs(const std::vector<OutputInfo>& outs) {
  std::string s;
  for (const auto& o : outs)
    s += (s.empty() ? "" : ", ") + o.name + " (" + std::to_string(o.size) + " element" +
         (o.size == 1 ? "" : "s") + ", indices " + std::to_string(o.offset) + ".." +
         std::to_string(o.offset + o.size - 1) + ")";
  return s;
}

bool parse_index(const std::string& s, int64_t& v) {
  if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(c); }))
    return false;
  v = std::strtoll(s.c_str(), nullptr, 10);
  return s.size() < 18;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const OutputInfo* find_output(const std::vector<OutputInfo>& outs, const std::string& name) {
  for (const auto& o : outs)
    if (o.name == name) return &o;
  return nullptr;
}

// The output an alias means: exact name, else the one whose name contains `word` with
// the right size, else the only one with the right size.
const OutputInfo& alias_output(const std::vector<OutputInfo>& outs, const std::string& alias,
                               const std::string& word, bool scalar) {
  if (const OutputInfo* o = find_output(outs, alias)) return *o;
  auto fits = [&](const OutputInfo& o) { return scalar ? o.size == 1 : o.size > 1; };
  std::vector<const OutputInfo*> named, sized;
  for (const auto& o : outs) {
    if (!fits(o)) continue;
    sized.push_back(&o);
    if (lower(o.name).find(word) != std::string::npos) named.push_back(&o);
  }
  const auto& pick = !named.empty() ? named : sized;
  if (pick.size() != 1)
    throw UsageError("--target " + alias + ": " +
                     (pick.empty() ? "no" : std::to_string(pick.size())) + " " +
                     (scalar ? "single-element" : "multi-element") + " model outputs" +
                     (named.empty() ? "" : " named '*" + word + "*'") +
                     "; name one instead. Outputs: " + list_outputs(outs));
  if (named.empty())
    log_info("--target " + alias + " is output '" + pick[0]->name + "' (the only " +
             (scalar ? "single" : "multi") + "-element output)");
  return *pick[0];
}

// NAME.i.j: one element by its multi-index within output NAME, as `predict` names its
// columns (C order of the output's own layout). nullptr when `item` is not of that form.
const OutputInfo* dotted_element(const std::vector<OutputInfo>& outs, const std::string& item,
                                 int64_t& element) {
  const OutputInfo* found = nullptr;
  for (const auto& o : outs)
    if (item.size() > o.name.size() + 1 && item.compare(0, o.name.size(), o.name) == 0 &&
        item[o.name.size()] == '.' && (!found || o.name.size() > found->name.size()))
      found = &o;
  if (!found) return nullptr;
  std::vector<int64_t> idx;
  std::stringstream parts(item.substr(found->name.size() + 1));
  std::string part;
  int64_t v = 0;
  while (std::getline(parts, part, '.')) {
    if (!parse_index(part, v)) return nullptr;
    idx.push_back(v);
  }
  if (idx.size() != found->shape.size())
    throw UsageError("--target " + item + ": output '" + found->name + "' has shape " +
                     shape_string(found->shape) + "; give one index per axis (NAME.i.j) or " +
                     "NAME:i for the flattened element i");
  element = 0;
  for (std::size_t a = 0; a < idx.size(); ++a) {
    if (idx[a] >= found->shape[a])
      throw UsageError("--target " + item + ": index " + std::to_string(idx[a]) +
                       " is outside axis " + std::to_string(a) + " of output '" + found->name +
                       "' (shape " + shape_string(found->shape) + ")");
    element = element * found->shape[a] + idx[a];
  }
  return found;
}

}  // namespace

std::vector<TargetSpec> resolve_targets(const std::string& spec, const Model& model) {
  const auto outs = output_infos(model);
  const int64_t total = model.output_size();
  std::vector<TargetSpec> t;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    int64_t idx = 0;
    if (item == "all") {
      for (int64_t i = 0; i < total; ++i) t.push_back({std::to_string(i), i, ""});
    } else if (parse_index(item, idx)) {
      if (idx >= total)
        throw UsageError("--target " + item + " is out of range: the model has " +
                         std::to_string(total) + " output elements (0.." +
                         std::to_string(total - 1) + "). Outputs: " + list_outputs(outs));
      t.push_back({item, idx, ""});
    } else if (item == "profile" &&
               !(find_output(outs, item) && find_output(outs, item)->size == 1)) {
      t.push_back({item, -1, alias_output(outs, item, "profile", false).name});
    } else if (item.rfind("profile:", 0) == 0) {
      const std::string out = item.substr(8);
      const OutputInfo* o = find_output(outs, out);
      if (!o && parse_index(out, idx) && idx < static_cast<int64_t>(outs.size())) o = &outs[idx];
      if (!o)
        throw UsageError("--target " + item + ": the model has no output '" + out +
                         "'. Outputs: " + list_outputs(outs));
      t.push_back({item, -1, o->name});
    } else if (const OutputInfo* o = find_output(outs, item)) {
      if (o->size == 1)
        t.push_back({item, o->offset, ""});
      else
        for (int64_t i = 0; i < o->size; ++i)
          t.push_back({item + ":" + std::to_string(i), o->offset + i, ""});
    } else if (item == "counts") {
      const OutputInfo& c = alias_output(outs, item, "count", true);
      t.push_back({item, c.offset, ""});
    } else if (const OutputInfo* d = dotted_element(outs, item, idx)) {
      t.push_back({item, d->offset + idx, ""});
    } else {
      // NAME:i
      const auto colon = item.rfind(':');
      const OutputInfo* named =
          colon == std::string::npos ? nullptr : find_output(outs, item.substr(0, colon));
      if (!named || !parse_index(item.substr(colon + 1), idx))
        throw UsageError("--target '" + item +
                         "' is not an output index, 'all', an output NAME, NAME:i, NAME.i.j, "
                         "profile, profile:NAME or counts. Outputs: " +
                         list_outputs(outs));
      if (idx >= named->size)
        throw UsageError("--target " + item + ": output '" + named->name + "' has " +
                         std::to_string(named->size) + " elements");
      t.push_back({item, named->offset + idx, ""});
    }
  }
  if (t.empty()) throw UsageError("--target is empty");
  for (std::size_t i = 0; i < t.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (t[i].label == t[j].label) throw UsageError("--target names '" + t[i].label + "' twice");
  return t;
}

std::vector<ExplainOptions> target_groups(const std::vector<TargetSpec>& targets,
                                          const ExplainOptions& base) {
  std::vector<ExplainOptions> groups;
  bool open_index_group = false;
  for (const auto& t : targets) {
    if (t.index < 0) {
      groups.push_back(base);
      groups.back().targets.clear();
      groups.back().profile_output = t.profile_output;
      open_index_group = false;
      continue;
    }
    if (!open_index_group) {
      groups.push_back(base);
      groups.back().targets.clear();
      groups.back().profile_output.clear();
      open_index_group = true;
    }
    groups.back().targets.push_back(t.index);
  }
  return groups;
}

std::string per_target_path(const std::string& path, const std::string& label, std::size_t count) {
  if (count <= 1 || path.empty()) return path;
  std::string safe = label;
  for (char& c : safe)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash) ||
      dot == (slash == std::string::npos ? 0 : slash + 1))
    return path + "." + safe;
  return path.substr(0, dot) + "." + safe + path.substr(dot);
}

int64_t npz_target_position(const std::string& spec, const std::vector<std::string>& names,
                            int64_t count, const std::string& path) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == spec) return static_cast<int64_t>(i);
  int64_t idx = 0;
  if (parse_index(spec, idx) && idx < count) return idx;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw UsageError("--target " + spec + ": " + path + " holds " + std::to_string(count) +
                   " target(s)" + (list.empty() ? "" : " named " + list) + "; give a position 0.." +
                   std::to_string(count - 1) + " or a name");
}

}  // namespace seqlift
