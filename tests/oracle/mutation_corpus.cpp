// SPDX-License-Identifier: LGPL-2.1-or-later
#include "mutation_corpus.h"

#include <cstring>
#include <functional>
#include <limits>
#include <string_view>

namespace kci::oracle {

namespace {

const json::Value* schema_member(const json::Value& schema, const char* name) {
  if (!schema.IsObject()) return nullptr;
  auto it = schema.FindMember(name);
  return it == schema.MemberEnd() ? nullptr : &it->value;
}

bool has_format(const json::Value& schema, std::string_view format) {
  const json::Value* f = schema_member(schema, "format");
  return f != nullptr && f->IsString() && json::str(*f) == format;
}

const json::Value* find_at(const json::Value& doc, const Path& path) {
  const json::Value* v = &doc;
  for (const PathToken& t : path) {
    if (t.is_index) {
      if (!v->IsArray() || t.index >= v->Size()) return nullptr;
      v = &(*v)[static_cast<rapidjson::SizeType>(t.index)];
    } else {
      if (!v->IsObject()) return nullptr;
      auto it = v->FindMember(json::Value(rapidjson::StringRef(t.name.data(), t.name.size())));
      if (it == v->MemberEnd()) return nullptr;
      v = &it->value;
    }
  }
  return v;
}

json::Value* find_at(json::Value& doc, const Path& path) {
  return const_cast<json::Value*>(find_at(static_cast<const json::Value&>(doc), path));
}

// Builds a value from JSON text (for variant lists written as JSON).
json::Value from_json(std::string_view text, json::Allocator& alloc) {
  json::Document d(&alloc);
  d.Parse(text.data(), text.size());
  if (d.HasParseError()) throw std::runtime_error("bad variant JSON: " + std::string(text));
  json::Value v;
  v.CopyFrom(d, alloc);
  return v;
}

json::Value string_value(std::string_view s, json::Allocator& alloc) {
  return json::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), alloc);
}

std::string repeat(std::string_view unit, std::size_t n) {
  std::string out;
  out.reserve(unit.size() * n);
  for (std::size_t i = 0; i < n; ++i) out += unit;
  return out;
}

using namespace std::string_view_literals;

// Valid and invalid RFC 3339 date-times, chosen at the edges where
// valijson's regex and rfc3339-validator part ways.
const std::vector<std::string_view> kDateTimes = {
    "2020-08-14T23:08:06.967000+00:00",
    "2020-02-29T00:00:00Z",
    "2020-08-14t23:08:06z",
    "2016-12-31T23:59:60Z",
    "2020-08-14T23:08:06+05:30",
    "2020-08-14T23:08:06.1-12:59",
    "2000-02-29T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z",
    "2020-08-14T23:08:06Z\n",
    "2019-02-29T00:00:00Z",
    "1900-02-29T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "2020-08-14T23:08:06",
    "2020-08-14 23:08:06Z",
    "yesterday",
    "",
    "2020-13-01T00:00:00Z",
    "2020-04-31T00:00:00Z",
    "2020-00-10T00:00:00Z",
    "2020-01-00T00:00:00Z",
    "2020-08-14T24:00:00Z",
    "2020-08-14T23:60:00Z",
    "2020-08-14T23:08:61Z",
    "2020-08-14T23:08:06|01:00",
    "12020-08-14T23:08:06Z",
    "20-08-14T23:08:06Z",
    "2020-08-14T23:08:06+0100",
    "2020-08-14T23:08:06.Z",
    "2020-08-14T23:08:06Z ",
    " 2020-08-14T23:08:06Z",
    "2020-08-14T23:08:06Z\n\n",
    "2020-08-14T23:08:06+24:00",
    "2020-8-14T23:08:06Z",
    "\xef\xbc\x92"
    "020-08-14T23:08:06Z",
    "2020-08-14T23:08:06,5Z",
    "2020-08-14T23:08:06Z\r",
    "2020-08-14T23:08:06.000000000001Z",
    "2020-08-14T23:08Z",
    "2020-08-14",
    "2020-08-14T23:08:06-00:00",
    "2020-08-14T23:08:06\nZ",
};

