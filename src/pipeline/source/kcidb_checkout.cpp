// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/source/kcidb_checkout.h"

#include "pipeline/source/git.h"
#include "report/json.h"

namespace kci::pipeline {

namespace {

// KCIDB checks message_id as an e-mail address; a Message-ID that is not
// one goes to misc instead of making the report invalid.
bool looks_like_address(const std::string& text) {
  std::size_t at = text.find('@');
  return at != std::string::npos && at > 0 && at + 1 < text.size() &&
         text.find_first_of(" \t<>\"") == std::string::npos;
}

// misc as a JSON object (empty when unset or not an object).
json::Document misc_of(const report::Checkout& checkout) {
  json::Document doc;
  if (checkout.misc) doc.Parse(checkout.misc->c_str(), checkout.misc->size());
  if (doc.HasParseError() || !doc.IsObject()) doc.SetObject();
  return doc;
}

void put_misc(report::Checkout& checkout, const std::string& key, json::Document& misc,
              json::Value value) {
  auto& a = misc.GetAllocator();
  auto it = misc.FindMember(key.c_str());
  if (it != misc.MemberEnd()) {
    it->value = value;
  } else {
    misc.AddMember(json::Value(key, a), value, a);
  }
  checkout.misc = json::write(misc);
}

}  // namespace

// Text from git (commit messages, git am errors) is not always UTF-8, and a
// report must be: bytes that are not part of a valid UTF-8 sequence become
// U+FFFD. NUL is not allowed in KCIDB text either.
std::string valid_utf8(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char c = byte(i);
    std::size_t length = c < 0x80           ? 1
                         : (c >> 5) == 0x6  ? 2
                         : (c >> 4) == 0xE  ? 3
                         : (c >> 3) == 0x1E ? 4
                                            : 0;
    bool ok =
        length > 0 && i + length <= text.size() && c != 0 && c != 0xC0 && c != 0xC1 && c < 0xF5;
    for (std::size_t k = 1; ok && k < length; ++k) ok = (byte(i + k) & 0xC0) == 0x80;
    if (ok) {
      out.append(text, i, length);
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

void set_repository_url(report::Checkout& checkout, const std::string& url) {
  if (url.empty()) return;
  if (git::is_https_url(url)) {
    checkout.git_repository_url = url;
  } else {
    set_misc(checkout, "git_repository_url", url);
  }
}

std::string repository_url(const report::Checkout& checkout) {
  if (checkout.git_repository_url) return *checkout.git_repository_url;
  return misc_string(checkout, "git_repository_url");
}

void set_message_id(report::Checkout& checkout, const std::string& id) {
  // A new Message-ID replaces the old one wherever that was.
  checkout.message_id.reset();
  if (checkout.misc) {
    json::Document misc = misc_of(checkout);
    if (misc.RemoveMember("message_id")) {
      checkout.misc = json::write(misc);
      if (misc.MemberCount() == 0) checkout.misc.reset();
    }
  }
  if (id.empty()) return;
  if (looks_like_address(id)) {
    checkout.message_id = id;
  } else {
    set_misc(checkout, "message_id", valid_utf8(id));
  }
}

std::string message_id(const report::Checkout& checkout) {
  if (checkout.message_id) return *checkout.message_id;
  return misc_string(checkout, "message_id");
}

void set_commit_message(report::Checkout& checkout, const std::string& message) {
  checkout.git_commit_message = valid_utf8(message);
}

void set_log_excerpt(report::Checkout& checkout, const std::string& text) {
  if (text.empty()) return;
  std::string excerpt = valid_utf8(text);
  if (excerpt.size() > kMaxLogExcerpt) {
    excerpt.erase(0, excerpt.size() - kMaxLogExcerpt);
    // Do not start in the middle of a UTF-8 sequence.
    while (!excerpt.empty() && (static_cast<unsigned char>(excerpt[0]) & 0xC0) == 0x80) {
      excerpt.erase(0, 1);
    }
  }
  checkout.log_excerpt = excerpt;
}

void set_patchset_files(report::Checkout& checkout,
                        const std::vector<std::pair<std::string, std::string>>& files) {
  if (files.empty()) return;
  json::Document list(rapidjson::kArrayType);
  auto& a = list.GetAllocator();
  for (const auto& [name, url] : files) {
    json::Value file(rapidjson::kObjectType);
    file.AddMember("name", json::Value(name, a), a);
    file.AddMember("url", json::Value(url, a), a);
    list.PushBack(file, a);
  }
  checkout.patchset_files = json::write(list);
}

std::vector<std::pair<std::string, std::string>> patchset_files(const report::Checkout& checkout) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!checkout.patchset_files) return out;
  json::Document doc;
  doc.Parse(checkout.patchset_files->c_str(), checkout.patchset_files->size());
  if (doc.HasParseError() || !doc.IsArray()) return out;
  for (const auto& f : doc.GetArray()) {
    if (!f.IsObject()) continue;
    auto name = f.FindMember("name");
    auto url = f.FindMember("url");
    out.emplace_back(name != f.MemberEnd() && name->value.IsString() ? json::str(name->value) : "",
                     url != f.MemberEnd() && url->value.IsString() ? json::str(url->value) : "");
  }
  return out;
}

void set_misc(report::Checkout& checkout, const std::string& key, const std::string& value) {
  json::Document misc = misc_of(checkout);
  put_misc(checkout, key, misc, json::Value(valid_utf8(value), misc.GetAllocator()));
}

std::string misc_string(const report::Checkout& checkout, const std::string& key) {
  json::Document misc = misc_of(checkout);
  auto it = misc.FindMember(key.c_str());
  if (it == misc.MemberEnd() || !it->value.IsString()) return {};
  return std::string(json::str(it->value));
}

void set_contacts(report::Checkout& checkout, const std::vector<std::string>& list) {
  if (list.empty()) return;
  json::Document misc = misc_of(checkout);
  json::Value array(rapidjson::kArrayType);
  for (const std::string& c : list) {
    array.PushBack(json::Value(valid_utf8(c), misc.GetAllocator()), misc.GetAllocator());
  }
  put_misc(checkout, "contacts", misc, std::move(array));
}

std::vector<std::string> contacts(const report::Checkout& checkout) {
  std::vector<std::string> out;
  json::Document misc = misc_of(checkout);
  auto it = misc.FindMember("contacts");
  if (it == misc.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& c : it->value.GetArray()) {
    if (c.IsString()) out.emplace_back(json::str(c));
  }
  return out;
}

report::Report checkout_report(std::vector<report::Checkout> checkouts) {
  report::Report out;
  out.checkouts = std::move(checkouts);
  return out;
}

}  // namespace kci::pipeline
