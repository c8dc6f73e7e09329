// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/history.h"

#include <chrono>
#include <tuple>

#include "report/json.h"
#include "util/error.h"
#include "util/time.h"

namespace kci::analysis {

Signal signal_of(std::string_view status) {
  if (status == "PASS") return Signal::kPass;
  if (status == "FAIL") return Signal::kFail;
  if (status == "ERROR" || status == "MISS") return Signal::kInfra;
  return Signal::kNeutral;
}

bool history_less(const HistoryEntry& a, const HistoryEntry& b) {
  const std::string& ka = a.order_key.empty() ? a.order_time : a.order_key;
  const std::string& kb = b.order_key.empty() ? b.order_time : b.order_key;
  return std::tie(ka, a.checkout_id, a.start_time, a.object_id) <
         std::tie(kb, b.checkout_id, b.start_time, b.object_id);
}

std::string normalize_time(const std::optional<std::string>& time) {
  if (!time) return {};
  auto t = parse_rfc3339(*time);
  return t ? format_rfc3339(*t) : std::string();
}

int days_between(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return 0;
  auto ta = parse_rfc3339(a), tb = parse_rfc3339(b);
  if (!ta || !tb) return 0;
  auto d = std::chrono::duration_cast<std::chrono::hours>(*tb - *ta).count() / 24;
  return static_cast<int>(d);
}

std::string regression_sentence(const Regression& r) {
  if (r.fail_count <= 1) return "new failure (last pass: " + r.last_pass.describe + ")";
  int days = r.failing_since_days;
  return "failing since " + std::to_string(days) + (days == 1 ? " day" : " days") +
         " (last pass: " + r.last_pass.describe + ", first fail: " + r.first_fail.describe + ")";
}

namespace {

ResultRef ref_of(const HistoryEntry& e) {
  return ResultRef{e.object_id, e.checkout_id, e.describe, e.order_time};
}

// Flips among the newest signals within the window of the newest one.
int window_flips(const std::vector<std::pair<bool, std::string>>& signals,
                 const AnalysisOptions& o) {
  if (signals.empty()) return 0;
  auto newest = parse_rfc3339(signals.back().second);
  std::size_t taken = 0;
  int flips = 0;
  std::optional<bool> later;
  for (std::size_t i = signals.size();
       i-- > 0 && taken < static_cast<std::size_t>(o.unstable_window);) {
    auto t = parse_rfc3339(signals[i].second);
    if (newest && t && *newest - *t > std::chrono::hours(24) * o.unstable_days) break;
    if (later && *later != signals[i].first) ++flips;
    later = signals[i].first;
    ++taken;
  }
  return flips;
}

void finish(Regression& r, const AnalysisOptions& o) {
  r.reported = !r.unstable || r.fail_count >= o.report_after_fails;
  r.failing_since_days = days_between(r.first_fail.time, r.last_fail.time);
  r.summary = regression_sentence(r);
}

}  // namespace

void add_to_history(HistoryState& st, const std::string& identity_key, const HistoryEntry& e,
                    const AnalysisOptions& o, std::vector<Regression>& closed) {
  st.last = e;
  st.last->describe.clear();
  Signal s = signal_of(e.status);
  switch (s) {
    case Signal::kInfra: ++st.infra; return;
    case Signal::kNeutral: ++st.neutral; return;
    case Signal::kPass: ++st.pass; break;
    case Signal::kFail: ++st.fail; break;
  }
  st.signals.emplace_back(s == Signal::kPass, e.order_time);
  if (st.signals.size() > static_cast<std::size_t>(std::max(1, o.unstable_window)))
    st.signals.erase(st.signals.begin());
  bool unstable = window_flips(st.signals, o) >= o.unstable_flips;
  if (s == Signal::kPass) {
    if (st.open) {
      st.open->active = false;
      st.open->fixed_by = ref_of(e);
      finish(*st.open, o);
      closed.push_back(std::move(*st.open));
      st.open.reset();
    }
    st.last_pass = ref_of(e);
  } else if (st.open) {
    st.open->last_fail = ref_of(e);
    ++st.open->fail_count;
    st.open->unstable = unstable;
  } else if (st.last_pass) {
    Regression r;
    r.id = identity_key + "/" + e.object_id;
    r.last_pass = *st.last_pass;
    r.first_fail = r.last_fail = ref_of(e);
    r.fail_count = 1;
    r.unstable = unstable;
    st.open = std::move(r);
  }
}

IdentityAnalysis analysis_of(const HistoryState& st, std::vector<Regression> earlier,
                             const AnalysisOptions& o) {
  IdentityAnalysis out;
  out.regressions = std::move(earlier);
  if (st.open) {
    out.regressions.push_back(*st.open);
    finish(out.regressions.back(), o);
    out.summary = out.regressions.back().summary;
  } else if (st.pass == 0 && st.fail > 0) {
    out.summary = kNeverPassed;
  }
  out.pass = st.pass;
  out.fail = st.fail;
  out.infra = st.infra;
  out.neutral = st.neutral;
  out.flips = window_flips(st.signals, o);
  out.unstable = !st.signals.empty() && out.flips >= o.unstable_flips;
  if (st.last) out.last_status = st.last->status;
  out.last_pass = st.last_pass;
  return out;
}

IdentityAnalysis analyze_history(const std::string& identity_key,
                                 const std::vector<HistoryEntry>& entries,
                                 const AnalysisOptions& options) {
  HistoryState st;
  std::vector<Regression> closed;
  for (const auto& e : entries) add_to_history(st, identity_key, e, options, closed);
  return analysis_of(st, std::move(closed), options);
}

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, const std::string& s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}
void put_ref(Writer& w, const ResultRef& r) {
  w.StartArray();
  put(w, r.object_id);
  put(w, r.checkout_id);
  put(w, r.describe);
  put(w, r.time);
  w.EndArray();
}

