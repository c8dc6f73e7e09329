// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/pattern_set.h"

#include <hs/hs.h>

#include <algorithm>
#include <mutex>

#include "util/error.h"

namespace kci::triage {

namespace {

constexpr unsigned kFlags = HS_FLAG_MULTILINE | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;

}  // namespace

struct PatternSet::Impl {
  hs_database_t* db = nullptr;
  hs_scratch_t* prototype = nullptr;  // cloned for scanners
  // Scratch spaces of finished scanners, reused by the next ones (cloning
  // costs more than scanning a short excerpt).
  std::mutex mutex;
  std::vector<hs_scratch_t*> pool;
  ~Impl() {
    for (hs_scratch_t* s : pool) hs_free_scratch(s);
    if (prototype) hs_free_scratch(prototype);
    if (db) hs_free_database(db);
  }
  hs_scratch_t* take() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (!pool.empty()) {
        hs_scratch_t* s = pool.back();
        pool.pop_back();
        return s;
      }
    }
    hs_scratch_t* s = nullptr;
    if (hs_clone_scratch(prototype, &s) != HS_SUCCESS)
      throw Error("cannot allocate Vectorscan scratch space");
    return s;
  }
  void give(hs_scratch_t* s) {
    std::lock_guard<std::mutex> lock(mutex);
    if (pool.size() < 64) {
      pool.push_back(s);
    } else {
      hs_free_scratch(s);
    }
  }
};

std::string PatternSet::check(const std::string& pattern) {
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  if (hs_compile(pattern.c_str(), kFlags, HS_MODE_BLOCK, nullptr, &db, &err) != HS_SUCCESS) {
    std::string msg = err && err->message ? err->message : "does not compile";
    hs_free_compile_error(err);
    return msg;
  }
  hs_free_database(db);
  return {};
}

PatternSet::PatternSet(const std::vector<std::string>& patterns)
    : impl_(std::make_unique<Impl>()), size_(patterns.size()) {
  if (patterns.empty()) return;
  std::vector<const char*> exprs;
  std::vector<unsigned> flags(patterns.size(), kFlags);
  std::vector<unsigned> ids(patterns.size());
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    exprs.push_back(patterns[i].c_str());
    ids[i] = static_cast<unsigned>(i);
  }
  hs_compile_error_t* err = nullptr;
  if (hs_compile_multi(exprs.data(), flags.data(), ids.data(), static_cast<unsigned>(exprs.size()),
                       HS_MODE_BLOCK, nullptr, &impl_->db, &err) != HS_SUCCESS) {
    std::string msg = err && err->message ? err->message : "does not compile";
    int which = err ? err->expression : -1;
    hs_free_compile_error(err);
    if (which >= 0) {
      throw InvalidInputError("regex '" + patterns[static_cast<std::size_t>(which)] + "': " + msg);
    }
    throw InvalidInputError("regexes: " + msg);
  }
  if (hs_alloc_scratch(impl_->db, &impl_->prototype) != HS_SUCCESS) {
    throw Error("cannot allocate Vectorscan scratch space");
  }
}

PatternSet::~PatternSet() = default;
PatternSet::PatternSet(PatternSet&&) noexcept = default;
PatternSet& PatternSet::operator=(PatternSet&&) noexcept = default;

struct PatternSet::Scanner::Impl {
  PatternSet::Impl* set = nullptr;
  hs_scratch_t* scratch = nullptr;
  std::string carry;  // the start of a line cut by the end of a chunk
  std::vector<std::uint32_t> hits;
  ~Impl() {
    if (scratch) set->give(scratch);
  }
  void scan(std::string_view block);
};

namespace {

int on_match(unsigned int id, unsigned long long, unsigned long long, unsigned int, void* ctx) {
  static_cast<std::vector<std::uint32_t>*>(ctx)->push_back(id);
  return 0;
}

// A line longer than this is matched in pieces of this size.
constexpr std::size_t kMaxCarry = 64 << 10;

}  // namespace

void PatternSet::Scanner::Impl::scan(std::string_view block) {
  while (!block.empty()) {
    std::size_t n = std::min<std::size_t>(block.size(), 1u << 30);  // unsigned int length
    hs_scan(set->db, block.data(), static_cast<unsigned>(n), 0, scratch, on_match, &hits);
    block.remove_prefix(n);
  }
}

PatternSet::Scanner::Scanner(const PatternSet& set) : impl_(std::make_unique<Impl>()) {
  impl_->set = set.impl_.get();
  if (!impl_->set->db) return;
  impl_->scratch = impl_->set->take();
}

PatternSet::Scanner::~Scanner() = default;

// Regexes are line-local, so the text is matched in blocks that end at a
// newline: one block database, no stream state, and block-mode speed.
void PatternSet::Scanner::feed(std::string_view chunk) {
  if (!impl_->scratch) return;
  std::size_t last_nl = chunk.rfind('\n');
  if (last_nl == std::string_view::npos) {
    std::size_t room = kMaxCarry - std::min(kMaxCarry, impl_->carry.size());
    impl_->carry.append(chunk.substr(0, std::min(room, chunk.size())));
    if (impl_->carry.size() >= kMaxCarry) {
      impl_->scan(impl_->carry);
      impl_->carry.clear();
    }
    return;
  }
  std::string_view whole = chunk.substr(0, last_nl + 1);
  if (!impl_->carry.empty()) {
    std::size_t first_nl = whole.find('\n');
    impl_->carry.append(whole.substr(0, first_nl + 1));
    impl_->scan(impl_->carry);
    impl_->carry.clear();
    whole.remove_prefix(first_nl + 1);
  }
  impl_->scan(whole);
  impl_->carry.assign(chunk.substr(last_nl + 1).substr(0, kMaxCarry));
}

std::vector<std::uint32_t> PatternSet::Scanner::finish() {
  if (impl_->scratch && !impl_->carry.empty()) {
    impl_->scan(impl_->carry);
    impl_->carry.clear();
  }
  std::vector<std::uint32_t> out = std::move(impl_->hits);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::uint32_t> PatternSet::match(std::string_view text) const {
  Scanner s(*this);
  s.feed(text);
  return s.finish();
}

}  // namespace kci::triage
