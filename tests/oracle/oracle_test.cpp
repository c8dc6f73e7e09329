// SPDX-License-Identifier: LGPL-2.1-or-later
// Differential oracle: kci's validator against kcidb-io's semantics, with
// valijson on the official KCIDB JSON Schemas as the independent engine.
//
//   kci      = kci::report::validate_report (formats checked)
//   kcidb-io = valijson on the official schema with the leaf keywords
//              valijson gets wrong for Python replaced by python_checks.h
//   valijson = valijson on the official schema as it is
//   own      = valijson on kci's generated schema (build_json_schema)
//
// kci must equal kcidb-io on every report; valijson may differ from
// kcidb-io only for a named cause (python_checks.h), counted per cause; own
// must equal valijson. The official schemas and samples are GPL data read
// from ../shared at test time, never copied into the tree.
#include <gtest/gtest.h>
#include <valijson/schema.hpp>

#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kcidb_schemas.h"
#include "mutation_corpus.h"
#include "python_checks.h"
#include "report/schema.h"
#include "report/validate.h"
#include "util/file.h"
#include "util/test_support.h"

namespace kci::oracle {
namespace {

namespace fs = std::filesystem;

const std::string kShared = KCI_SOURCE_DIR "/../shared";
constexpr std::size_t kCorpusSize = 10240;
constexpr std::uint64_t kSeed = 20261124;
constexpr std::size_t kMaxShownFailures = 15;
// The corpus is judged on two threads: the machine budget of the project.
constexpr std::size_t kThreads = 2;

json::Document parse_file(const std::string& path) {
  std::string text = read_file(path);
  json::Document doc;
  doc.Parse(text.c_str(), text.size());
  if (doc.HasParseError()) throw std::runtime_error("cannot parse " + path);
  return doc;
}

// The first n objects of every top-level list: small bases keep the
// corpus fast while covering every object type.
json::Document trimmed(const json::Document& full, std::size_t n) {
  json::Document doc;
  doc.CopyFrom(full, doc.GetAllocator());
  for (auto& m : doc.GetObject()) {
    if (m.value.IsArray()) {
      while (m.value.Size() > n) m.value.PopBack();
    }
  }
  return doc;
}

// Runs body(0) .. body(threads - 1) on as many threads with 1 GB stacks
// (reserved, committed only as used). libstdc++'s std::regex (valijson's
// "pattern", and Python's patterns here) recurses once or more per
// character matched: a log_excerpt of 16385 four-byte characters overflows
// the default 8 MB stack. docs/compatibility.md notes this valijson limit.
void on_big_stacks(std::size_t threads, const std::function<void(std::size_t)>& body) {
  struct Task {
    const std::function<void(std::size_t)>* body;
    std::size_t index;
  };
  std::vector<Task> tasks;
  for (std::size_t i = 0; i < threads; ++i) tasks.push_back({&body, i});
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, std::size_t{1} << 30);
  std::vector<pthread_t> ids(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    auto trampoline = [](void* arg) -> void* {
      auto* task = static_cast<Task*>(arg);
      (*task->body)(task->index);
      return nullptr;
    };
    if (pthread_create(&ids[i], &attr, trampoline, &tasks[i]) != 0) std::abort();
  }
  for (pthread_t id : ids) pthread_join(id, nullptr);
  pthread_attr_destroy(&attr);
}

// Removes the date-time values of a report but the first `keep`. valijson
// compiles a std::regex for every date-time it checks (about 0.3 ms each,
// most of the corpus time), and dropping optional values of a valid base
// keeps it valid; the samples test covers date-times in bulk.
void strip_date_times(json::Document& doc, const KcidbSchemas& schemas, std::size_t keep) {
  std::vector<Path> found;
  walk_schema(schemas.official(schemas.select(doc)), doc,
              [&](const json::Value& schema, const json::Value& value, const Path& path) {
                auto f = schema.FindMember("format");
                if (f != schema.MemberEnd() && f->value == "date-time" && value.IsString()) {
                  found.push_back(path);
                }
              });
  for (std::size_t i = found.size(); i-- > keep;) {
    Path parent(found[i].begin(), found[i].end() - 1);
    value_at(doc, parent).RemoveMember(found[i].back().name.c_str());
  }
}

// A readable, bounded rendering of a value for failure messages.
std::string shown(std::string s) {
  if (s.size() > 160) s = s.substr(0, 160) + "...";
  return s;
}

struct Verdicts {
  bool kci = false;
  bool kcidb_io = false;
  bool valijson = false;
  bool valijson_threw = false;
  std::set<Cause> causes;
  std::vector<report::ValidationError> kci_errors;
};

class Oracle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::is_directory(kShared + "/kcidb-schema")) return;
    schemas_ = std::make_unique<KcidbSchemas>(kShared + "/kcidb-schema");
  }
  static void TearDownTestSuite() { schemas_.reset(); }

  void SetUp() override {
    if (!schemas_) {
      KCI_MISSING_REAL_PART(
          "no official KCIDB schemas at "
          << kShared << "/kcidb-schema (the shared folder beside the source tree is absent)");
    }
  }

  static Verdicts judge(const json::Value& report) {
    Verdicts v;
    report::ValidationResult result = report::validate_report(report);
    v.kci = result.ok();
    v.kci_errors = std::move(result.errors);
    v.kcidb_io = schemas_->python_accepts(report);
    report::Version version = schemas_->select(report);
    v.valijson = valijson_accepts(schemas_->official_compiled(version), report, &v.valijson_threw);
    if (v.valijson != v.kcidb_io) schemas_->python_accepts(report, &v.causes);
    return v;
  }

  // valijson on kci's own schema of a version, compiled once (the first
  // calls happen before any worker thread starts).
  static const valijson::Schema& own_schema(report::Version v) {
    static std::map<report::Version, std::pair<json::Document, std::shared_ptr<valijson::Schema>>>
        cache;
    auto it = cache.find(v);
    if (it == cache.end()) {
      json::Document doc;
      report::build_json_schema(v, doc);
      auto compiled = compile_schema(doc);
      it = cache.emplace(v, std::make_pair(std::move(doc), compiled)).first;
    }
    return *it->second.second;
  }

  static std::vector<BaseReport> bases() {
    const std::string samples = kShared + "/kcidb-samples/";
    std::vector<BaseReport> out;
    auto add = [&](std::string name, json::Document doc) {
      out.push_back({std::move(name), std::move(doc)});
    };
    add("COMPREHENSIVE_IO_DATA.v05_03",
        parse_file(samples + "kcidb-test_db-COMPREHENSIVE_IO_DATA.v05_03.json"));
    for (const char* v : {"v03_00", "v04_00", "v04_02", "v04_03", "v04_04", "v04_05", "v05_00",
                          "v05_01", "v05_02", "v05_03"}) {
      add(std::string("upgrade-") + v,
          parse_file(samples + "kcidb-test_db-upgrade-" + v + ".io.json"));
    }
    // v4.1 has no sample: v4.0 data relabelled is valid v4.1 data.
    json::Document v41 = parse_file(samples + "kcidb-test_db-upgrade-v04_00.io.json");
    v41["version"]["minor"] = 1;
    add("upgrade-v04_00-as-v04_01", std::move(v41));
    add("cki.v01 (1 of each)", trimmed(parse_file(samples + "kcidb-2019-cki.v01.json"), 1));
    add("kernelci.v01 (1 of each)",
        trimmed(parse_file(samples + "kcidb-2019-kernelci.v01.json"), 1));
    add("cki.v05_03 (1 of each)",
        trimmed(parse_file(samples + "kcidb-2019-cki.v05_03-derived.json"), 1));
    add("kernelci.v05_03 (1 of each)",
        trimmed(parse_file(samples + "kcidb-2019-kernelci.v05_03-derived.json"), 1));
    // One date-time survives in three bases of different majors, for the
    // date-time mutations to aim at.
    for (BaseReport& base : out) {
      bool keep_one = base.name == "COMPREHENSIVE_IO_DATA.v05_03" ||
                      base.name == "upgrade-v03_00" || base.name == "cki.v01 (1 of each)";
      strip_date_times(base.doc, *schemas_, keep_one ? 1 : 0);
    }
    return out;
  }

  static std::unique_ptr<KcidbSchemas> schemas_;
};

