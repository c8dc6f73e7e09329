// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/build_scan.h"

#include <optional>
#include <unordered_set>

#include "triage/line_splitter.h"
#include "triage/log_text.h"

namespace kci::triage {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// gcc quotes with U+2018/U+2019 in UTF-8 locales and ` ' in others; clang
// and ld with ' and `...'. All become '.
std::string plain_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i + 2 < s.size() && s[i] == '\xe2' && s[i + 1] == '\x80' &&
        (s[i + 2] == '\x98' || s[i + 2] == '\x99')) {
      out += '\'';
      i += 2;
    } else if (s[i] == '`') {
      out += '\'';
    } else {
      out += s[i];
    }
  }
  return out;
}

// The quoted strings of a message, in order.
std::vector<std::string_view> quoted(std::string_view m) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while ((i = m.find('\'', i)) != std::string_view::npos) {
    std::size_t j = m.find('\'', i + 1);
    if (j == std::string_view::npos) break;
    out.push_back(m.substr(i + 1, j - i - 1));
    i = j + 1;
  }
  return out;
}

// "[-Wfoo]", "[-Werror=foo]", "[-Werror,-Wfoo]" at the end: "foo".
std::string warning_flag(std::string_view m, std::string_view* rest) {
  *rest = m;
  if (m.empty() || m.back() != ']') return {};
  std::size_t open = m.rfind(" [-W");
  if (open == std::string_view::npos) return {};
  std::string_view flag = m.substr(open + 2, m.size() - open - 3);
  *rest = m.substr(0, open);
  std::size_t comma = flag.rfind(",-W");
  if (comma != std::string_view::npos) flag = flag.substr(comma + 1);
  if (starts_with(flag, "-Werror="))
    flag.remove_prefix(8);
  else if (starts_with(flag, "-W"))
    flag.remove_prefix(2);
  return std::string(flag);
}

std::string first_or_empty(const std::vector<std::string_view>& q, std::size_t i = 0) {
  return i < q.size() ? std::string(q[i]) : std::string();
}

