// SPDX-License-Identifier: LGPL-2.1-or-later
#include "ingest/change_event.h"

#include "report/json.h"
#include "util/error.h"
#include "util/log.h"

namespace kci::ingest {

int ChangeBus::subscribe(Subscriber subscriber) {
  std::lock_guard lock(mutex_);
  int handle = next_handle_++;
  subscribers_.emplace_back(handle, std::move(subscriber));
  return handle;
}

void ChangeBus::unsubscribe(int handle) {
  std::lock_guard lock(mutex_);
  std::erase_if(subscribers_, [&](const auto& s) { return s.first == handle; });
}

void ChangeBus::publish(const ObjectsChanged& event) const {
  // A copy, so that a subscriber may (un)subscribe without deadlocking.
  std::vector<std::pair<int, Subscriber>> subscribers;
  {
    std::lock_guard lock(mutex_);
    subscribers = subscribers_;
  }
  for (const auto& [handle, subscriber] : subscribers) {
    try {
      subscriber(event);
    } catch (const std::exception& e) {
      log::error("kci: change event " + std::to_string(event.sequence) + ": subscriber " +
                 std::to_string(handle) + " failed: " + e.what());
    }
  }
}

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_ids(Writer& w, const char* name, const std::vector<std::string>& ids) {
  w.Key(name);
  w.StartArray();
  for (const auto& id : ids) w.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
  w.EndArray();
}

const json::Value& member(const json::Value& doc, const char* name) {
  auto it = doc.FindMember(name);
  if (it == doc.MemberEnd()) {
    throw InvalidInputError(std::string("change event: missing member /") + name);
  }
  return it->value;
}

std::vector<std::string> read_ids(const json::Value& doc, const char* name) {
  const json::Value& v = member(doc, name);
  if (!v.IsArray())
    throw InvalidInputError(std::string("change event: /") + name + " is not an array");
  std::vector<std::string> out;
  out.reserve(v.Size());
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    if (!v[i].IsString()) {
      throw InvalidInputError(std::string("change event: /") + name + "/" + std::to_string(i) +
                              " is not a string");
    }
    out.emplace_back(json::str(v[i]));
  }
  return out;
}

}  // namespace

std::string to_json(const ObjectsChanged& e) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("sequence");
  w.Uint64(e.sequence);
  w.Key("committed_at");
  w.String(e.committed_at.data(), static_cast<rapidjson::SizeType>(e.committed_at.size()));
  write_ids(w, "checkouts", e.checkouts);
  write_ids(w, "builds", e.builds);
  write_ids(w, "tests", e.tests);
  write_ids(w, "incidents", e.incidents);
  w.Key("issues");
  w.StartArray();
  for (const auto& k : e.issues) {
    w.StartObject();
    w.Key("id");
    w.String(k.id.data(), static_cast<rapidjson::SizeType>(k.id.size()));
    w.Key("version");
    w.Int64(k.version);
    w.EndObject();
  }
  w.EndArray();
  write_ids(w, "builds_status_changed", e.builds_status_changed);
  write_ids(w, "tests_status_changed", e.tests_status_changed);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

ObjectsChanged objects_changed_from_json(std::string_view text) {
  json::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    throw InvalidInputError("change event: not a JSON object");
  }
  ObjectsChanged e;
  const json::Value& seq = member(doc, "sequence");
  if (!seq.IsUint64())
    throw InvalidInputError("change event: /sequence is not an unsigned integer");
  e.sequence = seq.GetUint64();
  const json::Value& at = member(doc, "committed_at");
  if (!at.IsString()) throw InvalidInputError("change event: /committed_at is not a string");
  e.committed_at = std::string(json::str(at));
  e.checkouts = read_ids(doc, "checkouts");
  e.builds = read_ids(doc, "builds");
  e.tests = read_ids(doc, "tests");
  e.incidents = read_ids(doc, "incidents");
  const json::Value& issues = member(doc, "issues");
  if (!issues.IsArray()) throw InvalidInputError("change event: /issues is not an array");
  for (rapidjson::SizeType i = 0; i < issues.Size(); ++i) {
    const json::Value& k = issues[i];
    auto id = k.IsObject() ? k.FindMember("id") : json::Value::ConstMemberIterator();
    auto version = k.IsObject() ? k.FindMember("version") : json::Value::ConstMemberIterator();
    if (!k.IsObject() || id == k.MemberEnd() || !id->value.IsString() || version == k.MemberEnd() ||
        !version->value.IsInt64()) {
      throw InvalidInputError("change event: /issues/" + std::to_string(i) +
                              " is not {\"id\": string, \"version\": integer}");
    }
    e.issues.push_back({std::string(json::str(id->value)), version->value.GetInt64()});
  }
  e.builds_status_changed = read_ids(doc, "builds_status_changed");
  e.tests_status_changed = read_ids(doc, "tests_status_changed");
  return e;
}

}  // namespace kci::ingest
