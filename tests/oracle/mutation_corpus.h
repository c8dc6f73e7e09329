// SPDX-License-Identifier: LGPL-2.1-or-later
// A deterministic corpus of mutated KCIDB reports: each mutant is a valid
// base report with one (sometimes two) targeted changes at a value the
// schema describes: a field removed, a wrong type, null, an extra property,
// a bad pattern/enum/date/uri, long or odd Unicode strings, integer-valued
// floats, a "\n" before the end of a pattern-checked string, NUL...
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "kcidb_schemas.h"
#include "report/json.h"

namespace kci::oracle {

struct BaseReport {
  std::string name;
  json::Document doc;
};

struct Mutant {
  std::string family;       // kind of change, e.g. "format-date-time"
  std::string base;         // name of the base report
  std::string pointer;      // JSON pointer of the changed value
  std::string replacement;  // the new value as JSON ("" when removed)
  json::Document doc;
};

class MutationCorpus {
 public:
  // bases must outlive the corpus. Same seed, same bases: same mutants.
  MutationCorpus(const std::vector<BaseReport>& bases, const KcidbSchemas& schemas,
                 std::uint64_t seed);

  // Fills out with the next mutant.
  void next(Mutant& out);

 private:
  struct Site {
    Path path;
    const json::Value* schema;  // node of the official schema describing it
  };
  struct BaseSites {
    std::vector<Site> sites;
  };
  bool apply(std::size_t family, const BaseReport& base, const BaseSites& sites, Mutant& out);
  std::size_t pick(std::size_t n) { return static_cast<std::size_t>(rng_() % n); }

  const std::vector<BaseReport>& bases_;
  std::vector<BaseSites> sites_;
  std::mt19937_64 rng_;
  std::size_t counter_ = 0;
};

// Navigates doc to path (which must exist).
json::Value& value_at(json::Value& doc, const Path& path);

}  // namespace kci::oracle