// URIs at the edges of RFC 3986 as rfc3987 implements it.
const std::vector<std::string_view> kUris = {
    "https://example.org/a",
    "http://[::1]/",
    "http://[FE80::1]:8080/x?y#z",
    "http://127.0.0.1:99999/",
    "mailto:a@b",
    "urn:isbn:0451450523",
    "https://x/a%20b",
    "file:///tmp/x",
    "https://x/?q=a/b?c",
    "https://x/\n",
    "x:",
    "https://user:pw@x/",
    "https://x:/",
    "https://x/a(b)",
    "http://[v1.x]/",
    "git://git.kernel.org/pub/linux.git",
    "build.log",
    "/abs/path",
    "https://x/a b",
    "https://x/%2f",
    "http://[fe80::1]/",
    "https://x/\xc3\xa9",
    "https://\xe4\xbe\x8b.jp/",
    "",
    "://x",
    "1http://x",
    "https://x/a\\b",
    "https://x/<a>",
    "https://x/a\"b",
    "https://x/#a#b",
    "https://x/\t",
    "https://x/a|b",
    "https://x/{a}",
    "https://x/^",
    "https://x/`",
    "http://[::1/",
    "https://x/\n\n",
    "https://x/%",
    "https://x/%G0",
    "https ://x",
    "https://x/\r",
    "HTTPS://X/",
    "https://x/a\nb",
    "http://[::ffff:1.2.3.4]/",
    "http://[1:2:3:4:5:6:7:8:9]/",
};

const std::vector<std::string_view> kEmails = {
    "a@b", "<20200101.abc@example.org>", "@", "x@", "", "no-at-sign", "a\n", "\xc3\xa9@\xc3\xa9",
};

// Unicode and control characters that regex and length code trip over.
const std::vector<std::string_view> kUnicode = {
    "\xc3\xa9",          // é
    "\xe4\xb8\xad",      // 中
    "\xf0\x9f\x98\x80",  // 😀 (astral: a surrogate pair in UTF-16)
    "\xe2\x80\xa8",      // LINE SEPARATOR (a line terminator to ECMAScript)
    "\xe2\x80\xa9",      // PARAGRAPH SEPARATOR
    "\xc2\x85",          // NEXT LINE
    "\xef\xbb\xbf",      // BOM
    "\xef\xbf\xbf",      // U+FFFF noncharacter
    "e\xcc\x81",         // e + combining acute
    "\xc2\xa0",          // NO-BREAK SPACE
    "\x7f",
    "\x01",
    "\t",
    "\x1e",
    "\xf4\x8f\xbf\xbf",  // DEL, SOH, TAB, RS, U+10FFFF
};

