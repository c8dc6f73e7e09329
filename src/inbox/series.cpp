// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/series.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

namespace kci::inbox {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// Strips "Re:", "Fwd:"... from the front; true if any was there.
bool strip_reply_prefixes(std::string_view& s) {
  bool any = false;
  while (true) {
    s = trim(s);
    std::size_t colon = s.find(':');
    if (colon == std::string_view::npos || colon > 4) return any;
    std::string word = lower(s.substr(0, colon));
    if (word == "re" || word == "aw" || word == "fwd" || word == "fw" || word == "sv") {
      s.remove_prefix(colon + 1);
      any = true;
    } else {
      return any;
    }
  }
}

bool is_line_start(std::string_view body, std::size_t pos) {
  return pos == 0 || body[pos - 1] == '\n';
}

// Calls f(line) for each line of text (without "\n" or "\r").
template <typename F>
void for_each_line(std::string_view text, F&& f) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!f(line)) return;
    pos = end + 1;
  }
}

const char* const kTrailerNames[] = {"reviewed-by",  "acked-by",  "tested-by",      "reported-by",
                                     "suggested-by", "nacked-by", "co-developed-by"};

std::string email_of(const std::string& from) {
  std::vector<std::string> addresses = parse_addresses(from);
  return addresses.empty() ? lower(from) : addresses.front();
}

enum class Kind { kCover, kPatch, kReply, kSkipped };

struct Classified {
  Kind kind = Kind::kSkipped;
  Subject subject;
  std::string reason;
};

Classified classify(const Message& m) {
  Classified c;
  c.subject = parse_subject(m.subject);
  const Subject& s = c.subject;
  if (s.reply) {
    c.kind = Kind::kReply;
  } else if (s.pull) {
    c.reason = "pull request";
  } else if (m.automated) {
    c.reason = "automated";
  } else if (s.patch && s.part == 0 && s.total > 0) {
    c.kind = Kind::kCover;
  } else if (s.patch && has_diff(m.body())) {
    if (s.total > 0 && (s.part < 1 || s.part > s.total)) {
      c.reason = "bad numbering " + std::to_string(s.part) + "/" + std::to_string(s.total);
    } else {
      c.kind = Kind::kPatch;
    }
  } else if (s.patch) {
    c.reason = "no diff";
  } else if (!m.in_reply_to.empty() || !m.references.empty()) {
    c.kind = Kind::kReply;
  } else {
    c.reason = "not a patch";
  }
  return c;
}

}  // namespace

Subject parse_subject(std::string_view text) {
  Subject s;
  std::string_view rest = trim(text);
  s.reply = strip_reply_prefixes(rest);
  while (!rest.empty() && rest.front() == '[') {
    std::size_t close = rest.find(']');
    if (close == std::string_view::npos) break;
    std::string_view tag = rest.substr(1, close - 1);
    rest = trim(rest.substr(close + 1));
    std::vector<std::string> words;
    std::string word;
    for (char ch : tag) {
      if (ch == ' ' || ch == ',' || ch == '\t') {
        if (!word.empty()) words.push_back(word);
        word.clear();
      } else {
        word += ch;
      }
    }
    if (!word.empty()) words.push_back(word);
    for (const std::string& w : words) {
      std::string lw = lower(w);
      std::size_t slash = lw.find('/');
      if (lw == "patch") {
        s.patch = true;
      } else if (lw.rfind("patchv", 0) == 0 && all_digits(lw.substr(6))) {
        s.patch = true;
        s.revision = std::stoi(lw.substr(6));
      } else if (lw == "rfc") {
        s.rfc = true;
      } else if (lw == "pull" || lw == "git") {
        if (lw == "pull") s.pull = true;
      } else if (lw.size() > 1 && lw[0] == 'v' && all_digits(lw.substr(1)) && lw.size() < 6) {
        s.revision = std::stoi(lw.substr(1));
      } else if (slash != std::string::npos && all_digits(lw.substr(0, slash)) &&
                 all_digits(lw.substr(slash + 1)) && lw.size() < 12) {
        s.part = std::stoi(lw.substr(0, slash));
        s.total = std::stoi(lw.substr(slash + 1));
      } else {
        s.prefixes.push_back(w);
      }
    }
    // "Re:" after the tags ("[PATCH] Re: ...") still makes a reply.
    if (strip_reply_prefixes(rest)) s.reply = true;
  }
  if (s.pull) s.patch = false;
  if (s.rfc && !s.patch && s.total > 0) s.patch = true;  // "[RFC 1/3]"
  s.title = std::string(trim(rest));
  return s;
}

