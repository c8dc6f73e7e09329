// SPDX-License-Identifier: LGPL-2.1-or-later
#include "report/schema_model.h"

#include <cassert>
#include <cstring>
#include <map>

namespace kci::report::model {

std::span<const std::string_view> choice_values(Choice c) {
  static constexpr std::string_view kTestStatusV1[] = {"ERROR", "FAIL", "PASS", "DONE", "SKIP"};
  static constexpr std::string_view kStatusV4[] = {"FAIL", "ERROR", "PASS", "DONE", "SKIP"};
  static constexpr std::string_view kStatusV42[] = {"FAIL", "ERROR", "MISS",
                                                    "PASS", "DONE",  "SKIP"};
  static constexpr std::string_view kNumberPrefix[] = {"metric", "binary"};
  switch (c) {
    case Choice::kNone: return {};
    case Choice::kTestStatusV1: return kTestStatusV1;
    case Choice::kStatusV4: return kStatusV4;
    case Choice::kStatusV42: return kStatusV42;
    case Choice::kNumberPrefix: return kNumberPrefix;
  }
  return {};
}

void ObjectSpec::add(Field f) { fields.push_back(f); }

void ObjectSpec::remove(std::string_view field_name) {
  std::erase_if(fields, [&](const Field& f) { return f.name == field_name; });
}

Field& ObjectSpec::at(std::string_view field_name) {
  for (Field& f : fields) {
    if (f.name == field_name) return f;
  }
  assert(false && "no such field");
  return fields.front();
}

void ObjectSpec::index() {
  assert(fields.size() < 64);
  slots_.fill(0);
  required_mask_ = 0;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::size_t slot = detail::slot_of(fields[i].name);
    while (slots_[slot] != 0) slot = (slot + 1) & 63;
    slots_[slot] = static_cast<std::uint8_t>(i + 1);
    if (fields[i].required) required_mask_ |= std::uint64_t{1} << i;
  }
}

