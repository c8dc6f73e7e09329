// SPDX-License-Identifier: LGPL-2.1-or-later
// Report validation throughput, side by side on one core: raw RapidJSON
// parsing (the floor), kci's parse + validate + upgrade, and valijson on the
// official v5.3 schema (a generic JSON Schema validator). The input is the
// CKI v5.3 sample repeated with ID suffixes (-x1 .. -xN) until it is at
// least 15 MB. Figures go to docs/performance.md, section "Report
// validation"; nothing here is asserted.
//
//   report_bench [SAMPLE.json [MIN_MB]]
// RapidJSON (through report/json.h) must come before valijson: included
// first, valijson would redefine RAPIDJSON_ASSERT for this file only.
#include "raw_parse.h"
#include "report/json.h"

#include <valijson/adapters/rapidjson_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "bench_util.h"
#include "report/merge.h"
#include "report/stream.h"
#include "report/upgrade.h"
#include "report/validate.h"
#include "util/file.h"

namespace {

using kci::json::Document;
using kci::json::Value;

// Timings are CPU time of this thread, not wall time: the project machine
// is shared, and a busy neighbour would otherwise count against us.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
};

double seconds_since(double start) { return Clock::now() - start; }

// Appends suffix to every ID and ID reference, so copies stay distinct
// objects (the issue version is part of an issue's identity, left alone).
void suffix_ids(Value& object, const std::string& suffix, kci::json::Allocator& alloc) {
  for (const char* field : {"id", "checkout_id", "build_id", "test_id", "issue_id"}) {
    auto it = object.FindMember(field);
    if (it == object.MemberEnd() || !it->value.IsString()) continue;
    std::string id(kci::json::str(it->value));
    id += suffix;
    it->value.SetString(id.c_str(), static_cast<rapidjson::SizeType>(id.size()), alloc);
  }
}

// The sample repeated with suffixes until its text reaches min_bytes.
std::string build_report(const Document& sample, std::size_t min_bytes, std::size_t& copies) {
  Document big;
  auto& alloc = big.GetAllocator();
  big.SetObject();
  big.AddMember("version", Value(sample["version"], alloc), alloc);
  for (const char* list : kci::report::kObjectLists) {
    if (sample.HasMember(list))
      big.AddMember(Value(list, alloc), Value(rapidjson::kArrayType), alloc);
  }
  // Size of one copy: the sample's own text size is close enough to plan.
  std::size_t one_copy = kci::json::write(sample, 2).size();
  copies = (min_bytes + one_copy - 1) / one_copy;
  for (std::size_t n = 1; n <= copies; ++n) {
    std::string suffix = "-x" + std::to_string(n);
    for (const char* list : kci::report::kObjectLists) {
      if (!sample.HasMember(list)) continue;
      for (const Value& object : sample[list].GetArray()) {
        Value copy(object, alloc);
        suffix_ids(copy, suffix, alloc);
        big[list].PushBack(copy, alloc);
      }
    }
  }
  return kci::json::write(big, 2);
}

