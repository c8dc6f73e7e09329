// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/identity.h"

#include <initializer_list>

#include "report/json.h"
#include "util/error.h"
#include "util/sha256.h"

namespace kci::analysis {

const char* kind_name(Kind kind) { return kind == Kind::kBuild ? "build" : "test"; }

Kind parse_kind(std::string_view name) {
  if (name == "build") return Kind::kBuild;
  if (name == "test") return Kind::kTest;
  throw UsageError("unknown result kind '" + std::string(name) + "' (build or test)");
}

std::string Identity::key() const {
  // Length-prefixed fields, so that no two field lists give the same text.
  std::string text;
  auto add = [&](const std::string& s) {
    text += std::to_string(s.size());
    text += ':';
    text += s;
  };
  text += kind_name(kind);
  add(origin);
  add(tree_name);
  add(git_repository_url);
  add(git_repository_branch);
  add(architecture);
  add(config_name);
  add(compiler);
  add(path);
  add(platform);
  return sha256_hex(text).substr(0, 32);
}

namespace {

void fill_tree(const report::Checkout& c, const report::Build& b, Identity& id) {
  id.origin = b.origin.value_or(c.origin.value_or(""));
  id.tree_name = c.tree_name.value_or("");
  id.git_repository_url = c.git_repository_url.value_or("");
  id.git_repository_branch = c.git_repository_branch.value_or("");
  id.architecture = b.architecture.value_or("");
  id.config_name = b.config_name.value_or("");
  id.compiler = b.compiler.value_or("");
}

// The first of `names` that is a string member of the JSON object text.
std::string json_member(const report::Text& text, std::initializer_list<const char*> names) {
  if (!text || text->empty() || (*text)[0] != '{') return {};
  json::Document doc;
  doc.Parse(text->data(), text->size());
  if (doc.HasParseError() || !doc.IsObject()) return {};
  for (const char* name : names) {
    auto it = doc.FindMember(name);
    if (it != doc.MemberEnd() && it->value.IsString() && it->value.GetStringLength() > 0)
      return std::string(json::str(it->value));
  }
  return {};
}

}  // namespace

Identity build_identity(const report::Checkout& checkout, const report::Build& build) {
  Identity id;
  id.kind = Kind::kBuild;
  fill_tree(checkout, build, id);
  return id;
}

Identity test_identity(const report::Checkout& checkout, const report::Build& build,
                       const report::Test& test) {
  Identity id;
  id.kind = Kind::kTest;
  fill_tree(checkout, build, id);
  id.origin = test.origin.value_or(id.origin);
  // Legacy reports (KCIDB v1-v3, upgraded) carry no path: their comment
  // names the test.
  id.path = test.path ? *test.path : test.comment ? "comment:" + *test.comment : std::string();
  id.platform = platform_of(test);
  return id;
}

std::string platform_of(const report::Test& test) {
  if (test.environment_compatible && !test.environment_compatible->empty())
    return test.environment_compatible->front();
  // "board": legacy KernelCI reports.
  std::string p = json_member(test.misc, {"platform", "board"});
  if (!p.empty()) return p;
  return json_member(test.environment_misc, {"platform"});
}

std::string lab_of(const report::Test& test) {
  return json_member(test.misc, {"runtime", "lab", "lab_name"});
}

bool is_boot_path(std::string_view path) { return path == "boot" || path.substr(0, 5) == "boot."; }

}  // namespace kci::analysis