namespace {

// Shorthands for the field tables below.
ValueType text(Pattern p = Pattern::kNone) { return {.kind = Kind::kString, .pattern = p}; }
ValueType formatted(Format f, Pattern p = Pattern::kNone) {
  return {.kind = Kind::kString, .pattern = p, .format = f};
}
ValueType limited_text(std::uint32_t max_length, Pattern p = Pattern::kNone) {
  return {.kind = Kind::kString, .pattern = p, .max_length = max_length};
}
ValueType choice(Choice c) { return {.kind = Kind::kString, .choice = c}; }
ValueType boolean() { return {.kind = Kind::kBoolean}; }
ValueType count() { return {.kind = Kind::kInteger, .non_negative = true}; }
ValueType number() { return {.kind = Kind::kNumber}; }
ValueType misc() { return {.kind = Kind::kFreeObject}; }
ValueType object(ObjectType t) { return {.kind = Kind::kObject, .object = t}; }

Field req(std::string_view name, ValueType v) { return {name, v, true, false}; }
Field opt(std::string_view name, ValueType v) { return {name, v, false, false}; }
Field list(std::string_view name, ValueType v) { return {name, v, false, true}; }

const ValueType kDateTime = formatted(Format::kDateTime);
const ValueType kUri = formatted(Format::kUri);
constexpr std::uint32_t kLogExcerptMax = 16384;

// v1.1 (and 1.0): revisions, builds and tests, identified by pairs of an
// origin (a CI system name) and an ID local to it.
Schema v1_1() {
  Schema s;
  s.version = {1, 1};
  using T = ObjectType;

  ObjectSpec& resource = s.object(T::kResource);
  resource.name = "resource";
  resource.shared = true;
  resource.fields = {req("name", text()), req("url", kUri)};

  ObjectSpec& revision = s.object(T::kRevision);
  revision.name = "revision";
  revision.shared = true;
  revision.fields = {
      req("origin", text(Pattern::kWordOrEmpty)),
      req("origin_id", text()),
      opt("git_repository_url", kUri),
      opt("git_repository_commit_hash", text()),
      opt("git_repository_commit_name", text()),
      opt("git_repository_branch", text()),
      list("patch_mboxes", object(T::kResource)),
      opt("message_id", formatted(Format::kEmail)),
      opt("description", text()),
      opt("publishing_time", kDateTime),
      opt("discovery_time", kDateTime),
      list("contacts", text()),
      opt("log_url", kUri),
      opt("valid", boolean()),
      opt("misc", misc()),
  };

  ObjectSpec& build = s.object(T::kBuild);
  build.name = "build";
  build.shared = true;
  build.fields = {
      req("revision_origin", text(Pattern::kWordOrEmpty)),
      req("revision_origin_id", text()),
      req("origin", text(Pattern::kWordOrEmpty)),
      req("origin_id", text()),
      opt("description", text()),
      opt("start_time", kDateTime),
      opt("duration", number()),
      opt("architecture", text(Pattern::kWordOrEmpty)),
      opt("command", text()),
      opt("compiler", text()),
      list("input_files", object(T::kResource)),
      list("output_files", object(T::kResource)),
      opt("config_name", text()),
      opt("config_url", kUri),
      opt("log_url", kUri),
      opt("valid", boolean()),
      opt("misc", misc()),
  };

  ObjectSpec& environment = s.object(T::kEnvironment);
  environment.name = "environment";
  environment.fields = {opt("description", text()), opt("misc", misc())};

  ObjectSpec& test = s.object(T::kTest);
  test.name = "test";
  test.shared = true;
  test.fields = {
      req("build_origin", text(Pattern::kWordOrEmpty)),
      req("build_origin_id", text()),
      req("origin", text(Pattern::kWordOrEmpty)),
      req("origin_id", text()),
      opt("environment", object(T::kEnvironment)),
      opt("path", text(Pattern::kTestPathV1)),
      opt("description", text()),
      opt("status", choice(Choice::kTestStatusV1)),
      opt("waived", boolean()),
      opt("start_time", kDateTime),
      opt("duration", number()),
      list("output_files", object(T::kResource)),
      opt("misc", misc()),
  };

  ObjectSpec& report = s.object(T::kReport);
  report.name = "report";
  report.fields = {
      req("version", {.kind = Kind::kVersion}),
      list("revisions", object(T::kRevision)),
      list("builds", object(T::kBuild)),
      list("tests", object(T::kTest)),
  };
  return s;
}

// v2.0: single string IDs "<origin>:<local ID>"; no "/" in resource names.
void v2_0(Schema& s) {
  using T = ObjectType;
  const ValueType id = text(Pattern::kIdPrefixV2);
  ObjectSpec& revision = s.object(T::kRevision);
  revision.remove("origin");
  revision.remove("origin_id");
  revision.fields.insert(revision.fields.begin(), req("id", id));

  ObjectSpec& build = s.object(T::kBuild);
  for (auto name : {"revision_origin", "revision_origin_id", "origin", "origin_id"})
    build.remove(name);
  build.fields.insert(build.fields.begin(), {req("id", id), req("revision_id", id)});

  ObjectSpec& test = s.object(T::kTest);
  for (auto name : {"build_origin", "build_origin_id", "origin", "origin_id"}) test.remove(name);
  test.fields.insert(test.fields.begin(), {req("id", id), req("build_id", id)});

  s.object(T::kResource).at("name").value = text(Pattern::kResourceNameV2);
}

// v3.0: a separate required origin; revision IDs are commit hashes (plus a
// patchset hash); git_repository_commit_* renamed git_commit_*.
void v3_0(Schema& s) {
  using T = ObjectType;
  const ValueType id = text(Pattern::kIdV3);
  const Field origin = req("origin", text(Pattern::kOrigin));

  ObjectSpec& revision = s.object(T::kRevision);
  revision.at("id").value = text(Pattern::kRevisionIdV3);
  revision.add(origin);
  revision.add(opt("tree_name", text()));
  revision.at("git_repository_url").value = formatted(Format::kUri, Pattern::kGitUrlV3);
  revision.at("git_repository_commit_hash") = opt("git_commit_hash", text(Pattern::kCommitHash));
  revision.at("git_repository_commit_name") = opt("git_commit_name", text());

  ObjectSpec& build = s.object(T::kBuild);
  build.at("id").value = id;
  build.at("revision_id").value = text(Pattern::kRevisionIdV3);
  build.add(origin);

  ObjectSpec& test = s.object(T::kTest);
  test.at("id").value = id;
  test.at("build_id").value = id;
  test.add(origin);
}

// v4.0: revisions become checkouts with their own IDs; "description" is
// "comment" everywhere; log excerpts.
void v4_0(Schema& s) {
  using T = ObjectType;
  const ValueType id = text(Pattern::kIdV3);
  const Field log_excerpt = opt("log_excerpt", limited_text(kLogExcerptMax));

  s.object(T::kRevision) = ObjectSpec{};
  ObjectSpec& checkout = s.object(T::kCheckout);
  checkout.name = "checkout";
  checkout.shared = true;
  checkout.fields = {
      req("id", id),
      req("origin", text(Pattern::kOrigin)),
      opt("tree_name", text()),
      opt("git_repository_url", formatted(Format::kUri, Pattern::kGitUrlV3)),
      opt("git_commit_hash", text(Pattern::kCommitHash)),
      opt("git_commit_name", text()),
      opt("git_repository_branch", text()),
      list("patchset_files", object(T::kResource)),
      opt("patchset_hash", text(Pattern::kPatchsetHash)),
      opt("message_id", formatted(Format::kEmail)),
      opt("comment", text()),
      opt("start_time", kDateTime),
      list("contacts", text()),
      opt("log_url", kUri),
      log_excerpt,
      opt("valid", boolean()),
      opt("misc", misc()),
  };

  ObjectSpec& build = s.object(T::kBuild);
  build.remove("revision_id");
  build.fields.insert(build.fields.begin() + 1, req("checkout_id", id));
  build.at("description").name = "comment";
  build.add(log_excerpt);

  ObjectSpec& test = s.object(T::kTest);
  test.at("description").name = "comment";
  test.at("status").value = choice(Choice::kStatusV4);
  test.add(opt("log_url", kUri));
  test.add(log_excerpt);
  s.object(T::kEnvironment).at("description").name = "comment";

  ObjectSpec& report = s.object(T::kReport);
  report.at("revisions") = list("checkouts", object(T::kCheckout));
}

// v4.1: issues and the incidents linking them to builds and tests.
void v4_1(Schema& s) {
  using T = ObjectType;
  const ValueType id = text(Pattern::kIdV3);
  const Field origin = req("origin", text(Pattern::kOrigin));

  ObjectSpec& culprit = s.object(T::kCulprit);
  culprit.name = "culprit";
  culprit.fields = {opt("code", boolean()), opt("tool", boolean()), opt("harness", boolean())};

  ObjectSpec& issue = s.object(T::kIssue);
  issue.name = "issue";
  issue.shared = true;
  issue.fields = {
      req("id", id),
      req("version", count()),
      origin,
      opt("report_url", kUri),
      opt("report_subject", text()),
      opt("culprit", object(T::kCulprit)),
      opt("build_valid", boolean()),
      opt("test_status", choice(Choice::kStatusV4)),
      opt("comment", text()),
      opt("misc", misc()),
  };

  ObjectSpec& incident = s.object(T::kIncident);
  incident.name = "incident";
  incident.shared = true;
  incident.fields = {
      req("id", id),
      origin,
      req("issue_id", id),
      req("issue_version", count()),
      opt("build_id", id),
      opt("test_id", id),
      opt("present", boolean()),
      opt("comment", text()),
      opt("misc", misc()),
  };

  ObjectSpec& report = s.object(T::kReport);
  report.add(list("issues", object(T::kIssue)));
  report.add(list("incidents", object(T::kIncident)));
}

// v4.2: the MISS status.
void v4_2(Schema& s) {
  s.object(ObjectType::kTest).at("status").value = choice(Choice::kStatusV42);
  s.object(ObjectType::kIssue).at("test_status").value = choice(Choice::kStatusV42);
}

// v4.3: the "_timestamp" metadata of every object.
void v4_3(Schema& s) {
  using T = ObjectType;
  for (T t : {T::kCheckout, T::kBuild, T::kTest, T::kIssue, T::kIncident}) {
    ObjectSpec& o = s.object(t);
    o.fields.insert(o.fields.begin(), opt("_timestamp", kDateTime));
  }
}

// v4.4: test measurements and the environment's device-tree compatibles.
void v4_4(Schema& s) {
  using T = ObjectType;
  ObjectSpec& number_type = s.object(T::kNumber);
  number_type.name = "number";
  number_type.fields = {
      req("value", number()),
      opt("unit", text()),
      opt("prefix", choice(Choice::kNumberPrefix)),
  };
  s.object(T::kTest).add(opt("number", object(T::kNumber)));
  ObjectSpec& environment = s.object(T::kEnvironment);
  environment.fields.insert(environment.fields.begin() + 1,
                            list("compatible", text(Pattern::kCompatibleV4)));
}

// v4.5: more about the checked-out commit.
void v4_5(Schema& s) {
  ObjectSpec& checkout = s.object(ObjectType::kCheckout);
  checkout.add(list("git_commit_tags", text()));
  checkout.add(opt("git_commit_message", text()));
  checkout.add(opt("git_repository_branch_tip", boolean()));
}

// v5.0: build status instead of "valid"; waived tests, checkout contacts
// and issue build_valid/test_status gone; https-only repository URLs;
// strict test paths; no NUL in any text.
void v5_0(Schema& s) {
  using T = ObjectType;
  const ValueType id = text(Pattern::kIdV5);
  const ValueType no_nul = text(Pattern::kNoNul);
  const ValueType excerpt = limited_text(kLogExcerptMax, Pattern::kNoNul);

  ObjectSpec& checkout = s.object(T::kCheckout);
  checkout.remove("contacts");
  checkout.at("id").value = id;
  checkout.at("git_repository_url").value = formatted(Format::kUri, Pattern::kGitUrlV5);
  for (auto name : {"tree_name", "git_commit_name", "git_commit_tags", "git_commit_message",
                    "git_repository_branch", "comment"}) {
    checkout.at(name).value = no_nul;
  }
  checkout.at("log_excerpt").value = excerpt;

  ObjectSpec& build = s.object(T::kBuild);
  build.remove("valid");
  build.add(opt("status", choice(Choice::kStatusV42)));
  build.at("id").value = id;
  build.at("checkout_id").value = id;
  for (auto name : {"comment", "command", "compiler", "config_name"}) build.at(name).value = no_nul;
  build.at("log_excerpt").value = excerpt;

  ObjectSpec& test = s.object(T::kTest);
  test.remove("waived");
  test.at("id").value = id;
  test.at("build_id").value = id;
  test.at("path").value = text(Pattern::kPath);
  test.at("comment").value = no_nul;
  test.at("log_excerpt").value = excerpt;
  s.object(T::kEnvironment).at("comment").value = no_nul;
  s.object(T::kEnvironment).at("compatible").value = text(Pattern::kCompatibleV5);
  s.object(T::kNumber).at("unit").value = no_nul;

  ObjectSpec& issue = s.object(T::kIssue);
  issue.remove("build_valid");
  issue.remove("test_status");
  issue.at("id").value = id;
  issue.at("report_subject").value = no_nul;
  issue.at("comment").value = no_nul;

  ObjectSpec& incident = s.object(T::kIncident);
  for (auto name : {"id", "issue_id", "build_id", "test_id"}) incident.at(name).value = id;
  incident.at("comment").value = no_nul;

  s.object(T::kResource).at("name").value = text(Pattern::kResourceNameV5);
}

// v5.1: when the origin finished building and testing a checkout.
void v5_1(Schema& s) {
  ObjectSpec& checkout = s.object(ObjectType::kCheckout);
  checkout.add(opt("origin_builds_finish_time", kDateTime));
  checkout.add(opt("origin_tests_finish_time", kDateTime));
}

// v5.2: issue categories, dotted paths like test paths.
void v5_2(Schema& s) {
  ObjectSpec& issue = s.object(ObjectType::kIssue);
  issue.add(list("categories", text(Pattern::kPath)));
}

// v5.3: test input files.
void v5_3(Schema& s) {
  ObjectSpec& test = s.object(ObjectType::kTest);
  test.add(list("input_files", object(ObjectType::kResource)));
}

using Delta = void (*)(Schema&);

std::map<Version, Schema> build_all() {
  // The change each version made to the one before it.
  const std::pair<Version, Delta> history[] = {
      {{2, 0}, v2_0}, {{3, 0}, v3_0}, {{4, 0}, v4_0}, {{4, 1}, v4_1},
      {{4, 2}, v4_2}, {{4, 3}, v4_3}, {{4, 4}, v4_4}, {{4, 5}, v4_5},
      {{5, 0}, v5_0}, {{5, 1}, v5_1}, {{5, 2}, v5_2}, {{5, 3}, v5_3},
  };
  std::map<Version, Schema> all;
  Schema current = v1_1();
  auto store = [&all](Schema s) {
    for (ObjectSpec& o : s.objects) o.index();
    all.emplace(s.version, std::move(s));
  };
  store(current);
  for (const auto& [version, delta] : history) {
    current.version = version;
    delta(current);
    store(current);
  }
  return all;
}

}  // namespace

const Schema& schema_of(Version v) {
  static const std::map<Version, Schema> all = build_all();
  auto it = all.find(v);
  if (it == all.end()) throw VersionError("/version: unknown schema version " + v.str());
  return it->second;
}

}  // namespace kci::report::model
