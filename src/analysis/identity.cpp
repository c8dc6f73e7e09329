// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/identity.h"

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

// The string member `name` of a JSON object text, or "".
std::string json_member(const report::Text& text, const char* name) {
  if (!text || text->empty()) return {};
  json::Document doc;
  doc.Parse(text->data(), text->size());
  if (doc.HasParseError() || !doc.IsObject()) return {};
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd() || !it->value.IsString()) return {};
  return std::string(json::str(it->value));
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
  id.path = test.path.value_or("");
  id.platform = platform_of(test);
  return id;
}

std::string platform_of(const report::Test& test) {
  if (test.environment_compatible && !test.environment_compatible->empty())
    return test.environment_compatible->front();
  std::string p = json_member(test.misc, "platform");
  if (!p.empty()) return p;
  return json_member(test.environment_misc, "platform");
}

std::string lab_of(const report::Test& test) {
  std::string lab = json_member(test.misc, "runtime");
  if (!lab.empty()) return lab;
  return json_member(test.misc, "lab");
}

bool is_boot_path(std::string_view path) {
  return path == "boot" || path.substr(0, 5) == "boot.";
}

}  // namespace kci::analysis
