// SPDX-License-Identifier: LGPL-2.1-or-later
// The analysis tables against the generator's ground truth, and the
// incremental update against --rebuild, on real databases.
#include "analysis/analyzer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "analysis/generator.h"
#include "analysis/output.h"
#include "analysis/queries.h"
#include "report/json.h"
#include "report/upgrade.h"
#include "report/validate.h"
#include "store/pg_test_cluster.h"

namespace kci::analysis {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/kci-analysis-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string path() const { return path_; }

 private:
  std::string path_;
};

// A database with the store's schema, and an analyzer on it.
struct Db {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::SqlConnection> sql;
  std::unique_ptr<Analyzer> analyzer;
  explicit Db(const std::string& spec) {
    store = store::open_store(spec);
    store->init();
    sql = store::SqlConnection::open(store::parse_database_spec(spec));
    analyzer = std::make_unique<Analyzer>(*store, *sql);
  }
};

ingest::ObjectsChanged event_of(const report::Report& r) {
  ingest::ObjectsChanged ev;
  for (const auto& c : r.checkouts) ev.checkouts.push_back(*c.id);
  for (const auto& b : r.builds) ev.builds.push_back(*b.id);
  for (const auto& t : r.tests) ev.tests.push_back(*t.id);
  std::sort(ev.checkouts.begin(), ev.checkouts.end());
  std::sort(ev.builds.begin(), ev.builds.end());
  std::sort(ev.tests.begin(), ev.tests.end());
  return ev;
}

// Every object of the generated data, shuffled and cut into `batches`
// reports (tests may arrive before their builds and checkouts).
std::vector<report::Report> shuffled_batches(const report::Report& all, int batches,
                                             std::uint64_t seed) {
  struct Ref {
    int type;
    std::size_t index;
  };
  std::vector<Ref> refs;
  for (std::size_t i = 0; i < all.checkouts.size(); ++i) refs.push_back({0, i});
  for (std::size_t i = 0; i < all.builds.size(); ++i) refs.push_back({1, i});
  for (std::size_t i = 0; i < all.tests.size(); ++i) refs.push_back({2, i});
  std::mt19937_64 rng(seed);
  std::shuffle(refs.begin(), refs.end(), rng);
  std::vector<report::Report> out(static_cast<std::size_t>(batches));
  for (std::size_t i = 0; i < refs.size(); ++i) {
    auto& r = out[i * static_cast<std::size_t>(batches) / refs.size()];
    const Ref& ref = refs[i];
    if (ref.type == 0) r.checkouts.push_back(all.checkouts[ref.index]);
    if (ref.type == 1) r.builds.push_back(all.builds[ref.index]);
    if (ref.type == 2) r.tests.push_back(all.tests[ref.index]);
  }
  return out;
}

char letter(const std::optional<CompareSide>& s) {
  if (!s) return '-';
  if (s->status == "PASS") return 'P';
  if (s->status == "FAIL") return 'F';
  if (s->status == "SKIP") return 'S';
  if (s->status == "ERROR") return 'E';
  if (s->status == "MISS") return 'M';
  return '?';
}

// The category the truth letters of A and B call for (the table).
std::string expected_category(char a, char b) {
  if (a == 'E' || a == 'M' || b == 'E' || b == 'M')
    return (a == '-' && b == '-') ? "" : "inconclusive";
  if (b == '-') return a == '-' ? "" : "disappeared";
  if (a == 'P' && b == 'F') return "regression";
  if (a == 'F' && b == 'P') return "fixed";
  if (a == 'F' && b == 'F') return "still_failing";
  if ((a == '-' || a == 'S') && b == 'F') return "new_failure";
  if ((a == '-' || a == 'S') && b == 'P') return "new_pass";
  if (a == '-' && b == 'S') return "appeared";
  return "";
}

