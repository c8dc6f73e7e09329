// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/results/ktap.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <memory>

#include "util/text.h"

namespace kci::pipeline {

const char* to_string(KtapStatus status) {
  switch (status) {
    case KtapStatus::kPass: return "pass";
    case KtapStatus::kFail: return "fail";
    case KtapStatus::kSkip: return "skip";
    case KtapStatus::kTodo: return "todo";
    case KtapStatus::kCrashed: return "crashed";
    case KtapStatus::kNoResult: return "no result";
  }
  return "?";
}

namespace {

// A printk prefix such as "[    0.060000]" or "[    T1]": digits, dots,
// spaces and a caller letter between brackets.
std::size_t printk_prefix_length(std::string_view line) {
  std::size_t pos = 0;
  while (pos < line.size() && line[pos] == '[') {
    std::size_t close = line.find(']', pos);
    if (close == std::string_view::npos || close - pos > 24) break;
    bool looks_like_stamp = close > pos + 1;
    for (std::size_t i = pos + 1; i < close; ++i) {
      char c = line[i];
      if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == ' ' || c == 'T' ||
            c == 'C')) {
        looks_like_stamp = false;
      }
    }
    if (!looks_like_stamp) break;
    pos = close + 1;
  }
  if (pos > 0 && pos < line.size() && line[pos] == ' ') ++pos;
  return pos;
}

