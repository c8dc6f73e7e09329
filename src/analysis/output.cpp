// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/output.h"

#include <algorithm>
#include <cstdio>

#include "report/json.h"

namespace kci::analysis {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void kv(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

void identity_fields(Writer& w, const Identity& id) {
  kv(w, "kind", kind_name(id.kind));
  kv(w, "origin", id.origin);
  kv(w, "tree_name", id.tree_name);
  kv(w, "git_repository_url", id.git_repository_url);
  kv(w, "git_repository_branch", id.git_repository_branch);
  kv(w, "architecture", id.architecture);
  kv(w, "config_name", id.config_name);
  kv(w, "compiler", id.compiler);
  kv(w, "path", id.path);
  kv(w, "platform", id.platform);
}

void identity_object(Writer& w, const IdentityInfo& i) {
  w.StartObject();
  kv(w, "identity_key", i.key);
  identity_fields(w, i.identity);
  w.Key("results");
  w.Int64(i.results);
  w.Key("pass");
  w.Int64(i.pass);
  w.Key("fail");
  w.Int64(i.fail);
  w.Key("infra");
  w.Int64(i.infra);
  w.Key("neutral");
  w.Int64(i.neutral);
  kv(w, "last_status", i.last_status);
  w.Key("unstable");
  w.Bool(i.unstable);
  w.Key("flips");
  w.Int64(i.flips);
  kv(w, "summary", i.summary);
  w.EndObject();
}

void point(Writer& w, const char* key, const PointInfo& p) {
  w.Key(key);
  w.StartObject();
  kv(w, "checkout_id", p.checkout_id);
  kv(w, "describe", p.describe);
  kv(w, "id", p.id);
  kv(w, "time", p.time);
  w.EndObject();
}

void regression_object(Writer& w, const RegressionInfo& r) {
  w.StartObject();
  kv(w, "id", r.id);
  kv(w, "identity_key", r.identity.key);
  identity_fields(w, r.identity.identity);
  kv(w, "status", r.active ? "active" : "closed");
  w.Key("unstable");
  w.Bool(r.unstable);
  w.Key("reported");
  w.Bool(r.reported);
  w.Key("fail_count");
  w.Int64(r.fail_count);
  point(w, "last_pass", r.last_pass);
  point(w, "first_fail", r.first_fail);
  point(w, "last_fail", r.last_fail);
  if (r.fixed_by) {
    point(w, "fixed_by", *r.fixed_by);
  } else {
    w.Key("fixed_by");
    w.Null();
  }
  w.Key("failing_since_days");
  w.Int64(r.failing_since_days);
  kv(w, "summary", r.summary);
  w.EndObject();
}

std::string done(rapidjson::StringBuffer& buf) {
  return std::string(buf.GetString(), buf.GetSize());
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() > width) s = s.substr(0, width);
  s.resize(width, ' ');
  return s;
}

std::string status_counts(const std::map<std::string, long long>& m) {
  // The KCIDB priority order, then the rest.
  std::string out;
  for (const char* s : {"PASS", "FAIL", "ERROR", "MISS", "SKIP", "DONE", ""}) {
    auto it = m.find(s);
    if (it == m.end()) continue;
    if (!out.empty()) out += ", ";
    out += std::to_string(it->second) + " " + (*s ? s : "NONE");
  }
  return out;
}

}  // namespace

std::string compare_json(const CompareResult& r) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  for (Category c : kListedCategories) {
    w.Key(category_name(c));
    w.StartArray();
    auto it = r.items.find(c);
    if (it != r.items.end()) {
      for (const auto& item : it->second) {
        w.StartObject();
        identity_fields(w, item.identity);
        kv(w, "identity_key", item.key);
        for (auto [name, side] : {std::pair{"a", &item.a}, std::pair{"b", &item.b}}) {
          w.Key(name);
          if (*side) {
            w.StartObject();
            kv(w, "id", (*side)->id);
            kv(w, "status", (*side)->status);
            w.EndObject();
          } else {
            w.Null();
          }
        }
        w.EndObject();
      }
    }
    w.EndArray();
  }
  w.EndObject();
  return done(buf);
}

std::string compare_table(const CompareResult& r) {
  std::string out = "compare " + r.a + " -> " + r.b + " (" + kind_name(r.kind) + "s)\n";
  for (Category c : kListedCategories) {
    auto it = r.items.find(c);
    std::size_t n = it == r.items.end() ? 0 : it->second.size();
    out += "\n" + std::string(category_name(c)) + ": " + std::to_string(n) + "\n";
    if (!n) continue;
    for (const auto& item : it->second) {
      const Identity& id = item.identity;
      out += "  " + pad(id.kind == Kind::kBuild ? id.config_name : id.path, 36) + " " +
             pad(id.platform, 24) + " " + pad(id.architecture, 8) + " " + pad(id.config_name, 22) +
             " " + pad(id.compiler, 10) + " " +
             pad(item.a ? (item.a->status.empty() ? "NONE" : item.a->status) : "-", 5) + " -> " +
             (item.b ? (item.b->status.empty() ? "NONE" : item.b->status) : "-") + "\n";
    }
  }
  return out;
}