std::unique_ptr<KcidbSchemas> Oracle::schemas_;

TEST_F(Oracle, PythonChecksReproduceKcidbIo) {
  // Behaviour of kcidb-io + jsonschema 4.26 + rfc3339-validator + rfc3987
  // (docs/compatibility.md; ../shared/reference/kcidb.md section 11).
  EXPECT_TRUE(python_pattern_search("^[a-z0-9_]+$", "abc\n"));
  EXPECT_FALSE(python_pattern_search("^[a-z0-9_]+$", "abc\n\n"));
  EXPECT_FALSE(python_pattern_search("^[a-z0-9_]+$", "ab\nc"));
  EXPECT_TRUE(python_pattern_search("^[0-9a-f]{40}$", std::string(40, 'a') + "\n"));
  EXPECT_TRUE(python_pattern_search("^[a-z0-9_]+:.*$", "a:b\rc"));
  EXPECT_FALSE(python_pattern_search("^[a-z0-9_]+:.*$", "a:b\nc"));
  EXPECT_TRUE(python_pattern_search("^$|^[0-9a-f]{64}$", ""));
  EXPECT_TRUE(python_pattern_search("^$|^[0-9a-f]{64}$", "\n"));
  EXPECT_FALSE(python_pattern_search("^[^\\0]*$", std::string("a\0b", 3)));
  EXPECT_TRUE(python_is_date_time("2020-08-14T23:08:06.967000+00:00"));
  EXPECT_TRUE(python_is_date_time("2020-08-14t23:08:06z"));
  EXPECT_TRUE(python_is_date_time("2020-02-29T00:00:00Z\n"));
  EXPECT_FALSE(python_is_date_time("2019-02-29T00:00:00Z"));
  EXPECT_FALSE(python_is_date_time("0000-01-01T00:00:00Z"));
  EXPECT_FALSE(python_is_date_time("2016-12-31T23:59:60Z"));
  EXPECT_FALSE(python_is_date_time("2020-08-14T23:08:06"));
  EXPECT_FALSE(python_is_date_time("yesterday"));
  EXPECT_TRUE(python_is_uri("https://x/a?b#c"));
  EXPECT_TRUE(python_is_uri("http://[FE80::1]/"));
  EXPECT_TRUE(python_is_uri("http://[fe80::1]/"));
  EXPECT_TRUE(python_is_uri("https://x/%2f"));
  EXPECT_FALSE(python_is_uri("https://x/%2g"));
  EXPECT_FALSE(python_is_uri("build.log"));
  EXPECT_FALSE(python_is_uri("https://x/a b"));
  EXPECT_TRUE(python_is_uri("https://x/\n"));
  EXPECT_EQ(python_length("\xf0\x9f\x98\x80"
                          "a"),
            2u);
  EXPECT_EQ(python_length(std::string("a\0b", 3)), 3u);
}