void check_against_truth(store::SqlConnection& sql, const Truth& truth) {
  // Regressions, unstable, never passed, infrastructure counts.
  std::size_t checked = 0;
  for (const auto& t : truth.identities) {
    std::string key = t.identity.key();
    auto info = identity_by_key(sql, key);
    if (t.statuses.find_first_not_of('-') == std::string::npos) continue;
    ASSERT_TRUE(info) << t.statuses;
    EXPECT_EQ(info->unstable, t.unstable) << t.scenario << " " << t.statuses;
    EXPECT_EQ(info->summary == kNeverPassed, t.never_passed) << t.statuses;
    EXPECT_EQ(info->infra, t.infra);
    RegressionFilter f;
    f.identity_key = key;
    f.all = true;
    auto got = regressions(sql, f);
    ASSERT_EQ(got.size(), t.regressions.size()) << t.scenario << " " << t.statuses;
    for (std::size_t i = 0; i < got.size(); ++i) {
      const auto& g = got[i];
      const auto& w = t.regressions[i];
      EXPECT_EQ(g.last_pass.checkout_id, w.last_pass);
      EXPECT_EQ(g.first_fail.checkout_id, w.first_fail);
      EXPECT_EQ(g.last_fail.checkout_id, w.last_fail);
      EXPECT_EQ(g.active, w.active);
      EXPECT_EQ(g.fail_count, w.fail_count);
      if (g.fail_count == 1) {
        EXPECT_EQ(g.summary, "new failure (last pass: " + g.last_pass.describe + ")");
      } else {
        // Checkouts are one a day: the ids end in the day number.
        auto day = [](const std::string& id) { return std::stoi(id.substr(id.rfind('-') + 1)); };
        int days = day(w.last_fail) - day(w.first_fail);
        EXPECT_EQ(g.summary, "failing since " + std::to_string(days) +
                                 (days == 1 ? " day" : " days") +
                                 " (last pass: " + g.last_pass.describe +
                                 ", first fail: " + g.first_fail.describe + ")");
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 10u);

  // What a report of a branch's newest checkout lists: the active
  // regressions whose newest failure is in it, held-back (unstable) ones too.
  std::size_t in_newest = 0;
  for (const auto& branch : truth.branches) {
    const std::string& newest = branch.checkouts.back();
    std::size_t want = 0;
    for (const auto& t : truth.identities) {
      for (const auto& w : t.regressions) want += w.active && w.last_fail == newest;
    }
    RegressionFilter f;
    f.unreported = true;
    f.last_fail_checkout = newest;
    auto got = regressions(sql, f);
    EXPECT_EQ(got.size(), want) << newest;
    for (const auto& g : got) {
      EXPECT_TRUE(g.active);
      EXPECT_EQ(g.last_fail.checkout_id, newest);
    }
    in_newest += got.size();
  }
  EXPECT_GT(in_newest, 0u);

  // Every pair of consecutive checkouts of every branch.
  std::map<std::string, std::size_t> seen;
  std::map<std::string, const TruthIdentity*> by_key;
  for (const auto& t : truth.identities) by_key[t.identity.key()] = &t;
  for (const auto& branch : truth.branches) {
    for (std::size_t k = 1; k < branch.checkouts.size(); ++k) {
      for (Kind kind : {Kind::kTest, Kind::kBuild}) {
        auto r = compare(sql, branch.checkouts[k - 1], branch.checkouts[k], kind);
        std::map<std::string, std::string> got;
        for (const auto& [c, items] : r.items)
          for (const auto& item : items) {
            got[item.key] = category_name(c);
            ++seen[category_name(c)];
            char a = item.a ? letter(item.a) : '-', b = item.b ? letter(item.b) : '-';
            const auto* t = by_key.at(item.key);
            EXPECT_EQ(a, t->statuses[k - 1]);
            EXPECT_EQ(b, t->statuses[k]);
          }
        for (const auto& t : truth.identities) {
          if (t.identity.kind != kind || t.identity.origin != branch.origin ||
              t.identity.tree_name != branch.tree_name ||
              t.identity.git_repository_branch != branch.branch)
            continue;
          std::string want = expected_category(t.statuses[k - 1], t.statuses[k]);
          auto it = got.find(t.identity.key());
          EXPECT_EQ(it == got.end() ? "" : it->second, want)
              << t.scenario << " " << t.statuses << " at " << k;
        }
      }
    }
  }
  for (Category c : kListedCategories)
    EXPECT_GT(seen[category_name(c)], 0u) << "no " << category_name(c) << " planted";

  // Summaries.
  for (const auto& [cid, kinds] : truth.counts) {
    auto s = summary(sql, cid);
    ASSERT_TRUE(s) << cid;
    for (const auto& [kind, statuses] : kinds)
      for (const auto& [status, n] : statuses) EXPECT_EQ(s->counts[kind][status], n) << cid;
  }
}

void run_incremental_vs_rebuild(const std::string& spec) {
  GenOptions o;
  o.origins = 2;
  o.checkouts = 10;
  o.paths = 8;
  Generator g(o);
  report::Report all;
  g.run([&](report::Report& r) {
    for (auto& c : r.checkouts) all.checkouts.push_back(std::move(c));
    for (auto& b : r.builds) all.builds.push_back(std::move(b));
    for (auto& t : r.tests) all.tests.push_back(std::move(t));
  });
  Db db(spec);
  auto batches = shuffled_batches(all, 7, 42);
  for (std::size_t i = 0; i < batches.size(); ++i) {
    auto ev = event_of(batches[i]);
    db.store->load(batches[i]);
    db.analyzer->update(ev);
    if (i == 2) db.analyzer->update(ev);  // at least once: a repeat changes nothing
  }
  std::string incremental = dump_tables(*db.sql);
  check_against_truth(*db.sql, g.truth());
  db.analyzer->rebuild(997);
  std::string rebuilt = dump_tables(*db.sql);
  EXPECT_GT(incremental.size(), 1000u);
  EXPECT_TRUE(incremental == rebuilt) << "incremental and rebuilt tables differ";
  if (incremental != rebuilt) {
    std::ofstream("/tmp/kci-analysis-incremental.txt") << incremental;
    std::ofstream("/tmp/kci-analysis-rebuilt.txt") << rebuilt;
  }
}

// One report per checkout, in order: the append path of every identity.
TEST(AnalyzerSqlite, InOrderLoadsAppendAndEqualRebuildAndTruth) {
  TempDir dir;
  GenOptions o;
  o.checkouts = 14;
  Generator g(o);
  Db db("sqlite:" + dir.path() + "/kci.db");
  std::size_t appended = 0;
  g.run([&](report::Report& r) {
    auto ev = event_of(r);
    db.store->load(r);
    appended += db.analyzer->update(ev).identities;
  });
  EXPECT_GT(appended, 1000u);
  std::string incremental = dump_tables(*db.sql);
  check_against_truth(*db.sql, g.truth());
  db.analyzer->rebuild();
  EXPECT_TRUE(incremental == dump_tables(*db.sql)) << "incremental and rebuilt tables differ";
}

TEST(AnalyzerSqlite, IncrementalInRandomBatchesEqualsRebuildAndTruth) {
  TempDir dir;
  run_incremental_vs_rebuild("sqlite:" + dir.path() + "/kci.db");
}

TEST(AnalyzerPostgresql, IncrementalInRandomBatchesEqualsRebuildAndTruth) {
  auto* cluster = store::testing::PgTestCluster::get();
  if (!cluster) {
    if (std::getenv("CI") && std::string(std::getenv("CI")) == "true")
      FAIL() << "PostgreSQL is required under CI=true: "
             << store::testing::PgTestCluster::skip_reason();
    GTEST_SKIP() << store::testing::PgTestCluster::skip_reason();
  }
  run_incremental_vs_rebuild(cluster->create_database());
}

// A merged object changes its identity: the old identity loses the result.
TEST(AnalyzerSqlite, MovedResultLeavesItsOldIdentity) {
  TempDir dir;
  Db db("sqlite:" + dir.path() + "/kci.db");
  report::Report r;
  report::Checkout c;
  c.id = "o:c1";
  c.origin = "o";
  c.tree_name = "mainline";
  c.git_repository_branch = "master";
  c.start_time = "2026-11-01T00:00:00+00:00";
  r.checkouts.push_back(c);
  report::Build b;
  b.id = "o:b1";
  b.checkout_id = "o:c1";
  b.origin = "o";
  b.architecture = "x86_64";
  b.status = "PASS";
  r.builds.push_back(b);
  report::Test t;
  t.id = "o:t1";
  t.build_id = "o:b1";
  t.origin = "o";
  t.status = "FAIL";
  r.tests.push_back(t);
  db.store->load(r);
  db.analyzer->update(event_of(r));
  auto before = identity_of(*db.sql, Kind::kTest, "o:t1");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->identity.path, "");
  report::Report r2;
  t.path = "baseline.login";
  r2.tests.push_back(t);
  db.store->load(r2);
  db.analyzer->update(event_of(r2));
  auto after = identity_of(*db.sql, Kind::kTest, "o:t1");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->identity.path, "baseline.login");
  EXPECT_FALSE(identity_by_key(*db.sql, before->key));
  std::string incremental = dump_tables(*db.sql);
  db.analyzer->rebuild();
  EXPECT_EQ(incremental, dump_tables(*db.sql));
}

