// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/rules.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "report/patterns.h"
#include "triage/pattern_set.h"
#include "util/file.h"

namespace kci::triage {

namespace {

[[noreturn]] void fail(const std::string& source, const YAML::Node& node, const std::string& what) {
  std::string where = source;
  if (node.IsDefined() && node.Mark().line >= 0)
    where += ":" + std::to_string(node.Mark().line + 1);
  throw InvalidInputError(where + ": " + what);
}

std::vector<std::string> strings(const std::string& source, const YAML::Node& node,
                                 const std::string& key) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.as<std::string>());
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (!item.IsScalar()) fail(source, item, key + ": expected a string");
      out.push_back(item.as<std::string>());
    }
  } else {
    fail(source, node, key + ": expected a string or a list of strings");
  }
  return out;
}

const std::set<std::string> kStatuses = {"FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP"};

}  // namespace

namespace {
RuleSet parse_rules_unchecked(std::string_view yaml, const std::string& source);
}  // namespace

// yaml-cpp throws on nodes of an unexpected kind (a mapping as a key, found
// by fuzzing): every such exception becomes an error naming the place.
RuleSet parse_rules(std::string_view yaml, const std::string& source) {
  try {
    return parse_rules_unchecked(yaml, source);
  } catch (const YAML::Exception& e) {
    throw InvalidInputError(source + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

namespace {

RuleSet parse_rules_unchecked(std::string_view yaml, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    throw InvalidInputError(source + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  RuleSet set;
  set.source = source;
  // A file without rules is refused: a rules file named on the command line
  // that matches nothing is a mistake (a wrong file, an emptied one), and
  // accepting it would run triage without the known issues it was meant for.
  if (!root.IsDefined() || root.IsNull()) {
    throw InvalidInputError(source + ": no rules (an empty file; expected an 'issues' list)");
  }
  if (!root.IsMap()) fail(source, root, "expected a mapping with an 'issues' list");
  // Where "issues:" is written: a null value has no place of its own.
  int issues_line = 0;
  for (const auto& kv : root) {
    if (kv.first.as<std::string>() != "issues") {
      fail(source, kv.first, "unknown key '" + kv.first.as<std::string>() + "'");
    }
    issues_line = kv.first.Mark().line + 1;
  }
  YAML::Node issues = root["issues"];
  if (!issues) throw InvalidInputError(source + ": no rules (no 'issues' list)");
  if (issues.IsNull() || (issues.IsSequence() && issues.size() == 0)) {
    throw InvalidInputError(source + ":" + std::to_string(issues_line) +
                            ": no rules (the 'issues' list is empty)");
  }
  if (!issues.IsSequence()) fail(source, issues, "'issues' must be a list");
  std::set<std::string> ids;
  for (const auto& node : issues) {
    if (!node.IsMap()) fail(source, node, "an issue must be a mapping");
    KnownIssueRule rule;
    rule.source_line = static_cast<std::size_t>(node.Mark().line + 1);
    YAML::Node id_node;
    YAML::Node origin_node;
    std::set<std::string> keys;
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      // yaml-cpp keeps both of two equal keys; which one a lookup finds is
      // not something a rules file should depend on.
      if (!keys.insert(key).second) fail(source, kv.first, "duplicate key '" + key + "'");
      const YAML::Node& v = kv.second;
      auto scalar = [&]() {
        if (!v.IsScalar()) fail(source, v, key + ": expected a string");
        return v.as<std::string>();
      };
      if (key == "id") {
        rule.id = scalar();
        id_node = v;
      } else if (key == "version") {
        try {
          rule.version = v.as<std::int64_t>();
        } catch (const YAML::Exception&) {
          fail(source, v, "version: expected an integer");
        }
        if (rule.version < 0) fail(source, v, "version: must be 0 or more");
      } else if (key == "origin") {
        rule.origin = scalar();
        origin_node = v;
      } else if (key == "report_subject") {
        rule.report_subject = scalar();
      } else if (key == "report_url") {
        rule.report_url = scalar();
      } else if (key == "comment") {
        rule.comment = scalar();
      } else if (key == "culprit") {
        for (const auto& c : strings(source, v, key)) {
          if (c == "code")
            rule.culprit_code = true;
          else if (c == "tool")
            rule.culprit_tool = true;
          else if (c == "harness")
            rule.culprit_harness = true;
          else
            fail(source, v, "culprit: '" + c + "' is not code, tool or harness");
        }
      } else if (key == "match") {
        if (!v.IsMap()) fail(source, v, "match: expected a mapping");
        for (const auto& m : v) {
          std::string mk = m.first.as<std::string>();
          std::vector<std::string> values = strings(source, m.second, mk);
          RuleFilters& f = rule.match;
          if (mk == "test_path")
            f.test_path = values;
          else if (mk == "architecture")
            f.architecture = values;
          else if (mk == "config")
            f.config = values;
          else if (mk == "compiler")
            f.compiler = values;
          else if (mk == "platform")
            f.platform = values;
          else if (mk == "status") {
            for (const auto& s : values) {
              if (!kStatuses.count(s))
                fail(source, m.second, "status: '" + s + "' is not a KCIDB status");
            }
            f.status = values;
          } else if (mk == "log" || mk == "log_excerpt") {
            for (const auto& re : values) {
              std::string err = PatternSet::check(re);
              if (!err.empty()) fail(source, m.second, mk + ": invalid regex '" + re + "': " + err);
            }
            (mk == "log" ? f.log : f.log_excerpt) = values;
          } else {
            fail(source, m.first, "match: unknown key '" + mk + "'");
          }
        }
      } else {
        fail(source, kv.first, "unknown key '" + key + "'");
      }
    }
    if (rule.id.empty()) fail(source, node, "an issue needs an 'id'");
    if (!ids.insert(rule.id).second) fail(source, node, "duplicate issue id '" + rule.id + "'");
    // The id and origin become a KCIDB issue's: one the schema refuses would
    // be stored by triage and then make every dump of the store invalid.
    if (!report::matches(report::Pattern::kIdV5, rule.id)) {
      fail(source, id_node,
           "id: '" + rule.id + "' is not a KCIDB id (ORIGIN:NAME, ORIGIN of a-z 0-9 _)");
    }
    if (!report::matches(report::Pattern::kOrigin, rule.origin)) {
      fail(source, origin_node, "origin: '" + rule.origin + "' is not a KCIDB origin (a-z 0-9 _)");
    }
    if (rule.report_subject.empty()) rule.report_subject = rule.id;
    set.rules.push_back(std::move(rule));
  }
  return set;
}

}  // namespace

RuleSet load_rules(const std::string& path) {
  return parse_rules(read_input_file(path, 64 << 20), path);
}

bool glob_match(std::string_view p, std::string_view t) {
  std::size_t pi = 0, ti = 0, star_p = std::string_view::npos, star_t = 0;
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_p = pi++;
      star_t = ti;
      continue;
    }
    if (pi < p.size() && p[pi] == '[') {
      std::size_t close = p.find(']', pi + 2);
      if (close != std::string_view::npos) {
        bool negate = p[pi + 1] == '!' || p[pi + 1] == '^';
        bool hit = false;
        for (std::size_t k = pi + 1 + (negate ? 1 : 0); k < close; ++k) {
          if (k + 2 < close && p[k + 1] == '-') {
            hit = hit || (t[ti] >= p[k] && t[ti] <= p[k + 2]);
            k += 2;
          } else {
            hit = hit || t[ti] == p[k];
          }
        }
        if (hit != negate) {
          pi = close + 1;
          ++ti;
          continue;
        }
      } else if (t[ti] == '[') {
        ++pi;
        ++ti;
        continue;
      }
    } else if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi;
      ++ti;
      continue;
    }
    if (star_p == std::string_view::npos) return false;
    pi = star_p + 1;
    ti = ++star_t;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

namespace {

bool any_glob(const std::vector<std::string>& patterns, const std::string& value) {
  if (patterns.empty()) return true;
  for (const auto& p : patterns) {
    if (glob_match(p, value)) return true;
  }
  return false;
}

}  // namespace

bool filters_accept(const RuleFilters& f, const ResultFacts& r) {
  if (!f.test_path.empty() && (!r.is_test || !any_glob(f.test_path, r.path))) return false;
  return any_glob(f.architecture, r.architecture) && any_glob(f.config, r.config) &&
         any_glob(f.compiler, r.compiler) && any_glob(f.platform, r.platform) &&
         any_glob(f.status, r.status);
}

}  // namespace kci::triage