[[noreturn]] void bad_state() { throw InvalidInputError("malformed analysis state"); }

std::string get_str(const json::Value& v) {
  if (!v.IsString()) bad_state();
  return std::string(json::str(v));
}
ResultRef get_ref(const json::Value& v) {
  if (!v.IsArray() || v.Size() != 4) bad_state();
  return ResultRef{get_str(v[0]), get_str(v[1]), get_str(v[2]), get_str(v[3])};
}
const json::Value& member(const json::Value& o, const char* name) {
  auto it = o.FindMember(name);
  if (it == o.MemberEnd()) bad_state();
  return it->value;
}

}  // namespace

std::string state_to_json(const HistoryState& st) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  w.Key("last");
  if (st.last) {
    w.StartArray();
    put(w, st.last->order_time);
    put(w, st.last->checkout_id);
    put(w, st.last->start_time);
    put(w, st.last->object_id);
    put(w, st.last->status);
    if (!st.last->order_key.empty()) put(w, st.last->order_key);
    w.EndArray();
  } else {
    w.Null();
  }
  w.Key("n");
  w.StartArray();
  for (int n : {st.pass, st.fail, st.infra, st.neutral}) w.Int(n);
  w.EndArray();
  w.Key("lp");
  if (st.last_pass)
    put_ref(w, *st.last_pass);
  else
    w.Null();
  w.Key("open");
  if (st.open) {
    const Regression& r = *st.open;
    w.StartObject();
    w.Key("id");
    put(w, r.id);
    w.Key("lp");
    put_ref(w, r.last_pass);
    w.Key("ff");
    put_ref(w, r.first_fail);
    w.Key("lf");
    put_ref(w, r.last_fail);
    w.Key("n");
    w.Int(r.fail_count);
    w.Key("u");
    w.Bool(r.unstable);
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("sig");
  w.StartArray();
  for (const auto& [pass, time] : st.signals) {
    w.StartArray();
    w.Bool(pass);
    put(w, time);
    w.EndArray();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

HistoryState state_from_json(std::string_view text) {
  json::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError() || !d.IsObject()) bad_state();
  HistoryState st;
  const auto& last = member(d, "last");
  if (last.IsArray()) {
    if (last.Size() != 5 && last.Size() != 6) bad_state();
    HistoryEntry e;
    e.order_time = get_str(last[0]);
    e.checkout_id = get_str(last[1]);
    e.start_time = get_str(last[2]);
    e.object_id = get_str(last[3]);
    e.status = get_str(last[4]);
    if (last.Size() == 6) e.order_key = get_str(last[5]);
    st.last = e;
  }
  const auto& n = member(d, "n");
  if (!n.IsArray() || n.Size() != 4) bad_state();
  for (int i = 0; i < 4; ++i)
    if (!n[i].IsInt()) bad_state();
  st.pass = n[0].GetInt();
  st.fail = n[1].GetInt();
  st.infra = n[2].GetInt();
  st.neutral = n[3].GetInt();
  const auto& lp = member(d, "lp");
  if (!lp.IsNull()) st.last_pass = get_ref(lp);
  const auto& open = member(d, "open");
  if (open.IsObject()) {
    Regression r;
    r.id = get_str(member(open, "id"));
    r.last_pass = get_ref(member(open, "lp"));
    r.first_fail = get_ref(member(open, "ff"));
    r.last_fail = get_ref(member(open, "lf"));
    const auto& fc = member(open, "n");
    const auto& u = member(open, "u");
    if (!fc.IsInt() || !u.IsBool()) bad_state();
    r.fail_count = fc.GetInt();
    r.unstable = u.GetBool();
    st.open = r;
  }
  const auto& sig = member(d, "sig");
  if (!sig.IsArray()) bad_state();
  for (const auto& p : sig.GetArray()) {
    if (!p.IsArray() || p.Size() != 2 || !p[0].IsBool()) bad_state();
    st.signals.emplace_back(p[0].GetBool(), get_str(p[1]));
  }
  return st;
}

}  // namespace kci::analysis