template <typename Fn>
double best_of(int runs, Fn fn) {
  double best = 1e300;
  for (int i = 0; i < runs; ++i) best = std::min(best, fn());
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string sample_path =
      KCI_SOURCE_DIR "/../shared/kcidb-samples/kcidb-2019-cki.v05_03-derived.json";
  std::string schema_path = KCI_SOURCE_DIR "/../shared/kcidb-schema/v05_03.json";
  double min_mb = 15.0;
  CLI::App app{
      "Report validation on one core: raw RapidJSON, kci's parse + validate + "
      "upgrade, valijson on the official schema (docs/performance.md, \"Report "
      "validation\")"};
  app.add_option("sample", sample_path, "KCIDB v5.3 report repeated with id suffixes")
      ->capture_default_str();
  app.add_option("min_mb", min_mb, "Size of the input at least, MB")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--schema", schema_path, "The official v5.3 JSON Schema for valijson")
      ->capture_default_str();
  kci::bench::parse_args(app, argc, argv);
  auto min_bytes = static_cast<std::size_t>(min_mb * 1e6);

  Document sample;
  std::string sample_text = kci::read_file(sample_path);
  sample.Parse(sample_text.c_str(), sample_text.size());
  if (sample.HasParseError()) {
    std::fprintf(stderr, "cannot parse %s\n", sample_path.c_str());
    return 1;
  }
  std::size_t copies = 0;
  const std::string text = build_report(sample, min_bytes, copies);
  const double mb = static_cast<double>(text.size()) / 1e6;
  std::size_t objects = 0;
  {
    Document d;
    d.Parse(text.c_str(), text.size());
    objects = kci::report::count_objects(d);
  }
  std::printf("input: %s x %zu copies = %.1f MB, %zu objects\n", sample_path.c_str(), copies, mb,
              objects);
  constexpr int kRuns = 5;

  // 1. Raw RapidJSON into a DOM, in place, with the flags of
  // src/report/stream.cpp. The copy of the text an in-place parse needs is
  // made before the timer starts (kci's reader makes its own, timed).
  double raw = best_of(kRuns, [&] {
    std::string input = text;
    auto start = Clock::now();
    bool ok = kci::bench::raw_parse(input);
    double s = seconds_since(start);
    if (!ok) std::abort();
    return s;
  });

  // 2. kci: what `kci upgrade` does per report, from text to an upgraded
  // document. The reader takes the text it is given (the commands move the
  // file they read into it), so handing it a copy is not timed; the working
  // copy it parses in place is.
  bool kci_valid = true;
  double kci = best_of(kRuns, [&] {
    std::string input = text;
    auto start = Clock::now();
    kci::report::JsonStreamReader reader(std::move(input), "bench");
    auto value = reader.next();
    kci::report::ValidationResult result = kci::report::validate_report(value->doc);
    kci_valid = kci_valid && result.ok();
    kci::report::upgrade_report(value->doc);
    return seconds_since(start);
  });

  // 3. valijson on the official schema, one validator reused (it caches
  // compiled regexes). Parsing is timed separately (DOM with copies, as
  // valijson users do).
  Document schema_doc;
  std::string schema_text = kci::read_file(schema_path);
  schema_doc.Parse(schema_text.c_str(), schema_text.size());
  valijson::Schema schema;
  valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
  valijson::adapters::RapidJsonAdapter schema_adapter(schema_doc);
  parser.populateSchema(schema_adapter, schema);
  valijson::Validator validator;
  Document parsed;
  double valijson_parse = best_of(kRuns, [&] {
    auto start = Clock::now();
    bool ok = kci::bench::copying_parse(text, parsed);
    double s = seconds_since(start);
    if (!ok) std::abort();
    return s;
  });
  bool valijson_valid = true;
  constexpr int kValijsonRuns = 2;  // slow: two runs are plenty
  double valijson_validate = best_of(kValijsonRuns, [&] {
    auto start = Clock::now();
    valijson::adapters::RapidJsonAdapter adapter(parsed);
    valijson_valid = validator.validate(schema, adapter, nullptr) && valijson_valid;
    return seconds_since(start);
  });
  double valijson_total = valijson_parse + valijson_validate;

  auto row = [&](const char* what, double s) {
    std::printf("  %-48s %8.3f s %9.1f MB/s %12.0f objects/s\n", what, s, mb / s,
                static_cast<double>(objects) / s);
  };
  std::printf("best of %d runs (valijson: %d), CPU time of one thread:\n", kRuns, kValijsonRuns);
  row("raw RapidJSON parse (in-situ, stream.cpp flags)", raw);
  row("kci parse + validate + upgrade", kci);
  row("valijson validate only (v05_03.json)", valijson_validate);
  row("valijson parse + validate", valijson_total);
  std::printf("verdicts: kci %s, valijson %s\n", kci_valid ? "valid" : "INVALID",
              valijson_valid ? "valid" : "INVALID");
  std::printf("kci vs valijson (parse + validate): %.1fx faster (target >= 10x)\n",
              valijson_total / kci);
  std::printf("kci vs valijson (validate only):    %.1fx faster\n", valijson_validate / kci);
  std::printf("raw parse vs kci: kci takes %.1fx the raw parse time (target <= 5x)\n", kci / raw);
  std::printf("kci throughput: %.0f MB/s (target >= 300 MB/s)\n", mb / kci);
  return kci_valid && valijson_valid ? 0 : 1;
}
