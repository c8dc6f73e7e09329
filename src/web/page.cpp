// SPDX-License-Identifier: LGPL-2.1-or-later
#include "web/page.h"

#include <algorithm>
#include <charconv>

#include "util/text.h"
#include "web/html.h"

namespace kci::web {

const char* const kStatuses[7] = {"PASS", "FAIL", "ERROR", "MISS", "SKIP", "DONE", ""};

std::string PageContext::param(const std::string& name, const std::string& fallback) const {
  auto it = params.find(name);
  return it == params.end() ? fallback : it->second;
}

std::int64_t PageContext::int_param(const std::string& name, std::int64_t fallback, std::int64_t lo,
                                    std::int64_t hi) const {
  auto it = params.find(name);
  if (it == params.end()) return fallback;
  std::int64_t v = 0;
  const std::string& t = it->second;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || p != t.data() + t.size() || v < lo || v > hi) {
    throw PageError{400, "parameter " + name + " must be an integer in " + std::to_string(lo) +
                             ".." + std::to_string(hi)};
  }
  return v;
}

std::string PageContext::link(std::string_view path) const {
  return options.base_url + std::string(path);
}

std::string PageContext::object_link(std::string_view kind, std::string_view id) const {
  return link("/" + std::string(kind) + "/" + url_encode(id));
}

void PageContext::set(json::Value& obj, const char* name, json::Value value) {
  json::Value key(name, alloc());
  auto it = obj.FindMember(name);
  if (it != obj.MemberEnd()) {
    it->value = value;
  } else {
    obj.AddMember(key, value, alloc());
  }
}

std::string PageContext::select_list(const char* alias, const std::vector<Column>& columns) const {
  std::string out;
  for (const Column& c : columns) {
    if (!out.empty()) out += ", ";
    std::string col = std::string(alias) + "." + c.name;
    if (postgres()) {
      switch (c.kind) {
        case Col::kTime: out += "to_json(" + col + ")#>>'{}'"; continue;
        case Col::kArray: out += "to_json(" + col + ")::text"; continue;
        case Col::kJson: out += col + "::text"; continue;
        case Col::kText:
        case Col::kInt:
        case Col::kReal:
        case Col::kBool: break;
      }
      if (c.kind == Col::kText && std::string_view(c.name) == "status") {
        out += col + "::text";
        continue;
      }
    }
    out += col;
  }
  return out;
}

json::Value PageContext::row_object(const store::SqlRow& row, std::size_t first,
                                    const std::vector<Column>& columns) {
  json::Value obj(rapidjson::kObjectType);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    std::size_t c = first + i;
    if (row.is_null(c)) continue;
    const Column& col = columns[i];
    json::Value v;
    switch (col.kind) {
      case Col::kText:
      case Col::kTime: v = str(row.text(c)); break;
      case Col::kInt: v.SetInt64(row.integer(c)); break;
      case Col::kReal: v.SetDouble(row.real(c)); break;
      case Col::kBool: v.SetBool(row.boolean(c)); break;
      case Col::kJson:
      case Col::kArray: {
        json::Document parsed;
        std::string_view t = row.text(c);
        parsed.Parse(t.data(), t.size());
        if (parsed.HasParseError()) {
          v = str(t);
        } else {
          v.CopyFrom(parsed, alloc());
        }
        break;
      }
    }
    obj.AddMember(json::Value(col.name, alloc()), v, alloc());
  }
  return obj;
}

std::optional<std::string> PageContext::href_for(std::string_view url) const {
  if (url.starts_with("file://") && !options.artifact_root.empty()) {
    std::string path = percent_decode(url.substr(7));
    std::string root = options.artifact_root.string();
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    if (path.size() > root.size() + 1 && path.starts_with(root) && path[root.size()] == '/') {
      std::string rel = path.substr(root.size() + 1);
      std::string encoded;
      std::size_t start = 0;
      while (start <= rel.size()) {
        std::size_t slash = rel.find('/', start);
        if (slash == std::string::npos) slash = rel.size();
        if (!encoded.empty()) encoded += '/';
        encoded += url_encode(rel.substr(start, slash - start));
        start = slash + 1;
      }
      return link("/artifacts/" + encoded);
    }
    return std::nullopt;
  }
  return safe_link(url);
}

void PageContext::add_href(json::Value& obj, const char* url_member) {
  auto it = obj.FindMember(url_member);
  if (it == obj.MemberEnd() || !it->value.IsString()) return;
  std::optional<std::string> href = href_for(json::str(it->value));
  if (!href) return;
  std::string name = std::string(url_member) + "_href";
  obj.AddMember(json::Value(name.c_str(), alloc()), str(*href), alloc());
}

void PageContext::add_file_hrefs(json::Value& files) {
  if (!files.IsArray()) return;
  for (auto& f : files.GetArray()) {
    if (f.IsObject()) add_href(f, "url");
  }
}

json::Value PageContext::misc_items(const json::Value& misc) {
  json::Value items(rapidjson::kArrayType);
  if (!misc.IsObject()) return items;
  // By key: the same order whatever the database kept (PostgreSQL's jsonb
  // reorders keys).
  std::vector<const json::Value::Member*> members;
  for (const auto& m : misc.GetObject()) members.push_back(&m);
  std::sort(members.begin(), members.end(),
            [](const auto* x, const auto* y) { return json::str(x->name) < json::str(y->name); });
  for (const auto* m : members) {
    json::Value item(rapidjson::kObjectType);
    item.AddMember("key", str(json::str(m->name)), alloc());
    std::string text =
        m->value.IsString() ? std::string(json::str(m->value)) : json::write(m->value);
    item.AddMember("value", str(text), alloc());
    items.PushBack(item, alloc());
  }
  return items;
}

}  // namespace kci::web
