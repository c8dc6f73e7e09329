// SPDX-License-Identifier: LGPL-2.1-or-later
#include "triage/derive.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "util/sha256.h"

namespace kci::triage {

std::string issue_id_for_signature(std::string_view signature) {
  return std::string(kTriageOrigin) + ":sig:" + std::string(signature);
}

report::Issue issue_from_finding(const Finding& f) {
  report::Issue issue;
  issue.id = issue_id_for_signature(f.signature);
  issue.version = 1;
  issue.origin = kTriageOrigin;
  issue.report_subject = f.title;
  // Every kind the scanners report is a problem of the code under test;
  // harness and tool problems come from rules.
  issue.culprit_code = true;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("kci_triage");
  w.StartObject();
  w.Key("kind");
  w.String(f.kind.c_str(), static_cast<rapidjson::SizeType>(f.kind.size()));
  w.Key("signature");
  w.String(f.signature.c_str(), static_cast<rapidjson::SizeType>(f.signature.size()));
  if (!f.file.empty()) {
    w.Key("file");
    w.String(f.file.c_str(), static_cast<rapidjson::SizeType>(f.file.size()));
  }
  w.EndObject();
  w.EndObject();
  issue.misc = std::string(buf.GetString(), buf.GetSize());
  return issue;
}

report::Issue issue_from_rule(const KnownIssueRule& rule) {
  report::Issue issue;
  issue.id = rule.id;
  issue.version = rule.version;
  issue.origin = rule.origin;
  issue.report_subject = rule.report_subject;
  if (!rule.report_url.empty()) issue.report_url = rule.report_url;
  if (!rule.comment.empty()) issue.comment = rule.comment;
  if (rule.culprit_code || rule.culprit_tool || rule.culprit_harness) {
    issue.culprit_code = rule.culprit_code;
    issue.culprit_tool = rule.culprit_tool;
    issue.culprit_harness = rule.culprit_harness;
  }
  return issue;
}

std::string incident_id(std::string_view result_id, std::string_view issue_id,
                        std::int64_t issue_version) {
  std::string key(result_id);
  key += '\0';
  key += issue_id;
  key += '\0';
  key += std::to_string(issue_version);
  return std::string(kTriageOrigin) + ":" + sha256_hex(key).substr(0, 40);
}

report::Incident incident_for(const ResultFacts& result, const std::string& issue_id,
                              std::int64_t issue_version, const std::string& comment) {
  report::Incident inc;
  inc.id = incident_id(result.id, issue_id, issue_version);
  inc.origin = kTriageOrigin;
  inc.issue_id = issue_id;
  inc.issue_version = issue_version;
  if (result.is_test)
    inc.test_id = result.id;
  else
    inc.build_id = result.id;
  inc.present = true;
  if (!comment.empty()) inc.comment = comment;
  return inc;
}

}  // namespace kci::triage
