// SPDX-License-Identifier: LGPL-2.1-or-later
#include "notify/templates.h"

#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "util/error.h"

namespace kci::notify {
namespace {

struct Embedded {
  const char* name;
  std::string_view text;
};

const Embedded kTemplates[] = {
#include "notify_templates.inc"
};

constexpr char kKeep = '\x01';

bool standalone_tag(std::string_view line) {
  std::size_t b = line.find_first_not_of(" \t");
  if (b == std::string_view::npos) return false;
  std::size_t e = line.find_last_not_of(" \t\r");
  std::string_view t = line.substr(b, e - b + 1);
  if (t.size() < 5 || t.substr(0, 2) != "{{" || t.substr(t.size() - 2) != "}}") return false;
  char kind = t[2];
  if (kind != '#' && kind != '^' && kind != '/' && kind != '!') return false;
  // Exactly one tag on the line.
  return t.find("{{", 2) == std::string_view::npos;
}

}  // namespace

std::string_view template_text(std::string_view name) {
  for (const auto& t : kTemplates) {
    if (name == t.name) return t.text;
  }
  throw Error("no mail template named \"" + std::string(name) + "\"");
}

std::string strip_standalone_tags(std::string_view text) {
  // A standalone tag line is joined to the line after it (so it leaves no
  // line behind). Every other line starts with kKeep: kainjow drops any
  // output line that held a section tag and came out empty, which would
  // eat the template's blank lines; kKeep makes no line empty, and
  // render_template removes it afterwards.
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t nl = text.find('\n', i);
    std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(i, end - i);
    if (standalone_tag(line)) {
      std::size_t b = line.find_first_not_of(" \t");
      std::size_t e = line.find_last_not_of(" \t\r");
      out.append(line.substr(b, e - b + 1));
    } else {
      out += kKeep;
      out.append(line);
      if (nl != std::string_view::npos) out += '\n';
    }
    i = end + 1;
  }
  return out;
}

std::string render_template(std::string_view name, const kainjow::mustache::data& data) {
  // Parsed templates are cached (parsing is most of the cost of a small
  // mail); a parsed template renders with its own context each time.
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<kainjow::mustache::mustache>, std::less<>> cache;
  // One lock for lookup and render: render() is not const (it records
  // errors), and mails are rendered one at a time anyway.
  std::lock_guard lock(mutex);
  std::shared_ptr<kainjow::mustache::mustache> tmpl;
  {
    auto it = cache.find(name);
    if (it == cache.end()) {
      auto t =
          std::make_shared<kainjow::mustache::mustache>(strip_standalone_tags(template_text(name)));
      if (!t->is_valid()) {
        throw Error("mail template " + std::string(name) + ": " + t->error_message());
      }
      t->set_custom_escape([](const std::string& s) { return s; });
      it = cache.emplace(std::string(name), std::move(t)).first;
    }
    tmpl = it->second;
  }
  std::string out = tmpl->render(data);
  if (!tmpl->is_valid()) {
    std::string message = tmpl->error_message();
    cache.erase(std::string(name));
    throw Error("mail template " + std::string(name) + ": " + message);
  }
  std::erase(out, kKeep);
  return out;
}

}  // namespace kci::notify