void report_failures(const std::vector<std::string>& failures, std::size_t total,
                     const char* what) {
  std::string text;
  // KCI_ORACLE_SHOW_ALL=1 lists every failure, not the first few.
  std::size_t shown_max = std::getenv("KCI_ORACLE_SHOW_ALL") ? failures.size() : kMaxShownFailures;
  for (std::size_t i = 0; i < failures.size() && i < shown_max; ++i) text += failures[i] + "\n";
  ADD_FAILURE() << failures.size() << " of " << total << " reports: " << what << "\n" << text;
}

TEST_F(Oracle, SamplesAgreeWithKcidbIo) {
  std::vector<std::string> failures;
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(kShared + "/kcidb-samples")) {
    std::string name = entry.path().filename().string();
    // ORM rows (*.oo.json) and the test catalog are not reports.
    if (entry.path().extension() != ".json" || name.ends_with(".oo.json") ||
        name == "kcidb-tests-catalog.json") {
      continue;
    }
    json::Document doc = parse_file(entry.path().string());
    Verdicts v;
    on_big_stacks(1, [&](std::size_t) { v = judge(doc); });
    ++n;
    std::printf("  %-50s kci=%d kcidb-io=%d valijson=%d\n", name.c_str(), v.kci, v.kcidb_io,
                v.valijson);
    if (v.kci != v.kcidb_io) {
      failures.push_back(
          name + ": kci=" + std::to_string(v.kci) + " kcidb-io=" + std::to_string(v.kcidb_io) +
          (v.kci_errors.empty() ? "" : " first kci error: " + v.kci_errors[0].str()));
    }
    if (v.valijson != v.kcidb_io && v.causes.empty())
      failures.push_back(name + ": unclassified valijson difference");
  }
  EXPECT_GE(n, 14u);
  if (!failures.empty()) report_failures(failures, n, "kci disagrees with kcidb-io");
}

// Verdicts on one mutant, kept with it until the results are tallied.
struct Judged {
  Mutant mutant;
  Verdicts verdicts;
  std::optional<bool> own;  // valijson on kci's schema; nullopt if kci has none
};