// The real 2019 KernelCI and CKI samples: every result with its parents is
// in the analysis, summaries add up, regressions match a direct count.
const std::string kShared = KCI_SOURCE_DIR "/../shared";

void run_sample(const std::string& file) {
  std::string path = kShared + "/kcidb-samples/" + file;
  if (!fs::exists(path)) {
    if (std::getenv("CI") && std::string(std::getenv("CI")) == "true")
      FAIL() << "missing " << path << " (required under CI=true)";
    GTEST_SKIP() << "no " << path << " (the shared folder beside the source tree is absent)";
  }
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json::Document doc;
  doc.Parse(text.data(), text.size());
  ASSERT_FALSE(doc.HasParseError());
  report::Report r = report::from_json(doc);
  TempDir dir;
  Db db("sqlite:" + dir.path() + "/kci.db");
  db.store->load(r);
  // Everything, as stored (merged duplicates).
  report::Report stored;
  db.store->dump({}, false, 0, [&](report::Report& part) { stored = std::move(part); });
  auto stats = db.analyzer->update(event_of(stored));
  std::string incremental = dump_tables(*db.sql);
  db.analyzer->rebuild();
  EXPECT_EQ(incremental, dump_tables(*db.sql));

  // The direct count: identities from the objects, ordered by checkout time.
  std::map<std::string, const report::Checkout*> checkouts;
  std::map<std::string, const report::Build*> builds;
  for (const auto& c : stored.checkouts) checkouts[*c.id] = &c;
  for (const auto& b : stored.builds) builds[*b.id] = &b;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>>
      seqs;  // key -> (order, status)
  std::size_t with_parents = 0;
  std::map<std::string, long long> per_checkout;
  for (const auto& b : stored.builds) {
    auto c = checkouts.find(b.checkout_id.value_or(""));
    if (c == checkouts.end()) continue;
    ++with_parents;
    ++per_checkout[*c->second->id];
    seqs[build_identity(*c->second, b).key()].push_back({normalize_time(c->second->start_time) +
                                                             *c->second->id +
                                                             normalize_time(b.start_time) + *b.id,
                                                         b.status.value_or("")});
  }
  for (const auto& t : stored.tests) {
    auto b = builds.find(t.build_id.value_or(""));
    if (b == builds.end()) continue;
    auto c = checkouts.find(b->second->checkout_id.value_or(""));
    if (c == checkouts.end()) continue;
    ++with_parents;
    ++per_checkout[*c->second->id];
    seqs[test_identity(*c->second, *b->second, t).key()].push_back(
        {normalize_time(c->second->start_time) + "\t" + *c->second->id + "\t" +
             normalize_time(t.start_time) + "\t" + *t.id,
         t.status.value_or("")});
  }
  EXPECT_EQ(stats.results, with_parents);
  EXPECT_GT(with_parents, 100u);
  std::size_t want_regressions = 0;
  for (auto& [key, seq] : seqs) {
    std::sort(seq.begin(), seq.end());
    std::string last;
    for (const auto& [order, status] : seq) {
      if (status != "PASS" && status != "FAIL") continue;
      if (last == "PASS" && status == "FAIL") ++want_regressions;
      last = status;
    }
  }
  RegressionFilter all;
  all.all = true;
  EXPECT_EQ(regressions(*db.sql, all).size(), want_regressions);
  for (const auto& [cid, n] : per_checkout) {
    auto s = summary(*db.sql, cid);
    ASSERT_TRUE(s);
    long long total = 0;
    for (const auto& [kind, statuses] : s->counts)
      for (const auto& [status, k] : statuses) total += k;
    EXPECT_EQ(total, n) << cid;
  }
  std::printf("%s: %zu results, %zu identities, %zu regressions\n", file.c_str(), with_parents,
              seqs.size(), want_regressions);
}

TEST(AnalyzerSamples, KernelCI2019) { run_sample("kcidb-2019-kernelci.v05_03-derived.json"); }
TEST(AnalyzerSamples, CKI2019) { run_sample("kcidb-2019-cki.v05_03-derived.json"); }

}  // namespace
}  // namespace kci::analysis