std::string regression_json(const RegressionInfo& r) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  regression_object(w, r);
  return done(buf);
}

std::string identity_json(const IdentityInfo& i) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  identity_object(w, i);
  return done(buf);
}

std::string history_json(const HistoryResult& h) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("identity");
  identity_object(w, h.identity);
  w.Key("results");
  w.StartArray();
  for (const auto& e : h.entries) {
    w.StartObject();
    kv(w, "checkout_id", e.checkout_id);
    kv(w, "describe", e.describe);
    kv(w, "order_time", e.order_time);
    kv(w, "id", e.object_id);
    kv(w, "status", e.status);
    kv(w, "start_time", e.start_time);
    if (e.order_key == "-") {
      // Not an ancestor of the branch tip (rebased away): not in the analysis.
      w.Key("off_line");
      w.Bool(true);
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("regressions");
  w.StartArray();
  for (const auto& r : h.regressions) regression_object(w, r);
  w.EndArray();
  w.EndObject();
  return done(buf);
}

std::string history_table(const HistoryResult& h) {
  const Identity& id = h.identity.identity;
  std::string out =
      std::string(kind_name(id.kind)) + " " + (id.path.empty() ? id.config_name : id.path) +
      " on " + (id.platform.empty() ? "-" : id.platform) + " (" + id.tree_name + "/" +
      id.git_repository_branch + ", " + id.architecture + ", " + id.config_name + ", " +
      id.compiler + ", " + id.origin + ")" + (h.identity.unstable ? " [unstable]" : "") + "\n";
  if (!h.identity.summary.empty()) out += h.identity.summary + "\n";
  for (const auto& e : h.entries)
    out += "  " + pad(e.order_time.substr(0, 19), 20) + pad(e.describe, 40) + " " +
           pad(e.status.empty() ? "NONE" : e.status, 6) + " " + e.object_id +
           (e.order_key == "-" ? " (off line: rebased away)" : "") + "\n";
  return out;
}

std::string summary_json(const CheckoutSummary& s) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("checkout");
  w.StartObject();
  kv(w, "id", s.checkout.id);
  kv(w, "origin", s.checkout.origin);
  kv(w, "tree_name", s.checkout.tree_name);
  kv(w, "git_repository_url", s.checkout.git_repository_url);
  kv(w, "git_repository_branch", s.checkout.git_repository_branch);
  kv(w, "git_commit_hash", s.checkout.git_commit_hash);
  kv(w, "describe", s.checkout.describe);
  kv(w, "start_time", s.checkout.order_time);
  w.EndObject();
  for (auto [key, kind] :
       {std::pair{"builds", "build"}, std::pair{"boots", "boot"}, std::pair{"tests", "test"}}) {
    w.Key(key);
    w.StartObject();
    auto it = s.counts.find(kind);
    if (it != s.counts.end())
      for (const auto& [status, n] : it->second) {
        w.Key(status.empty() ? "NONE" : status.c_str());
        w.Int64(n);
      }
    w.EndObject();
  }
  w.Key("groups");
  w.StartArray();
  for (const auto& g : s.groups) {
    w.StartObject();
    kv(w, "kind", g.kind);
    kv(w, "platform", g.platform);
    kv(w, "architecture", g.architecture);
    kv(w, "lab", g.lab);
    kv(w, "compiler", g.compiler);
    kv(w, "config_name", g.config_name);
    w.Key("results");
    w.StartObject();
    for (const auto& [status, n] : g.statuses) {
      w.Key(status.empty() ? "NONE" : status.c_str());
      w.Int64(n);
    }
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return done(buf);
}

std::string summary_table(const CheckoutSummary& s) {
  std::string out = s.checkout.tree_name + "/" + s.checkout.git_repository_branch + " " +
                    s.checkout.describe + " (" + s.checkout.id + ")\n";
  for (auto [label, kind] :
       {std::pair{"Builds", "build"}, std::pair{"Boots", "boot"}, std::pair{"Tests", "test"}}) {
    auto it = s.counts.find(kind);
    long long total = 0;
    if (it != s.counts.end())
      for (const auto& [st, n] : it->second) total += n;
    out += std::string(label) + ": " + std::to_string(total);
    if (it != s.counts.end()) out += " (" + status_counts(it->second) + ")";
    out += "\n";
  }
  // Cells cut to 28 characters, as KernelCI's legacy test report.
  out += "\n" + pad("platform", 28) + " | " + pad("arch", 8) + " | " + pad("lab", 28) + " | " +
         pad("compiler", 10) + " | " + pad("defconfig", 28) + " | results\n";
  out += std::string(28, '-') + "-+-" + std::string(8, '-') + "-+-" + std::string(28, '-') + "-+-" +
         std::string(10, '-') + "-+-" + std::string(28, '-') + "-+--------\n";
  for (const auto& g : s.groups)
    out += pad(g.platform, 28) + " | " + pad(g.architecture, 8) + " | " + pad(g.lab, 28) + " | " +
           pad(g.compiler, 10) + " | " + pad(g.config_name, 28) + " | " +
           status_counts(g.statuses) + (g.kind == "boot" ? " (boot)" : "") + "\n";
  return out;
}

}  // namespace kci::analysis