// Numbers out, spaces collapsed: the fallback key.
std::string squash(std::string_view m) {
  std::string out;
  for (std::size_t i = 0; i < m.size(); ++i) {
    char c = m[i];
    if (is_digit(c)) {
      if (out.empty() || out.back() != 'N') out += 'N';
      while (i + 1 < m.size() && is_digit(m[i + 1])) ++i;
      continue;
    }
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string canonical_message(std::string_view message) {
  std::string plain = plain_quotes(message);
  std::string_view rest;
  std::string flag = warning_flag(plain, &rest);
  std::vector<std::string_view> q = quoted(rest);
  // Both compilers' wordings of the common errors.
  if (contains(rest, "undeclared identifier") || contains(rest, "' undeclared")) {
    return "undeclared:" + first_or_empty(q);
  }
  if (contains(rest, "implicit declaration of function") ||
      contains(rest, "call to undeclared function")) {
    return "implicit-function-declaration:" + first_or_empty(q);
  }
  if (contains(rest, "No such file or directory") && !contains(rest, "'")) {
    // gcc: "linux/foo.h: No such file or directory"
    std::size_t colon = rest.find(": No such file");
    return "missing-file:" + std::string(rest.substr(0, colon));
  }
  if (contains(rest, "' file not found")) return "missing-file:" + first_or_empty(q);
  if (contains(rest, "has no member named")) {  // gcc: 'struct s' has no member named 'b'
    return "no-member:" + first_or_empty(q) + ":" + first_or_empty(q, 1);
  }
  if (starts_with(rest, "no member named")) {  // clang: no member named 'b' in 'struct s'
    return "no-member:" + first_or_empty(q, 1) + ":" + first_or_empty(q);
  }
  if (starts_with(rest, "unknown type name")) return "unknown-type:" + first_or_empty(q);
  if (contains(rest, "too few arguments to function")) return "too-few-arguments";
  if (contains(rest, "too many arguments to function")) return "too-many-arguments";
  if (starts_with(rest, "redefinition of")) return "redefinition:" + first_or_empty(q);
  if (starts_with(rest, "conflicting types for")) return "conflicting-types:" + first_or_empty(q);
  if (starts_with(rest, "expected ")) {
    // gcc: "expected ',' or ';' before 'return'"; clang: "expected ';' at
    // end of declaration": the token expected, ';' first.
    std::size_t end = rest.find(" before ");
    std::vector<std::string_view> wanted = quoted(rest.substr(0, end));
    for (auto w : wanted) {
      if (w == ";") return "expected:;";
    }
    return "expected:" + first_or_empty(wanted);
  }
  if (!flag.empty()) {
    static const std::unordered_set<std::string> kNamed = {"unused-variable",
                                                           "unused-function",
                                                           "unused-but-set-variable",
                                                           "unused-label",
                                                           "unused-const-variable",
                                                           "missing-prototypes",
                                                           "uninitialized",
                                                           "maybe-uninitialized",
                                                           "sometimes-uninitialized",
                                                           "implicit-int",
                                                           "return-type"};
    std::string key = "W:" + flag;
    if (flag == "maybe-uninitialized" || flag == "sometimes-uninitialized") key = "W:uninitialized";
    if (kNamed.count(flag) && flag != "return-type") key += ":" + first_or_empty(q);
    return key;
  }
  return squash(rest);
}

namespace {

struct Diagnostic {
  std::string kind;
  std::string file;
  std::size_t file_line = 0;
  std::string message;
  std::string key;  // canonical, for the signature
  std::string title;
};

// "path:12:5: error: msg", "path:12: warning: msg", "cc1: error: msg",
// "path:12: Error: msg" (gas).
std::optional<Diagnostic> compiler_line(std::string_view l) {
  static constexpr std::pair<std::string_view, bool> kTags[] = {{": fatal error: ", true},
                                                                {": error: ", true},
                                                                {": Error: ", true},
                                                                {": warning: ", false},
                                                                {": Warning: ", false}};
  for (const auto& [tag, is_error] : kTags) {
    std::size_t p = l.find(tag);
    if (p == std::string_view::npos || p == 0) continue;
    std::string_view loc = l.substr(0, p);
    std::string_view msg = l.substr(p + tag.size());
    if (loc.find(' ') != std::string_view::npos) return std::nullopt;  // "make[1]: ..." etc.
    Diagnostic d;
    d.kind = is_error ? "compiler_error" : "compiler_warning";
    // loc = file[:line[:col]]
    std::size_t c1 = loc.find(':');
    d.file = std::string(loc.substr(0, c1));
    if (c1 != std::string_view::npos) {
      std::size_t n = 0;
      std::size_t i = c1 + 1;
      while (i < loc.size() && is_digit(loc[i]))
        n = n * 10 + static_cast<std::size_t>(loc[i++] - '0');
      d.file_line = n;
    }
    // "cc1: all warnings being treated as errors", "clang: error: linker
    // command failed", "collect2: error: ld returned 1", "compilation
    // terminated": consequences of errors reported above them.
    if (contains(msg, "all warnings being treated as errors") ||
        contains(msg, "linker command failed") || contains(msg, "ld returned")) {
      return Diagnostic{"skip", {}, 0, {}, {}, {}};
    }
    if (d.file.size() >= 2 &&
        (d.file.ends_with("ld") || d.file.ends_with("ld.lld") || d.file.ends_with("ld.bfd"))) {
      return std::nullopt;  // a linker line, see linker_line()
    }
    d.message = plain_quotes(msg);
    d.key = canonical_message(msg);
    std::string severity = is_error ? "error" : "warning";
    d.title = normalize_title(d.file) + ": " + severity + ": " + sanitize_text(d.message);
    if (d.title.size() > 160) d.title.resize(160);
    return d;
  }
  return std::nullopt;
}

bool linker_prefix(std::string_view l, std::string_view* rest) {
  // "ld: ", "/usr/bin/ld: ", "aarch64-linux-gnu-ld: ", "ld.lld: ", "ld.bfd: "
  std::size_t colon = l.find(": ");
  if (colon == std::string_view::npos) return false;
  std::string_view tool = l.substr(0, colon);
  if (tool.find(' ') != std::string_view::npos) return false;
  if (!(tool.ends_with("ld") || tool.ends_with("ld.lld") || tool.ends_with("ld.bfd") ||
        tool.ends_with("ld.gold"))) {
    return false;
  }
  *rest = l.substr(colon + 2);
  return true;
}

std::optional<Diagnostic> linker_line(std::string_view l, const std::string& last_object) {
  std::string plain = plain_quotes(l);
  std::string_view p = plain;
  Diagnostic d;
  d.kind = "linker_error";
  std::size_t u = p.find("undefined reference to '");
  if (u != std::string_view::npos) {
    std::vector<std::string_view> q = quoted(p.substr(u));
    std::string sym = first_or_empty(q);
    d.file = last_object;
    d.message = "undefined reference to '" + sym + "'";
    d.key = "undefined-symbol:" + sym;
    d.title = "undefined symbol: " + sym;
    return d;
  }
  std::string_view rest;
  bool is_ld = linker_prefix(p, &rest);
  if (is_ld && starts_with(rest, "error: undefined symbol: ")) {
    std::string sym(rest.substr(25));
    d.message = "undefined symbol: " + sym;
    d.key = "undefined-symbol:" + sym;
    d.title = "undefined symbol: " + sym;
    return d;
  }
  std::size_t m = p.find("multiple definition of '");
  if (m != std::string_view::npos) {
    std::string sym = first_or_empty(quoted(p.substr(m)));
    // "ld: drivers/a.o:(.data+0x0): multiple definition of 'x'; ..."
    std::string_view ld_rest;
    std::string_view obj = linker_prefix(p, &ld_rest) ? ld_rest : p;
    std::size_t paren = obj.find(":(");
    d.file = paren != std::string_view::npos ? std::string(obj.substr(0, paren)) : last_object;
    d.message = "multiple definition of '" + sym + "'";
    d.key = "duplicate-symbol:" + sym;
    d.title = "duplicate symbol: " + sym;
    return d;
  }
  if (is_ld && starts_with(rest, "error: duplicate symbol: ")) {
    std::string sym(rest.substr(25));
    d.message = "duplicate symbol: " + sym;
    d.key = "duplicate-symbol:" + sym;
    d.title = "duplicate symbol: " + sym;
    return d;
  }
  if (is_ld && (starts_with(rest, "error: ") || contains(rest, "relocation truncated"))) {
    std::string_view msg = starts_with(rest, "error: ") ? rest.substr(7) : rest;
    d.message = std::string(msg);
    d.key = squash(msg);
    d.title = normalize_title("ld: " + std::string(msg));
    return d;
  }
  return std::nullopt;
}

std::optional<Diagnostic> modpost_line(std::string_view l) {
  bool error = starts_with(l, "ERROR: ");
  if (!error && !starts_with(l, "WARNING: ")) return std::nullopt;
  std::string_view rest = l.substr(error ? 7 : 9);
  bool modpost = starts_with(rest, "modpost: ");
  if (modpost) rest.remove_prefix(9);
  // Old modpost: "ERROR: "sym" [drivers/foo.ko] undefined!"
  if (!modpost && !(starts_with(rest, "\"") && contains(rest, "undefined!"))) return std::nullopt;
  Diagnostic d;
  d.kind = error ? "modpost_error" : "modpost_warning";
  d.message = std::string(rest);
  if (starts_with(rest, "\"")) {
    std::size_t end = rest.find('"', 1);
    std::string sym(rest.substr(1, end == std::string_view::npos ? 0 : end - 1));
    std::size_t ob = rest.find('[');
    std::size_t cb = rest.find(']');
    if (ob != std::string_view::npos && cb != std::string_view::npos && cb > ob) {
      d.file = std::string(rest.substr(ob + 1, cb - ob - 1));
    }
    d.key = "undefined-symbol:" + sym;
    d.title = "modpost: undefined symbol " + sym;
    if (!d.file.empty()) d.title += " in " + d.file;
    return d;
  }
  d.key = squash(rest);
  d.title = normalize_title("modpost: " + std::string(rest));
  return d;
}

std::optional<Diagnostic> make_line(std::string_view l, bool seen_error) {
  // "make[2]: *** [scripts/Makefile.build:243: drivers/foo.o] Error 1",
  // "make: *** No rule to make target 'x', needed by 'y'.  Stop."
  if (!starts_with(l, "make")) return std::nullopt;
  std::size_t stars = l.find(": *** ");
  if (stars == std::string_view::npos || stars > 12) return std::nullopt;
  std::string_view rest = l.substr(stars + 6);
  Diagnostic d;
  d.kind = "make_error";
  d.message = plain_quotes(rest);
  if (starts_with(rest, "No rule to make target")) {
    std::vector<std::string_view> q = quoted(d.message);
    d.file = first_or_empty(q);
    d.key = "no-rule:" + d.file;
    d.title = "make: no rule to make target " + d.file;
    return d;
  }
  // "[target] Error N" only repeats an error reported above it.
  if (seen_error) return Diagnostic{"skip", {}, 0, {}, {}, {}};
  if (starts_with(rest, "[")) {
    std::size_t close = rest.find(']');
    std::string_view inside = rest.substr(1, close == std::string_view::npos ? 0 : close - 1);
    std::size_t sp = inside.rfind(' ');
    d.file = std::string(sp == std::string_view::npos ? inside : inside.substr(sp + 1));
    d.key = "make-target:" + d.file;
    d.title = "make: error building " + d.file;
    return d;
  }
  d.key = squash(rest);
  d.title = normalize_title("make: " + d.message);
  return d;
}

std::optional<Diagnostic> kconfig_line(std::string_view l) {
  Diagnostic d;
  constexpr std::string_view kUnmet = "WARNING: unmet direct dependencies detected for ";
  if (starts_with(l, kUnmet)) {
    std::string sym(l.substr(kUnmet.size()));
    d.kind = "kconfig_warning";
    d.message = std::string(l.substr(9));
    d.key = "unmet-dependencies:" + sym;
    d.title = "Kconfig: unmet direct dependencies for " + sym;
    return d;
  }
  if (starts_with(l, "*** Error during update of the configuration") ||
      starts_with(l, "*** Error during writing of the configuration")) {
    d.kind = "kconfig_error";
    d.message = std::string(l.substr(4));
    d.key = "config-update-failed";
    d.title = "Kconfig: error during update of the configuration";
    return d;
  }
  // "drivers/Kconfig:12: syntax error", ".config:34:warning: override: ..."
  std::size_t colon = l.find(':');
  if (colon == std::string_view::npos || colon + 1 >= l.size() || !is_digit(l[colon + 1])) {
    return std::nullopt;
  }
  std::string_view file = l.substr(0, colon);
  std::size_t slash = file.rfind('/');
  std::string_view base = slash == std::string_view::npos ? file : file.substr(slash + 1);
  if (!starts_with(base, "Kconfig") && base != ".config" && !base.ends_with("defconfig") &&
      !base.ends_with(".config")) {
    return std::nullopt;
  }
  std::size_t i = colon + 1;
  std::size_t n = 0;
  while (i < l.size() && is_digit(l[i])) n = n * 10 + static_cast<std::size_t>(l[i++] - '0');
  if (i >= l.size() || l[i] != ':') return std::nullopt;
  std::string_view msg = l.substr(i + 1);
  while (!msg.empty() && msg[0] == ' ') msg.remove_prefix(1);
  bool warning = starts_with(msg, "warning:");
  if (warning) {
    msg.remove_prefix(8);
    while (!msg.empty() && msg[0] == ' ') msg.remove_prefix(1);
  }
  d.kind = warning ? "kconfig_warning" : "kconfig_error";
  d.file = std::string(file);
  d.file_line = n;
  d.message = plain_quotes(msg);
  d.key = squash(d.message);
  d.title = normalize_title("Kconfig: " + d.file + ": " + d.message);
  return d;
}

// Lines after a diagnostic that show where it is: gcc's " 12 | code" and
// "    |   ^", clang's source and caret lines, lld's ">>> referenced by".
bool is_context_line(std::string_view l) {
  return !l.empty() && (l[0] == ' ' || l[0] == '\t' || starts_with(l, ">>> "));
}

}  // namespace

struct BuildScanner::State {
  Sink sink;
  BuildScanOptions options;
  std::unordered_set<std::string> seen;  // signatures reported (bounded by max_findings)
  std::optional<Finding> pending;        // waiting for its context lines
  std::size_t pending_context = 0;
  std::string last_function_line;  // "foo.c: In function 'bar':"
  std::string last_object;         // "ld: foo.o: in function 'bar':" -> foo.o
  std::string last_object_line;
  bool seen_error = false;
  std::size_t emitted = 0;
  std::size_t dropped = 0;

  void emit_pending() {
    if (!pending) return;
    if (emitted < options.max_findings) {
      ++emitted;
      sink(std::move(*pending));
    } else {
      ++dropped;
    }
    pending.reset();
  }

  void found(Diagnostic&& d, std::string_view raw, std::size_t number) {
    if (d.kind == "skip") return;
    bool is_error = d.kind.find("error") != std::string::npos;
    if (!is_error && !options.warnings) return;
    if (is_error) seen_error = true;
    std::string cls =
        d.kind.substr(0, d.kind.find('_'));  // compiler, linker, modpost, make, kconfig
    std::string sig_key = cls + '\0' + (cls == "linker" ? std::string() : d.file) + '\0' + d.key;
    std::string sig = signature_of(sig_key);
    if (seen.count(sig)) return;
    if (seen.size() < options.max_findings) seen.insert(sig);
    emit_pending();
    Finding f;
    f.kind = std::move(d.kind);
    f.title = std::move(d.title);
    f.line = number;
    f.signature = std::move(sig);
    f.file = std::move(d.file);
    f.file_line = d.file_line;
    f.message = sanitize_text(d.message);
    if (cls == "compiler" && !last_function_line.empty()) {
      append_excerpt_line(f.excerpt, last_function_line, kMaxExcerpt);
    }
    if (cls == "linker" && !last_object_line.empty() &&
        raw.find(": in function") == std::string_view::npos) {
      append_excerpt_line(f.excerpt, last_object_line, kMaxExcerpt);
    }
    append_excerpt_line(f.excerpt, raw, kMaxExcerpt);
    pending = std::move(f);
    pending_context = 0;
  }

  void line(std::string_view raw, std::size_t number) {
    if (pending && pending_context < 8 && is_context_line(raw)) {
      ++pending_context;
      append_excerpt_line(pending->excerpt, raw, kMaxExcerpt);
      return;
    }
    emit_pending();
    if (raw.empty()) return;
    std::string_view l = raw;
    if (contains(l, ": In function '") || contains(l, ": In function \xe2\x80\x98") ||
        contains(l, ": At top level:")) {
      last_function_line = std::string(l.substr(0, 512));
      return;
    }
    std::string_view ld_rest;
    if (linker_prefix(l, &ld_rest) && contains(ld_rest, ": in function ")) {
      std::size_t c = ld_rest.find(": in function ");
      last_object = std::string(ld_rest.substr(0, c));
      last_object_line = std::string(l.substr(0, 512));
      return;
    }
    char c0 = l[0];
    if (c0 == 'E' || c0 == 'W') {
      if (auto d = modpost_line(l)) return found(std::move(*d), raw, number);
      if (auto d = kconfig_line(l)) return found(std::move(*d), raw, number);
    }
    if (c0 == 'm') {
      if (auto d = make_line(l, seen_error)) return found(std::move(*d), raw, number);
    }
    if (c0 == '*') {
      if (auto d = kconfig_line(l)) return found(std::move(*d), raw, number);
    }
    if (contains(l, "undefined reference to") || contains(l, "multiple definition of") ||
        linker_prefix(l, &ld_rest)) {
      if (auto d = linker_line(l, last_object)) return found(std::move(*d), raw, number);
    }
    if (contains(l, ": error: ") || contains(l, ": warning: ") || contains(l, ": fatal error: ") ||
        contains(l, ": Error: ") || contains(l, ": Warning: ")) {
      if (auto d = compiler_line(l)) return found(std::move(*d), raw, number);
    }
    if (contains(l, "onfig:")) {
      if (auto d = kconfig_line(l)) return found(std::move(*d), raw, number);
    }
  }
};

BuildScanner::BuildScanner(Sink sink, BuildScanOptions options)
    : state_(std::make_unique<State>()) {
  state_->sink = std::move(sink);
  state_->options = options;
}

BuildScanner::~BuildScanner() = default;

void BuildScanner::line(std::string_view raw, std::size_t number) { state_->line(raw, number); }

void BuildScanner::finish() { state_->emit_pending(); }

std::size_t BuildScanner::dropped() const { return state_->dropped; }

std::vector<Finding> scan_build(std::string_view log, BuildScanOptions options) {
  std::vector<Finding> out;
  BuildScanner scanner([&out](Finding&& f) { out.push_back(std::move(f)); }, options);
  LineSplitter splitter([&scanner](std::string_view l, std::size_t n) { scanner.line(l, n); });
  splitter.feed(log);
  splitter.finish();
  scanner.finish();
  return out;
}

}  // namespace kci::triage