bool has_diff(std::string_view body) {
  for (std::size_t pos = body.find("diff --git "); pos != std::string_view::npos;
       pos = body.find("diff --git ", pos + 1)) {
    if (is_line_start(body, pos)) return true;
  }
  std::size_t minus = body.find("\n--- ");
  if (minus == std::string_view::npos)
    return body.find("\nGIT binary patch") != std::string_view::npos;
  std::size_t plus = body.find("\n+++ ", minus);
  return plus != std::string_view::npos && body.find("\n@@ ", plus) != std::string_view::npos;
}

std::vector<std::string> find_trailers(std::string_view body) {
  std::vector<std::string> out;
  for_each_line(body, [&](std::string_view line) {
    // The rest of a reply below a signature or a quoted patch is not ours.
    if (line == "-- ") return false;
    std::string_view t = trim(line);
    if (t.empty() || t[0] == '>') return true;
    std::size_t colon = t.find(':');
    if (colon == std::string_view::npos || colon > 20) return true;
    std::string name = lower(t.substr(0, colon));
    for (const char* known : kTrailerNames) {
      if (name == known && t.find('@') != std::string_view::npos) {
        out.emplace_back(t);
        break;
      }
    }
    return true;
  });
  return out;
}

std::vector<std::string> touched_files(std::string_view body) {
  std::set<std::string> files;
  for_each_line(body, [&](std::string_view line) {
    if (line.rfind("diff --git a/", 0) == 0) {
      std::size_t b = line.find(" b/");
      if (b != std::string_view::npos) {
        files.emplace(line.substr(13, b - 13));
        files.emplace(line.substr(b + 3));
      }
    } else if (line.rfind("+++ b/", 0) == 0) {
      files.emplace(trim(line.substr(6)));
    }
    return true;
  });
  return {files.begin(), files.end()};
}