TEST_F(Oracle, MutationsAgreeWithKcidbIo) {
  auto start = std::chrono::steady_clock::now();
  std::vector<BaseReport> base_reports = bases();
  MutationCorpus corpus(base_reports, *schemas_, kSeed);
  bool have_own_schema = true;
  try {
    for (const report::Version& v : report::known_versions()) own_schema(v);
  } catch (const std::exception& e) {
    have_own_schema = false;
    std::printf("kci cannot generate its schema yet (%s): own-schema check skipped\n", e.what());
  }

  struct Counts {
    std::size_t total = 0, valid = 0, agree = 0, valijson_differs = 0;
  };
  std::map<std::string, Counts> by_family;
  std::map<Cause, std::size_t> by_cause;
  std::size_t agreements = 0, own_agreements = 0, valijson_throws = 0, valijson_differs = 0;
  std::vector<std::string> failures, own_failures;

  // Mutants are generated in order (so the corpus is the same whatever the
  // thread count), judged in parallel, and tallied in order.
  std::vector<Judged> chunk(256);
  for (std::size_t first = 0; first < kCorpusSize; first += chunk.size()) {
    std::size_t n = std::min(chunk.size(), kCorpusSize - first);
    for (std::size_t i = 0; i < n; ++i) corpus.next(chunk[i].mutant);
    on_big_stacks(kThreads, [&](std::size_t thread) {
      for (std::size_t i = thread; i < n; i += kThreads) {
        Judged& j = chunk[i];
        j.verdicts = judge(j.mutant.doc);
        j.own.reset();
        if (have_own_schema) {
          j.own = valijson_accepts(own_schema(schemas_->select(j.mutant.doc)), j.mutant.doc);
        }
      }
    });
    for (std::size_t i = 0; i < n; ++i) {
      const Mutant& m = chunk[i].mutant;
      const Verdicts& v = chunk[i].verdicts;
      std::string id = "#" + std::to_string(first + i) + " " + m.family + " on " + m.base + " at " +
                       m.pointer + " = " + shown(m.replacement);
      // Mutants with two changes are tallied together: the single-change
      // families are the interesting rows.
      Counts& c = by_family[m.family.find('+') == std::string::npos ? m.family : "(two changes)"];
      ++c.total;
      c.valid += v.kcidb_io;
      valijson_throws += v.valijson_threw;
      if (v.kci == v.kcidb_io) {
        ++c.agree;
        ++agreements;
      } else {
        std::string kci_says = v.kci_errors.empty() ? "valid" : v.kci_errors[0].str();
        failures.push_back(id + ": kcidb-io says " + (v.kcidb_io ? "valid" : "invalid") +
                           ", kci says " + shown(kci_says));
      }
      if (v.valijson != v.kcidb_io) {
        ++c.valijson_differs;
        ++valijson_differs;
        if (v.causes.empty())
          failures.push_back(id + ": valijson differs from kcidb-io for no known cause");
        for (Cause cause : v.causes) ++by_cause[cause];
      }
      if (chunk[i].own) {
        if (*chunk[i].own == v.valijson) {
          ++own_agreements;
        } else {
          own_failures.push_back(id + ": official schema says " +
                                 (v.valijson ? "valid" : "invalid") + ", kci's own schema says " +
                                 (*chunk[i].own ? "valid" : "invalid"));
        }
      }
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::printf("%zu mutants of %zu base reports (seed %llu) in %.2f s\n", kCorpusSize,
              base_reports.size(), static_cast<unsigned long long>(kSeed), seconds);
  std::printf("kci agrees with kcidb-io on %zu of %zu\n", agreements, kCorpusSize);
  if (have_own_schema) {
    std::printf(
        "valijson on kci's own schema agrees with valijson on the official one on %zu of %zu\n",
        own_agreements, kCorpusSize);
  }
  std::printf("  %-22s %7s %7s %7s %9s\n", "family", "total", "valid", "agree", "valijson!=");
  for (const auto& [family, c] : by_family) {
    std::printf("  %-22s %7zu %7zu %7zu %9zu\n", family.c_str(), c.total, c.valid, c.agree,
                c.valijson_differs);
  }
  std::printf(
      "valijson (official schema) differs from kcidb-io on %zu mutants; causes (one mutant may "
      "have "
      "several):\n",
      valijson_differs);
  for (const auto& [cause, count] : by_cause) std::printf("  %6zu  %s\n", count, cause_name(cause));
  std::printf(
      "valijson threw on a \"format\" given a non-string (counted invalid) on %zu mutants\n",
      valijson_throws);

  EXPECT_GE(kCorpusSize, 10000u);
  if (!failures.empty())
    report_failures(failures, kCorpusSize, "kci or valijson disagree with kcidb-io");
  if (!own_failures.empty()) {
    report_failures(own_failures, kCorpusSize, "kci's own schema disagrees with the official one");
  }
}

}  // namespace
}  // namespace kci::oracle
