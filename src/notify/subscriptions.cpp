// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/subscriptions.h"

#include <fnmatch.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <set>

#include "util/error.h"
#include "util/file.h"

namespace kci::notify {
namespace {

constexpr std::size_t kMaxFileBytes = 4 << 20;

class Loader {
 public:
  explicit Loader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const YAML::Node& n, const std::string& what) const {
    std::string where = file_;
    if (n.IsDefined() && n.Mark().line >= 0) where += ":" + std::to_string(n.Mark().line + 1);
    throw InvalidInputError(where + ": " + what);
  }
  void keys(const YAML::Node& map, std::initializer_list<const char*> known) const {
    if (!map.IsMap()) fail(map, "expected a mapping");
    // yaml-cpp keeps both of two equal keys and a lookup finds one of them:
    // a subscription written with two "to:" would mail only one list.
    std::set<std::string> seen;
    for (const auto& kv : map) {
      std::string k = kv.first.as<std::string>("");
      if (!seen.insert(k).second) fail(kv.first, "duplicate key \"" + k + "\"");
      bool ok = false;
      for (const char* x : known) ok = ok || k == x;
      if (!ok) fail(kv.first, "unknown key \"" + k + "\"");
    }
  }
  std::string str(const YAML::Node& map, const char* key) const {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return "";
    if (!n.IsScalar()) fail(n, std::string(key) + ": expected a string");
    return n.Scalar();
  }
  bool boolean(const YAML::Node& map, const char* key, bool fallback) const {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return fallback;
    try {
      return n.as<bool>();
    } catch (const YAML::Exception&) {
      fail(n, std::string(key) + ": expected true or false");
    }
  }
  std::vector<std::string> strings(const YAML::Node& map, const char* key) const {
    YAML::Node n = map[key];
    std::vector<std::string> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (n.IsScalar()) return {n.Scalar()};
    if (!n.IsSequence()) fail(n, std::string(key) + ": expected a list of strings");
    for (const auto& x : n) {
      if (!x.IsScalar()) fail(x, std::string(key) + ": expected a string");
      out.push_back(x.Scalar());
    }
    return out;
  }
  std::vector<Address> addresses(const YAML::Node& map, const char* key) const {
    std::vector<Address> out;
    YAML::Node n = map[key];
    for (const auto& text : strings(map, key)) {
      try {
        out.push_back(parse_address(text));
      } catch (const InvalidInputError& e) {
        // Point at the item when there is a list.
        if (n.IsSequence()) {
          for (std::size_t i = 0; i < n.size(); ++i) {
            if (n[i].IsScalar() && n[i].Scalar() == text) {
              fail(n[i], std::string(key) + ": " + e.what());
            }
          }
        }
        fail(n, std::string(key) + ": " + e.what());
      }
    }
    return out;
  }

  std::vector<Subscription> dashboard(const YAML::Node& root) const {
    keys(root, {"tree", "default_recipients", "reports"});
    std::string tree = str(root, "tree");
    if (tree.empty()) tree = std::filesystem::path(file_).stem().string();
    std::vector<Address> defaults = addresses(root, "default_recipients");
    std::vector<Subscription> out;
    YAML::Node reports = root["reports"];
    if (reports.IsDefined() && !reports.IsNull() && !reports.IsSequence()) {
      fail(reports, "reports: expected a list");
    }
    for (const auto& r : reports) {
      keys(r, {"branch", "origin", "always", "path", "recipients", "options"});
      Subscription s;
      s.file = file_;
      s.line = r.Mark().line + 1;
      s.name = std::filesystem::path(file_).filename().string() + ":" + std::to_string(s.line);
      s.tree = tree;
      s.branch = str(r, "branch");
      s.origin = str(r, "origin");
      s.test_path = str(r, "path");
      s.regressions_only = !boolean(r, "always", false);
      // The dashboard's summary mail covers builds, boots and tests.
      s.kinds = {ReportKind::kTest, ReportKind::kBuild, ReportKind::kNewIssue};
      s.to = defaults;
      for (auto& a : addresses(r, "recipients")) s.to.push_back(std::move(a));
      if (s.to.empty()) fail(r, "no recipients (neither default_recipients nor recipients)");
      out.push_back(std::move(s));
    }
    return out;
  }

