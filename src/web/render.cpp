// SPDX-License-Identifier: LGPL-2.1-or-later
#include "web/render.h"

#include <kainjow/mustache.hpp>

#include <cstdio>
#include <map>
#include <memory>

#include "util/error.h"
#include "util/time.h"
#include "web/assets.h"

namespace kci::web {

namespace mst = kainjow::mustache;

std::string status_class(std::string_view status) {
  if (status == "PASS") return "pass";
  if (status == "FAIL") return "fail";
  if (status == "SKIP") return "skip";
  if (status == "ERROR" || status == "MISS") return "error";
  return "other";
}

namespace {

std::string number_text(const json::Value& v) {
  if (v.IsInt64()) return std::to_string(v.GetInt64());
  if (v.IsUint64()) return std::to_string(v.GetUint64());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v.GetDouble());
  return buf;
}

mst::data to_data(const json::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: return mst::data(false);
    case rapidjson::kFalseType: return mst::data(false);
    case rapidjson::kTrueType: return mst::data(true);
    case rapidjson::kStringType: return mst::data(std::string(json::str(v)));
    case rapidjson::kNumberType: return mst::data(number_text(v));
    case rapidjson::kArrayType: {
      mst::data list(mst::data::type::list);
      for (const auto& item : v.GetArray()) list.push_back(to_data(item));
      return list;
    }
    case rapidjson::kObjectType: {
      mst::data obj(mst::data::type::object);
      for (const auto& m : v.GetObject()) {
        std::string name(json::str(m.name));
        obj.set(name, to_data(m.value));
        if (name == "status" && m.value.IsString()) {
          obj.set("status_class", status_class(json::str(m.value)));
        }
        // Times shown to the minute ("2026-12-06 19:46 UTC"); the JSON
        // twin and <time datetime> keep the full value.
        bool is_time = name.ends_with("_time") || name == "first_seen" || name == "last_seen" ||
                       name == "_timestamp";
        if (is_time && m.value.IsString()) {
          // One spelling for both drivers (PostgreSQL drops zero fractions).
          if (auto micros = parse_rfc3339_micros(json::str(m.value))) {
            obj.set(name, format_rfc3339(*micros));
          }
        }
        if (is_time && m.value.IsString() && m.value.GetStringLength() >= 16) {
          std::string t(json::str(m.value).substr(0, 16));
          t[10] = ' ';
          obj.set(name + "_display", t + (json::str(m.value).ends_with("+00:00") ? " UTC" : ""));
        }
      }
      return obj;
    }
  }
  return mst::data(false);
}

// Parsed templates, one set per thread (rendering keeps state in the
// template object).
mst::mustache& template_for(const std::string& name) {
  thread_local std::map<std::string, std::unique_ptr<mst::mustache>> parsed;
  auto it = parsed.find(name);
  if (it != parsed.end()) return *it->second;
  std::optional<std::string_view> text = find_asset("templates/" + name + ".mustache");
  if (!text) throw Error("no dashboard template " + name);
  auto t = std::make_unique<mst::mustache>(std::string(*text));
  if (!t->is_valid()) throw Error("dashboard template " + name + ": " + t->error_message());
  return *parsed.emplace(name, std::move(t)).first->second;
}

// The templates other templates include ({{>name}}).
constexpr const char* kPartials[] = {"regression_table"};

std::string render_data(const std::string& name, mst::data data) {
  for (const char* partial : kPartials) {
    if (!data.is_object()) break;
    std::string pname = partial;
    data.set(pname, mst::partial([pname] {
               std::optional<std::string_view> text =
                   find_asset("templates/" + pname + ".mustache");
               if (!text) throw Error("no dashboard template " + pname);
               return std::string(*text);
             }));
  }
  mst::mustache& t = template_for(name);
  std::string out = t.render(data);
  if (!t.is_valid()) throw Error("dashboard template " + name + ": " + t.error_message());
  return out;
}

}  // namespace

std::string render_template(const std::string& name, const json::Value& page) {
  return render_data(name, to_data(page));
}

std::string render_page(const std::string& template_name, const std::string& title,
                        const std::string& base_url, const std::string& json_href,
                        const json::Value& page) {
  mst::data data = to_data(page);
  data.set("base", base_url);
  std::string content = render_data(template_name, data);
  mst::data layout(mst::data::type::object);
  layout.set("title", title);
  layout.set("base", base_url);
  layout.set("json_href", json_href);
  layout.set("content", content);
  return render_data("layout", layout);
}

}  // namespace kci::web