// String edits aimed at patterns: Python's `$` before "\n", `.` vs "\r",
// NUL (banned by v5 text patterns), case and separators.
const std::vector<std::function<std::string(std::string)>> kStringEdits = {
    [](std::string s) { return s + "\n"; },
    [](std::string s) { return s + "\r"; },
    [](std::string s) { return s + "\r\n"; },
    [](std::string s) { return "\n" + s; },
    [](std::string s) { return s + "\n\n"; },
    [](std::string s) { return s.insert(s.size() / 2, "\n"); },
    [](std::string s) { return s.insert(s.size() / 2, "\r"); },
    [](std::string s) { return s.insert(s.size() / 2, std::string(1, '\0')); },
    [](std::string s) { return s + std::string(1, '\0'); },
    [](std::string s) {
      for (char& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
      return s;
    },
    [](std::string) { return std::string(); },
    [](std::string s) { return s + " "; },
    [](std::string s) { return s + "/"; },
    [](std::string s) { return s + ".x"; },
    [](std::string s) { return s + ".."; },
    [](std::string s) {
      for (char& c : s) {
        if (c == ':') c = '_';
      }
      return s;
    },
    [](std::string s) { return s.substr(0, s.size() / 2); },
    [](std::string s) { return s + "g"; },
    [](std::string s) { return s + "0"; },
    [](std::string s) { return s + ",x"; },
    [](std::string s) { return s + ", x"; },
    [](std::string s) { return "-" + s; },
};

const std::vector<std::string_view> kWrongTypes = {
    "\"x\"", "42", "4.5", "true", "false", "[]", "{}", "[\"x\"]", "{\"x\":1}", "0", "\"\"",
};

const std::vector<std::string_view> kNumbers = {
    "1.0",
    "3.0",
    "0.0",
    "-0.0",
    "-1",
    "0.5",
    "1e300",
    "1E2",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "-9223372036854775808",
    "1e-7",
    "-1.0",
    "4.0",
    "5.0",
    "2",
    "100000000000000000000000",
    "1.5e2",
};

const std::vector<std::string_view> kBools = {"0", "1", "\"true\"", "null", "true", "false"};

const std::vector<std::string_view> kVersions = {
    R"({"major":5,"minor":3})",
    R"({"major":5})",
    R"({"major":5,"minor":4})",
    R"({"major":5,"minor":-1})",
    R"({"major":5.0,"minor":3})",
    R"({"major":5,"minor":3.0})",
    R"({"major":4,"minor":5})",
    R"({"major":6,"minor":0})",
    R"({"major":1,"minor":0})",
    R"({"major":1,"minor":1})",
    R"({"major":1})",
    R"("1")",
    R"("1.0")",
    R"("1.1")",
    R"("5.3")",
    R"(5)",
    R"(null)",
    R"({})",
    R"({"major":"5"})",
    R"({"major":5,"minor":1,"patch":0})",
    R"({"major":true,"minor":1})",
    R"({"major":3})",
    R"({"major":2,"minor":0})",
    R"({"major":4,"minor":5.0})",
    R"({"major":4.0,"minor":5})",
    R"({"major":0})",
    R"({"major":-5})",
    R"({"major":5,"minor":18446744073709551615})",
    R"({"major":4})",
    R"({"major":4,"minor":1})",
    R"({"major":5,"minor":0})",
    R"({"major":5,"minor":2})",
    R"("1\n")",
    R"({"minor":3})",
    R"({"major":5,"minor":null})",
};

const std::vector<std::string_view> kMiscValues = {
    R"({"a":null,"b":[null,{"c":null}],"d":"\u0000"})", R"({})", R"([])", R"("x")", R"(null)",
    R"({"nested":{"deep":[1,2.5,"x",true]}})",
};

const std::vector<std::string_view> kExtraNames = {"extra", "_extra", "Misc",      "misc",
                                                   "id ",   "ID",     "_timestamp"};

enum Family : std::size_t {
  kRemoveMember,
  kNull,
  kWrongType,
  kExtraProperty,
  kStringEdit,
  kDateTime,
  kUri,
  kEmail,
  kLongString,
  kUnicodeString,
  kEnum,
  kNumber,
  kBool,
  kArray,
  kVersion,
  kMisc,
  kFamilyCount,
};

const char* family_name(std::size_t f) {
  static constexpr const char* kNames[] = {
      "remove-member",  "null",         "wrong-type",
      "extra-property", "string-edit",  "format-date-time",
      "format-uri",     "format-email", "long-string",
      "unicode-string", "enum",         "number",
      "bool",           "array",        "version",
      "misc",
  };
  return kNames[f];
}

}  // namespace

json::Value& value_at(json::Value& doc, const Path& path) {
  json::Value* v = find_at(doc, path);
  if (v == nullptr) throw std::runtime_error("no value at " + to_pointer(path));
  return *v;
}

