// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/report_json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <set>

#include "notify/header.h"
#include "util/error.h"

namespace kci::notify {
namespace {

using Value = rapidjson::Value;

// Reads the members of one JSON object into a struct, remembering which
// members it read so that finish() can reject the others.
class Obj {
 public:
  Obj(const Value& v, std::string pointer, const std::string& file)
      : v_(v), pointer_(std::move(pointer)), file_(file) {
    if (!v.IsObject()) fail(pointer_, "expected an object");
  }
  [[noreturn]] void fail(const std::string& pointer, const std::string& what) const {
    throw InvalidInputError(file_ + ": " + (pointer.empty() ? "/" : pointer) + ": " + what);
  }
  const Value* get(const char* key) {
    seen_.insert(key);
    auto it = v_.FindMember(key);
    return it == v_.MemberEnd() ? nullptr : &it->value;
  }
  std::string at(const char* key) const { return pointer_ + "/" + key; }
  void str(const char* key, std::string& out) {
    if (const Value* x = get(key)) {
      if (!x->IsString()) fail(at(key), "expected a string");
      out.assign(x->GetString(), x->GetStringLength());
    }
  }
  void integer(const char* key, int& out) {
    if (const Value* x = get(key)) {
      if (!x->IsInt()) fail(at(key), "expected an integer");
      out = x->GetInt();
    }
  }
  void int64(const char* key, long long& out) {
    if (const Value* x = get(key)) {
      if (!x->IsInt64()) fail(at(key), "expected an integer");
      out = x->GetInt64();
    }
  }
  void strings(const char* key, std::vector<std::string>& out) {
    if (const Value* x = get(key)) {
      if (!x->IsArray()) fail(at(key), "expected an array of strings");
      for (rapidjson::SizeType i = 0; i < x->Size(); ++i) {
        if (!(*x)[i].IsString()) fail(at(key) + "/" + std::to_string(i), "expected a string");
        out.emplace_back((*x)[i].GetString(), (*x)[i].GetStringLength());
      }
    }
  }
  template <typename T, typename F>
  void objects(const char* key, std::vector<T>& out, F&& read) {
    if (const Value* x = get(key)) {
      if (!x->IsArray()) fail(at(key), "expected an array of objects");
      for (rapidjson::SizeType i = 0; i < x->Size(); ++i) {
        Obj o((*x)[i], at(key) + "/" + std::to_string(i), file_);
        T t;
        read(o, t);
        o.finish();
        out.push_back(std::move(t));
      }
    }
  }
  template <typename T, typename F>
  void object(const char* key, T& out, F&& read) {
    if (const Value* x = get(key)) {
      Obj o(*x, at(key), file_);
      read(o, out);
      o.finish();
    }
  }
  void finish() const {
    for (auto it = v_.MemberBegin(); it != v_.MemberEnd(); ++it) {
      std::string k(it->name.GetString(), it->name.GetStringLength());
      if (!seen_.count(k)) fail(at(k.c_str()), "unknown field");
    }
  }