std::string_view trim_left(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string_view trim(std::string_view s) {
  s = trim_left(s);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Indentation width; a tab counts as 8 so that mixed tab/space output keeps
// its order.
int indent_of(std::string_view line) {
  int width = 0;
  for (char c : line) {
    if (c == ' ') {
      ++width;
    } else if (c == '\t') {
      width += 8;
    } else {
      break;
    }
  }
  return width;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::optional<int> parse_int(std::string_view s) {
  int value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

bool is_version_line(std::string_view body) {
  return starts_with(body, "KTAP version ") || starts_with(body, "TAP version ");
}

// "1..N"
std::optional<int> parse_plan(std::string_view body) {
  if (!starts_with(body, "1..")) return std::nullopt;
  return parse_int(trim(body.substr(3)));
}

struct ResultLine {
  bool ok = false;
  int number = 0;
  std::string name;
  KtapStatus status = KtapStatus::kNoResult;
  std::string reason;
};

// "ok 1 - name # SKIP reason" / "not ok 2 name # TODO why"
std::optional<ResultLine> parse_result(std::string_view body) {
  ResultLine r;
  std::string_view rest;
  if (starts_with(body, "ok ")) {
    r.ok = true;
    rest = body.substr(3);
  } else if (starts_with(body, "not ok ")) {
    rest = body.substr(7);
  } else {
    return std::nullopt;
  }
  rest = trim_left(rest);
  std::size_t digits = 0;
  while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
  if (digits == 0) return std::nullopt;
  r.number = parse_int(rest.substr(0, digits)).value_or(0);
  rest = trim_left(rest.substr(digits));
  if (starts_with(rest, "- ")) rest = rest.substr(2);
  std::string_view directive;
  if (std::size_t hash = rest.find('#'); hash != std::string_view::npos) {
    directive = trim(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  r.name = std::string(trim(rest));
  r.status = r.ok ? KtapStatus::kPass : KtapStatus::kFail;
  auto directive_is = [&](std::string_view word) {
    if (directive.size() < word.size()) return false;
    for (std::size_t i = 0; i < word.size(); ++i) {
      if (std::toupper(static_cast<unsigned char>(directive[i])) != word[i]) return false;
    }
    return directive.size() == word.size() || directive[word.size()] == ' ';
  };
  if (directive_is("SKIP")) {
    r.status = KtapStatus::kSkip;
    r.reason = std::string(trim(directive.substr(4)));
  } else if (directive_is("TODO")) {
    // An "ok" TODO test passed unexpectedly: keep it a pass.
    r.status = r.ok ? KtapStatus::kPass : KtapStatus::kTodo;
    r.reason = std::string(trim(directive.substr(4)));
  }
  return r;
}

// A test whose subtests are being read: opened by a deeper "KTAP version",
// "# Subtest:" or plan line, closed by the result line at its parent's level.
struct OpenBlock {
  int indent = 0;
  KtapTest test;
  std::vector<std::string> pending_log;  // lines for the next result at this level
};

void check_plan(const KtapTest& test, std::vector<std::string>& errors) {
  if (test.planned && *test.planned != static_cast<int>(test.subtests.size())) {
    errors.push_back("\"" + test.name + "\": expected " + std::to_string(*test.planned) +
                     " subtests, got " + std::to_string(test.subtests.size()));
  }
}

}  // namespace

std::string strip_printk_timestamps(std::string_view console) {
  std::string out;
  out.reserve(console.size());
  for (std::string_view line : split_lines(console)) {
    out.append(line.substr(printk_prefix_length(line)));
    out.push_back('\n');
  }
  return out;
}

KtapDocument parse_ktap(std::string_view text) {
  KtapDocument doc;
  std::vector<std::string_view> lines = split_lines(text);
  std::size_t line_index = 0;
  std::string prefix;  // what preceded the version line, stripped from the rest
  // Find the version line.
  for (; line_index < lines.size(); ++line_index) {
    std::string_view line = lines[line_index];
    line.remove_prefix(printk_prefix_length(line));
    std::size_t at = line.find("TAP version ");
    if (at == std::string_view::npos) continue;
    std::size_t start = (at >= 1 && line[at - 1] == 'K') ? at - 1 : at;
    std::string_view before = line.substr(0, start);
    if (!trim(before).empty() && before.find('#') != std::string_view::npos) continue;
    prefix = std::string(before);
    doc.found = true;
    doc.version = std::string(trim(line.substr(start)));
    ++line_index;
    break;
  }
  if (!doc.found) return doc;

  const int base_indent = indent_of(prefix);
  std::vector<std::unique_ptr<OpenBlock>> stack;
  stack.push_back(std::make_unique<OpenBlock>());
  stack.back()->indent = base_indent;

  auto close_crashed = [&](std::size_t line_number) {
    std::unique_ptr<OpenBlock> block = std::move(stack.back());
    stack.pop_back();
    KtapTest test = std::move(block->test);
    test.status = KtapStatus::kCrashed;
    test.last_line = line_number;
    for (auto& l : block->pending_log) test.log.push_back(std::move(l));
    doc.errors.push_back("\"" + test.name + "\": no result line (crashed or interrupted)");
    stack.back()->test.subtests.push_back(std::move(test));
  };

  for (; line_index < lines.size(); ++line_index) {
    const std::size_t line_number = line_index + 1;
    std::string_view raw = lines[line_index];
    raw.remove_prefix(printk_prefix_length(raw));
    if (!prefix.empty() && starts_with(raw, prefix)) raw.remove_prefix(prefix.size());
    std::string_view body = trim(raw);
    if (body.empty()) continue;
    int indent = indent_of(raw) + base_indent;
    OpenBlock* top = stack.back().get();

    bool opens_block =
        is_version_line(body) || starts_with(body, "# Subtest:") || parse_plan(body).has_value();
    if (opens_block) {
      if (indent > top->indent) {
        auto block = std::make_unique<OpenBlock>();
        block->indent = indent;
        block->test.first_line = line_number;
        stack.push_back(std::move(block));
        top = stack.back().get();
      }
      if (starts_with(body, "# Subtest:")) {
        top->test.name = std::string(trim(body.substr(10)));
      } else if (auto plan = parse_plan(body)) {
        if (stack.size() == 1) {
          doc.planned = plan;
        } else {
          top->test.planned = plan;
        }
      }
      continue;
    }

    if (auto result = parse_result(body)) {
      // Blocks deeper than this line that its result does not close were
      // cut short.
      while (stack.size() > 1 && stack.back()->indent > indent &&
             stack[stack.size() - 2]->indent > indent) {
        close_crashed(line_number);
      }
      KtapTest test;
      if (stack.size() > 1 && stack.back()->indent > indent) {
        std::unique_ptr<OpenBlock> block = std::move(stack.back());
        stack.pop_back();
        test = std::move(block->test);
        for (auto& l : block->pending_log) test.log.push_back(std::move(l));
        check_plan(test, doc.errors);
      } else {
        test.first_line = line_number;
      }
      OpenBlock* parent = stack.back().get();
      for (auto& l : parent->pending_log) test.log.push_back(std::move(l));
      parent->pending_log.clear();
      if (test.name.empty() || !result->name.empty()) test.name = result->name;
      test.number = result->number;
      test.status = result->status;
      test.directive_reason = result->reason;
      test.last_line = line_number;
      parent->test.subtests.push_back(std::move(test));
      // The document is complete once the top-level plan is fulfilled.
      if (stack.size() == 1 && doc.planned &&
          static_cast<int>(parent->test.subtests.size()) >= *doc.planned) {
        break;
      }
      continue;
    }

    // A diagnostic ("# ...") or any other output: the log of the test that
    // runs now (the deepest open block).
    top->pending_log.emplace_back(body);
  }

  while (stack.size() > 1) close_crashed(lines.size());
  doc.tests = std::move(stack.back()->test.subtests);
  if (doc.planned && *doc.planned > static_cast<int>(doc.tests.size())) {
    doc.errors.push_back("expected " + std::to_string(*doc.planned) + " tests, got " +
                         std::to_string(doc.tests.size()));
    // The tests announced by the plan that never reported: the output
    // stopped (a crash) before them. At most kMaxMissingListed of them: a
    // console can announce "1..2000000000" (found by fuzzing: gigabytes).
    constexpr int kMaxMissingListed = 4096;
    const int first = static_cast<int>(doc.tests.size()) + 1;
    const int last = first - 1 + std::min(*doc.planned - (first - 1), kMaxMissingListed);
    if (last < *doc.planned) {
      doc.errors.push_back("only the first " + std::to_string(kMaxMissingListed) +
                           " missing tests are listed");
    }
    for (int n = first; n <= last; ++n) {
      KtapTest missing;
      missing.number = n;
      missing.status = KtapStatus::kNoResult;
      doc.tests.push_back(std::move(missing));
    }
  }
  return doc;
}

}  // namespace kci::pipeline