  std::vector<Subscription> rules(const YAML::Node& root) const {
    keys(root, {"subscriptions"});
    YAML::Node list = root["subscriptions"];
    if (!list.IsSequence()) fail(list, "subscriptions: expected a list");
    std::vector<Subscription> out;
    for (const auto& r : list) {
      keys(r, {"name", "tree", "branch", "origin", "architecture", "platform", "test_path", "kinds",
               "regressions_only", "to", "cc"});
      Subscription s;
      s.file = file_;
      s.line = r.Mark().line + 1;
      s.name = str(r, "name");
      if (s.name.empty()) {
        s.name = std::filesystem::path(file_).filename().string() + ":" + std::to_string(s.line);
      }
      s.tree = str(r, "tree");
      s.branch = str(r, "branch");
      s.origin = str(r, "origin");
      s.test_path = str(r, "test_path");
      s.architectures = strings(r, "architecture");
      s.platforms = strings(r, "platform");
      for (const auto& k : strings(r, "kinds")) {
        try {
          s.kinds.insert(parse_report_kind(k));
        } catch (const InvalidInputError& e) {
          fail(r["kinds"], std::string("kinds: ") + e.what());
        }
      }
      s.regressions_only = boolean(r, "regressions_only", true);
      s.to = addresses(r, "to");
      s.cc = addresses(r, "cc");
      if (s.to.empty()) fail(r, "to: at least one recipient is needed");
      for (const auto& o : out) {
        if (o.name == s.name) fail(r, "name \"" + s.name + "\" is used twice");
      }
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  std::string file_;
};

}  // namespace

bool glob_match(const std::string& pattern, const std::string& text) {
  return pattern.empty() || fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

std::vector<Subscription> parse_subscriptions(const std::string& text, const std::string& name) {
  if (text.size() > kMaxFileBytes) throw InvalidInputError(name + ": file too large");
  Loader loader(name);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw InvalidInputError(name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  // A file that subscribes nobody is refused: named on the command line it
  // is a mistake (a wrong or emptied file), and accepting it would send no
  // mail without a word.
  if (!root.IsDefined() || root.IsNull()) {
    throw InvalidInputError(name + ": no subscriptions (an empty file)");
  }
  if (!root.IsMap()) loader.fail(root, "expected a mapping at the top");
  try {
    std::vector<Subscription> out =
        root["subscriptions"] ? loader.rules(root) : loader.dashboard(root);
    if (out.empty()) {
      // The line of the list's key (a null value has no place of its own),
      // else of the document.
      bool rules = static_cast<bool>(root["subscriptions"]);
      const char* key = rules ? "subscriptions" : "reports";
      int line = root.Mark().line;
      for (const auto& kv : root) {
        if (kv.first.IsScalar() && kv.first.Scalar() == key) line = kv.first.Mark().line;
      }
      throw InvalidInputError(name + ":" + std::to_string(line + 1) + ": " +
                              (rules ? "no subscriptions (the 'subscriptions' list is empty)"
                                     : "no subscriptions (no 'reports')"));
    }
    return out;
  } catch (const YAML::Exception& e) {
    throw InvalidInputError(name + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

std::vector<Subscription> load_subscriptions(const std::string& path) {
  // One byte over the limit: parse_subscriptions says "file too large".
  return parse_subscriptions(read_input_file(path, kMaxFileBytes + 1), path);
}

bool subscription_matches(const Subscription& s, const ReportFacts& f) {
  if (!s.kinds.empty() && !s.kinds.count(f.kind)) return false;
  if (!glob_match(s.tree, f.tree) || !glob_match(s.branch, f.branch) ||
      !glob_match(s.origin, f.origin)) {
    return false;
  }
  return f.has_regressions || !s.regressions_only;
}

namespace {

bool any_glob(const std::vector<std::string>& patterns, const std::string& text) {
  if (patterns.empty()) return true;
  for (const auto& p : patterns) {
    if (glob_match(p, text)) return true;
  }
  return false;
}

}  // namespace

TestReport narrow_test_report(const TestReport& report, const Subscription& s) {
  TestReport out = report;
  out.test_runs.clear();
  for (const auto& run : report.test_runs) {
    if (!any_glob(s.architectures, run.arch) || !any_glob(s.platforms, run.platform)) continue;
    TestRun r = run;
    r.failures.clear();
    for (const auto& f : run.failures) {
      if (glob_match(s.test_path, f.path)) r.failures.push_back(f);
    }
    out.test_runs.push_back(std::move(r));
  }
  out.unstable.clear();
  for (const auto& u : report.unstable) {
    if (any_glob(s.architectures, u.arch) && any_glob(s.platforms, u.platform) &&
        glob_match(s.test_path, u.path)) {
      out.unstable.push_back(u);
    }
  }
  if (!s.architectures.empty() || !s.platforms.empty()) out.runs = 0;  // count what is left
  return out;
}

BuildReport narrow_build_report(const BuildReport& report, const Subscription& s) {
  BuildReport out = report;
  out.builds.clear();
  for (const auto& b : report.builds) {
    if (any_glob(s.architectures, b.arch)) out.builds.push_back(b);
  }
  return out;
}

}  // namespace kci::notify