std::string find_base_commit(std::string_view body) {
  std::string found;
  for_each_line(body, [&](std::string_view line) {
    if (line.rfind("base-commit:", 0) != 0) return true;
    std::string_view hex = trim(line.substr(12));
    bool ok = hex.size() >= 7 && hex.size() <= 64 &&
              std::all_of(hex.begin(), hex.end(),
                          [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (ok) {
      found = lower(hex);
      return false;
    }
    return true;
  });
  return found;
}

std::string Series::message_id() const {
  if (has_cover && !messages.empty()) return messages.front().message_id;
  return messages.empty() ? std::string() : messages.back().message_id;
}

std::vector<const Message*> Series::patches() const {
  std::vector<const Message*> out;
  for (std::size_t i = has_cover ? 1 : 0; i < messages.size(); ++i) out.push_back(&messages[i]);
  return out;
}

bool worth_keeping(const Message& message) {
  Classified c = classify(message);
  if (c.kind == Kind::kCover || c.kind == Kind::kPatch) return true;
  return c.kind == Kind::kReply && !find_trailers(message.body()).empty();
}

Assembly assemble(const std::vector<Message>& messages) {
  Assembly result;
  std::vector<Classified> kinds;
  kinds.reserve(messages.size());
  std::unordered_map<std::string, std::size_t> by_id;  // patch-class messages
  for (std::size_t i = 0; i < messages.size(); ++i) {
    kinds.push_back(classify(messages[i]));
    const Classified& c = kinds.back();
    if (c.kind == Kind::kCover || c.kind == Kind::kPatch) {
      by_id[messages[i].message_id] = i;
    } else if (c.kind == Kind::kSkipped) {
      result.skipped.push_back({messages[i].message_id, c.reason});
    }
  }

  // Each series under construction, by its root message index.
  struct Building {
    std::size_t root;
    std::optional<std::size_t> cover;
    std::map<int, std::size_t> parts;
    int revision = 1;
    int total = 0;
  };
  std::map<std::size_t, Building> building;
  std::vector<std::size_t> order;  // roots in order of creation
  std::unordered_map<std::size_t, std::size_t> root_of;

  auto total_of = [&](std::size_t i) { return std::max(1, kinds[i].subject.total); };
  auto new_series = [&](std::size_t i) -> Building& {
    Building b;
    b.root = i;
    b.revision = kinds[i].subject.revision;
    b.total = total_of(i);
    order.push_back(i);
    root_of[i] = i;
    return building.emplace(i, b).first->second;
  };
  // The root a message names in its thread: a cover letter or part 1 of the
  // same revision and size.
  auto find_root = [&](std::size_t i) -> std::optional<std::size_t> {
    const Message& m = messages[i];
    std::vector<const std::string*> ids;
    for (const std::string& r : m.references) ids.push_back(&r);
    if (!m.in_reply_to.empty()) ids.push_back(&m.in_reply_to);
    for (const std::string* id : ids) {
      auto it = by_id.find(*id);
      if (it == by_id.end() || it->second == i) continue;
      const Subject& s = kinds[it->second].subject;
      if (s.revision == kinds[i].subject.revision && std::max(1, s.total) == total_of(i) &&
          (s.part == 0 || s.part == 1)) {
        return it->second;
      }
    }
    return std::nullopt;
  };

  // Pass 1: cover letters and first parts (or lone patches) make series.
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Classified& c = kinds[i];
    if (c.kind == Kind::kCover) {
      new_series(i).cover = i;
    } else if (c.kind == Kind::kPatch && c.subject.part <= 1) {
      std::optional<std::size_t> root = c.subject.part == 1 ? find_root(i) : std::nullopt;
      if (root && kinds[*root].kind == Kind::kCover) {
        root_of[i] = *root;
      } else {
        new_series(i).parts[1] = i;
      }
    }
  }
  // Part 1 patches that answer a cover letter join it.
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (kinds[i].kind != Kind::kPatch || kinds[i].subject.part != 1) continue;
    std::size_t root = root_of[i];
    if (root != i) building.at(root).parts[1] = i;
  }
  // Pass 2: the other parts join the series their thread names, else a
  // series of the same author, revision and size that lacks that part.
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Classified& c = kinds[i];
    if (c.kind != Kind::kPatch || c.subject.part <= 1) continue;
    std::optional<std::size_t> root = find_root(i);
    Building* target = nullptr;
    if (root) {
      auto r = root_of.find(*root);
      if (r != root_of.end()) target = &building.at(r->second);
    }
    if (!target) {
      std::string author = email_of(messages[i].from);
      for (auto it = order.rbegin(); it != order.rend() && !target; ++it) {
        Building& b = building.at(*it);
        if (b.revision == c.subject.revision && b.total == total_of(i) &&
            !b.parts.count(c.subject.part) && email_of(messages[b.root].from) == author) {
          target = &b;
        }
      }
    }
    if (!target) target = &new_series(i);
    target->parts[c.subject.part] = i;  // a resent part replaces the earlier one
    root_of[i] = target->root;
  }

  // The series themselves.
  std::vector<Series> all;
  std::unordered_map<std::size_t, std::size_t> series_of_message;  // message index -> series
  for (std::size_t root : order) {
    const Building& b = building.at(root);
    Series s;
    const Message& first = messages[b.cover ? *b.cover : b.parts.begin()->second];
    const Subject& subject = kinds[b.cover ? *b.cover : b.parts.begin()->second].subject;
    s.id = messages[root].message_id + "#v" + std::to_string(b.revision);
    s.title = subject.title;
    s.author = first.from;
    s.revision = b.revision;
    s.total = b.total;
    s.rfc = subject.rfc;
    s.prefixes = subject.prefixes;
    std::vector<std::size_t> members;
    if (b.cover) {
      members.push_back(*b.cover);
      s.has_cover = true;
    }
    for (const auto& [part, index] : b.parts) members.push_back(index);
    for (int part = 1; part <= b.total; ++part) {
      if (!b.parts.count(part)) s.missing.push_back(part);
    }
    std::set<std::string> files, contacts;
    for (std::size_t index : members) {
      const Message& m = messages[index];
      s.messages.push_back(m);
      series_of_message[index] = all.size();
      if (s.base_commit.empty()) s.base_commit = find_base_commit(m.body());
      for (std::string& f : touched_files(m.body())) files.insert(std::move(f));
      for (const std::string* h : {&m.from, &m.to, &m.cc}) {
        for (std::string& a : parse_addresses(*h)) contacts.insert(std::move(a));
      }
      if (m.date && (!s.first_date || m.date < s.first_date)) s.first_date = m.date;
      s.last_date = std::max(s.last_date, m.date);
    }
    s.files.assign(files.begin(), files.end());
    s.contacts.assign(contacts.begin(), contacts.end());
    all.push_back(std::move(s));
  }

  // Trailers from replies to a series' cover letter or patches.
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (kinds[i].kind != Kind::kReply) continue;
    const Message& m = messages[i];
    std::vector<std::string> trailers = find_trailers(m.body());
    std::optional<std::size_t> target;
    std::vector<const std::string*> ids{&m.in_reply_to};
    for (auto it = m.references.rbegin(); it != m.references.rend(); ++it) ids.push_back(&*it);
    for (const std::string* id : ids) {
      auto it = by_id.find(*id);
      if (it != by_id.end() && series_of_message.count(it->second)) {
        target = it->second;
        break;
      }
    }
    if (trailers.empty() || !target) {
      result.skipped.push_back({m.message_id, "reply"});
      continue;
    }
    Series& s = all[series_of_message.at(*target)];
    int part = kinds[*target].kind == Kind::kCover ? 0 : std::max(1, kinds[*target].subject.part);
    for (std::string& t : trailers) {
      std::pair<int, std::string> entry(part, std::move(t));
      if (std::find(s.trailers.begin(), s.trailers.end(), entry) == s.trailers.end()) {
        s.trailers.push_back(std::move(entry));
      }
    }
    result.trailer_replies.push_back(m.message_id);
  }

  // Newest revision: a series is superseded by a later one of the same
  // author and title with a higher revision (or the same one, resent), or
  // by one whose thread names it.
  // Linear: series grouped by (author, title), and each series' first
  // message looked up among the messages of the others.
  std::vector<bool> dropped(all.size(), false);
  auto supersede = [&](std::size_t older, std::size_t newer) {
    if (older == newer || dropped[older]) return;
    const Series& o = all[older];
    const Series& n = all[newer];
    if (n.revision > o.revision || (n.revision == o.revision && newer > older)) {
      dropped[older] = true;
      all[newer].superseded.push_back(o.id);
    } else if (o.revision > n.revision || (o.revision == n.revision && older > newer)) {
      if (!dropped[newer]) {
        dropped[newer] = true;
        all[older].superseded.push_back(n.id);
      }
    }
  };
  std::unordered_map<std::string, std::vector<std::size_t>> by_title;
  std::unordered_map<std::string, std::size_t> owner;  // message-id -> series
  for (std::size_t i = 0; i < all.size(); ++i) {
    by_title[email_of(all[i].author) + "\n" + lower(all[i].title)].push_back(i);
    for (const Message& m : all[i].messages) owner.emplace(m.message_id, i);
  }
  for (const auto& [key, members] : by_title) {
    // The newest revision (the latest of equal ones) wins the group.
    std::size_t best = members.front();
    for (std::size_t i : members) {
      if (all[i].revision > all[best].revision ||
          (all[i].revision == all[best].revision && i > best)) {
        best = i;
      }
    }
    for (std::size_t i : members) {
      if (i != best && !dropped[i]) {
        dropped[i] = true;
        all[best].superseded.push_back(all[i].id);
      }
    }
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Message& head = all[i].messages.front();
    std::vector<const std::string*> ids{&head.in_reply_to};
    for (const std::string& r : head.references) ids.push_back(&r);
    for (const std::string* id : ids) {
      auto it = owner.find(*id);
      if (it != owner.end() && it->second != i) supersede(it->second, i);
    }
  }
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (dropped[i]) {
      for (const Message& m : all[i].messages)
        result.skipped.push_back({m.message_id, "superseded"});
      result.superseded.push_back(std::move(all[i]));
    } else {
      result.series.push_back(std::move(all[i]));
    }
  }
  return result;
}

}  // namespace kci::inbox