MutationCorpus::MutationCorpus(const std::vector<BaseReport>& bases, const KcidbSchemas& schemas,
                               std::uint64_t seed)
    : bases_(bases), rng_(seed) {
  for (const BaseReport& base : bases_) {
    BaseSites s;
    const json::Value& schema = schemas.official(schemas.select(base.doc));
    walk_schema(schema, base.doc,
                [&](const json::Value& node, const json::Value&, const Path& path) {
                  s.sites.push_back({path, &node});
                });
    sites_.push_back(std::move(s));
  }
}

bool MutationCorpus::apply(std::size_t family, const BaseReport& base, const BaseSites& sites,
                           Mutant& out) {
  json::Allocator& alloc = out.doc.GetAllocator();
  // Candidate sites: those whose base value and schema suit the family.
  std::vector<const Site*> candidates;
  for (const Site& site : sites.sites) {
    const json::Value* v = find_at(static_cast<const json::Value&>(base.doc), site.path);
    if (v == nullptr) continue;
    const json::Value& schema = *site.schema;
    bool ok = false;
    switch (family) {
      case kRemoveMember: ok = !site.path.empty() && !site.path.back().is_index; break;
      case kNull:
      case kWrongType: ok = !site.path.empty(); break;
      case kExtraProperty:
      case kMisc: ok = v->IsObject() && schema_member(schema, "properties"); break;
      case kStringEdit: ok = v->IsString(); break;
      case kDateTime: ok = has_format(schema, "date-time"); break;
      case kUri: ok = has_format(schema, "uri"); break;
      case kEmail: ok = has_format(schema, "email"); break;
      case kLongString:
        ok = v->IsString() && (schema_member(schema, "maxLength") || pick(4) == 0);
        break;
      case kUnicodeString: ok = v->IsString(); break;
      case kEnum: ok = schema_member(schema, "enum") != nullptr; break;
      case kNumber: ok = v->IsNumber(); break;
      case kBool: ok = v->IsBool(); break;
      case kArray: ok = v->IsArray(); break;
      case kVersion: ok = site.path.size() == 1 && site.path[0].name == "version"; break;
      default: break;
    }
    if (ok) candidates.push_back(&site);
  }
  if (candidates.empty()) return false;
  const Site& site = *candidates[pick(candidates.size())];
  json::Value* target = find_at(out.doc, site.path);
  const json::Value* original = find_at(static_cast<const json::Value&>(base.doc), site.path);
  // A first change may have removed the value or changed its type.
  if (target == nullptr || target->GetType() != original->GetType()) return false;
  if (!out.family.empty()) out.family += "+";
  out.family += family_name(family);
  out.pointer = to_pointer(site.path);

  auto replace = [&](json::Value v) {
    *target = v;
    out.replacement = json::write(*target);
  };
  auto replace_string = [&](std::string_view s) { replace(string_value(s, alloc)); };
  std::string current = target->IsString() ? std::string(json::str(*target)) : std::string();

  switch (family) {
    case kRemoveMember: {
      Path parent_path(site.path.begin(), site.path.end() - 1);
      json::Value& parent = value_at(out.doc, parent_path);
      parent.RemoveMember(site.path.back().name.c_str());
      out.replacement.clear();
      break;
    }
    case kNull: replace(json::Value()); break;
    case kWrongType: replace(from_json(kWrongTypes[pick(kWrongTypes.size())], alloc)); break;
    case kExtraProperty: {
      std::string_view name = kExtraNames[pick(kExtraNames.size())];
      if (!target->HasMember(json::Value(rapidjson::StringRef(name.data(), name.size())))) {
        target->AddMember(string_value(name, alloc), json::Value(1), alloc);
      }
      out.pointer += "/" + std::string(name);
      out.replacement = "1";
      break;
    }
    case kMisc: {
      json::Value misc = from_json(kMiscValues[pick(kMiscValues.size())], alloc);
      target->RemoveMember("misc");
      target->AddMember("misc", misc, alloc);
      out.pointer += "/misc";
      out.replacement = json::write((*target)["misc"]);
      break;
    }
    case kStringEdit: replace_string(kStringEdits[pick(kStringEdits.size())](current)); break;
    case kDateTime: replace_string(kDateTimes[pick(kDateTimes.size())]); break;
    case kUri: replace_string(kUris[pick(kUris.size())]); break;
    case kEmail: replace_string(kEmails[pick(kEmails.size())]); break;
    case kLongString: {
      static constexpr std::string_view kUnits[] = {"a", "\xc3\xa9", "\xe4\xb8\xad",
                                                    "\xf0\x9f\x98\x80"};
      static constexpr std::size_t kLengths[] = {16383, 16384, 16385, 20000};
      std::string s = repeat(kUnits[pick(4)], kLengths[pick(4)]);
      // A NUL keeps the code point count, but valijson stops counting there.
      if (pick(4) == 0) s[s.size() / 3] = '\0';
      replace_string(s);
      out.replacement =
          out.replacement.substr(0, 40) + "... (" + std::to_string(s.size()) + " bytes)";
      break;
    }
    case kUnicodeString: {
      std::string_view u = kUnicode[pick(kUnicode.size())];
      std::size_t where = pick(3);
      std::string s = where == 0   ? std::string(u) + current
                      : where == 1 ? current + std::string(u)
                                   : std::string(u);
      replace_string(s);
      break;
    }
    case kEnum: {
      const json::Value& values = *schema_member(*site.schema, "enum");
      static constexpr std::string_view kBad[] = {"PASSED", "pass", "",         "MISS\n",
                                                  "FAIL ",  "Fail", "binary\n", "null"};
      if (pick(3) == 0 && values.IsArray() && values.Size() > 0) {
        replace(json::Value(values[static_cast<rapidjson::SizeType>(pick(values.Size()))], alloc));
      } else {
        replace_string(kBad[pick(std::size(kBad))]);
      }
      break;
    }
    case kNumber: {
      if (pick(4) == 0 && target->IsInt64()) {
        // The same integer written as a float: 7 -> 7.0.
        replace(json::Value(static_cast<double>(target->GetInt64())));
      } else {
        replace(from_json(kNumbers[pick(kNumbers.size())], alloc));
      }
      break;
    }
    case kBool: replace(from_json(kBools[pick(kBools.size())], alloc)); break;
    case kArray: {
      switch (pick(5)) {
        case 0: target->Clear(); break;
        case 1: target->PushBack(json::Value(), alloc); break;
        case 2:
          if (!target->Empty()) target->PushBack(json::Value((*target)[0], alloc), alloc);
          break;
        case 3: target->PushBack(json::Value("x"), alloc); break;
        default: target->PushBack(json::Value(rapidjson::kObjectType), alloc); break;
      }
      out.replacement = json::write(*target).substr(0, 200);
      break;
    }
    case kVersion: replace(from_json(kVersions[pick(kVersions.size())], alloc)); break;
    default: break;
  }
  return true;
}

void MutationCorpus::next(Mutant& out) {
  // Families take turns evenly; bases rotate, skipping those that have no
  // value a family can aim at (few bases keep a date-time, for instance).
  std::size_t family = pick(kFamilyCount);
  for (std::size_t attempt = 0;; ++attempt) {
    std::size_t b = counter_++ % bases_.size();
    const BaseReport& base = bases_[b];
    out.family.clear();
    out.replacement.clear();
    out.pointer.clear();
    out.base = base.name;
    out.doc.SetNull();
    out.doc.GetAllocator().Clear();
    out.doc.CopyFrom(base.doc, out.doc.GetAllocator());
    if (attempt == bases_.size()) family = pick(kFamilyCount);  // no base suits it
    if (!apply(family, base, sites_[b], out)) continue;
    // One in eight mutants carries a second change on top.
    if (pick(8) == 0) apply(pick(kFamilyCount), base, sites_[b], out);
    return;
  }
}

}  // namespace kci::oracle