 private:
  const Value& v_;
  std::string pointer_;
  const std::string& file_;
  std::set<std::string> seen_;
};

void read_failure(Obj& o, TestCaseFailure& f) {
  o.str("path", f.path);
  o.str("url", f.url);
  o.str("last_pass", f.last_pass);
  o.str("first_fail", f.first_fail);
  o.integer("failing_days", f.failing_days);
  o.str("known_issue_id", f.known_issue_id);
  o.str("known_issue_title", f.known_issue_title);
  o.strings("log_lines", f.log_lines);
}

void read_run(Obj& o, TestRun& r) {
  o.str("platform", r.platform);
  o.str("arch", r.arch);
  o.str("lab", r.lab);
  o.str("compiler", r.compiler);
  o.str("defconfig", r.defconfig);
  o.str("compiler_version", r.compiler_version);
  o.str("config_full", r.config_full);
  o.str("details_url", r.details_url);
  o.str("plain_log", r.plain_log);
  o.str("html_log", r.html_log);
  o.str("rootfs", r.rootfs);
  o.integer("pass", r.pass);
  o.integer("fail", r.fail);
  o.integer("skip", r.skip);
  o.objects("failures", r.failures, read_failure);
}

void read_test(Obj& o, TestReport& r) {
  for (auto [k, m] : {std::pair{"tree", &r.tree},
                      {"branch", &r.branch},
                      {"plan", &r.plan},
                      {"describe", &r.describe},
                      {"url", &r.url},
                      {"sha", &r.sha},
                      {"checkout_id", &r.checkout_id},
                      {"details_url", &r.details_url}}) {
    o.str(k, *m);
  }
  o.integer("runs", r.runs);
  o.objects("test_runs", r.test_runs, read_run);
  o.objects("unstable", r.unstable, [](Obj& u, UnstableTest& t) {
    u.str("path", t.path);
    u.str("platform", t.platform);
    u.str("arch", t.arch);
    u.str("url", t.url);
    u.str("note", t.note);
  });
}

void read_build(Obj& o, BuildReport& r) {
  for (auto [k, m] : {std::pair{"tree", &r.tree},
                      {"branch", &r.branch},
                      {"describe", &r.describe},
                      {"commit", &r.commit},
                      {"url", &r.url},
                      {"checkout_id", &r.checkout_id},
                      {"details_url", &r.details_url}}) {
    o.str(k, *m);
  }
  o.objects("builds", r.builds, [](Obj& b, BuildResult& x) {
    for (auto [k, m] : {std::pair{"defconfig", &x.defconfig},
                        {"arch", &x.arch},
                        {"compiler", &x.compiler},
                        {"status", &x.status},
                        {"url", &x.url},
                        {"log_url", &x.log_url},
                        {"last_pass", &x.last_pass}}) {
      b.str(k, *m);
    }
    b.strings("errors", x.errors);
    b.strings("warnings", x.warnings);
    b.strings("section_mismatches", x.section_mismatches);
  });
}

void read_bisection(Obj& o, BisectionResult& r) {
  for (auto [k, m] : {std::pair{"tree", &r.tree},
                      {"branch", &r.branch},
                      {"url", &r.url},
                      {"target", &r.target},
                      {"arch", &r.arch},
                      {"lab", &r.lab},
                      {"compiler", &r.compiler},
                      {"defconfig", &r.defconfig},
                      {"test_case", &r.test_case},
                      {"good_commit", &r.good_commit},
                      {"bad_commit", &r.bad_commit},
                      {"start_summary", &r.start_summary},
                      {"result_summary", &r.result_summary},
                      {"plain_log", &r.plain_log},
                      {"html_log", &r.html_log},
                      {"check_revert", &r.check_revert},
                      {"check_verify", &r.check_verify},
                      {"culprit_sha", &r.culprit_sha},
                      {"culprit_author", &r.culprit_author},
                      {"culprit_show", &r.culprit_show},
                      {"bisect_log", &r.bisect_log},
                      {"reported_by", &r.reported_by},
                      {"checkout_id", &r.checkout_id}}) {
    o.str(k, *m);
  }
}

void read_incident(Obj& o, IssueIncident& i) {
  for (auto [k, m] : {std::pair{"kind", &i.kind},
                      {"object_id", &i.object_id},
                      {"url", &i.url},
                      {"platform", &i.platform},
                      {"arch", &i.arch},
                      {"config", &i.config},
                      {"compiler", &i.compiler},
                      {"time", &i.time}}) {
    o.str(k, *m);
  }
}

void read_new_issue(Obj& o, NewIssueReport& r) {
  for (auto [k, m] : {std::pair{"issue_id", &r.issue_id},
                      {"issue_version", &r.issue_version},
                      {"title", &r.title},
                      {"culprit", &r.culprit},
                      {"tree", &r.tree},
                      {"branch", &r.branch},
                      {"describe", &r.describe},
                      {"sha", &r.sha},
                      {"url", &r.url},
                      {"checkout_id", &r.checkout_id},
                      {"details_url", &r.details_url}}) {
    o.str(k, *m);
  }
  o.object("first_incident", r.first_incident, read_incident);
  o.objects("incidents", r.incidents, read_incident);
  o.strings("log_excerpt", r.log_excerpt);
}

}  // namespace

ReportInput parse_report_input(const std::string& json, const std::string& name) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    throw InvalidInputError(name + ": offset " + std::to_string(doc.GetErrorOffset()) + ": " +
                            rapidjson::GetParseError_En(doc.GetParseError()));
  }
  Obj root(doc, "", name);
  ReportInput in;
  std::string kind;
  root.str("kind", kind);
  try {
    in.kind = parse_report_kind(kind);
  } catch (const InvalidInputError& e) {
    throw InvalidInputError(name + ": /kind: " + e.what());
  }
  root.int64("date", in.date);
  root.str("subscription", in.subscription);
  root.str("from", in.from);
  root.strings("to", in.to);
  root.str("domain", in.domain);
  root.str("in_reply_to", in.in_reply_to);
  // Both end up in headers (Message-ID's right side, In-Reply-To and
  // References): checked here, where the file and pointer are known, rather
  // than when the mail is put together, whose error could not say where the
  // bad value came from.
  if (!in.domain.empty() && !valid_message_id("x@" + in.domain)) {
    root.fail("/domain", "not a domain usable in a Message-ID");
  }
  if (!in.in_reply_to.empty() && !valid_message_id(in.in_reply_to)) {
    root.fail("/in_reply_to", "not a Message-ID (local@domain, optionally in <>)");
  }
  switch (in.kind) {
    case ReportKind::kTest: {
      TestReport r;
      root.object("data", r, read_test);
      in.data = std::move(r);
      break;
    }
    case ReportKind::kBuild: {
      BuildReport r;
      root.object("data", r, read_build);
      in.data = std::move(r);
      break;
    }
    case ReportKind::kBisection: {
      BisectionResult r;
      root.object("data", r, read_bisection);
      in.data = std::move(r);
      break;
    }
    case ReportKind::kNewIssue: {
      NewIssueReport r;
      root.object("data", r, read_new_issue);
      in.data = std::move(r);
      break;
    }
    case ReportKind::kPatchset:  // not a kind parse_report_kind returns: kci inbox renders it
      throw InvalidInputError("patchset replies are made by kci inbox, not from report JSON");
  }
  root.finish();
  return in;
}

RenderedReport render_input(const ReportInput& input, const RenderOptions& options) {
  return std::visit(
      [&](const auto& r) -> RenderedReport {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, TestReport>) return render_test_report(r, options);
        if constexpr (std::is_same_v<T, BuildReport>) return render_build_report(r, options);
        if constexpr (std::is_same_v<T, BisectionResult>)
          return render_bisection_report(r, options);
        if constexpr (std::is_same_v<T, NewIssueReport>) return render_new_issue_report(r, options);
      },
      input.data);
}

}  // namespace kci::notify
