// SPDX-License-Identifier: LGPL-2.1-or-later
#include "pipeline/lava/lava.h"

#include <rapidjson/error/en.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "pipeline/results/console.h"
#include "pipeline/runtime/testplan_report.h"
#include "util/error.h"
#include "util/time.h"

namespace kci::pipeline {

namespace {

// One LAVA result, from the callback's result lists or lava-run's log.
struct LavaResult {
  std::string suite;   // "lava", "0_dmesg"
  std::string name;    // "login-action", "emerg"
  std::string result;  // pass, fail, skip, unknown
  std::optional<double> measurement;
  std::string unit;
  std::string error_type;  // Infrastructure, Bug, Configuration, Job, Test, ...
  std::string error_msg;
};

std::string scalar(const YAML::Node& node, const std::string& fallback = "") {
  if (!node || !node.IsScalar()) return fallback;
  return node.Scalar();
}

// LAVA writes measurements as "2.0000000000", "None", 0E-10, or (from
// Python's Decimal) a tagged one-element list ["2"].
std::optional<double> measurement_of(const YAML::Node& node) {
  std::string text;
  if (node && node.IsSequence() && node.size() > 0) {
    text = scalar(node[0]);
  } else {
    text = scalar(node);
  }
  if (text.empty() || text == "None" || text == "null") return std::nullopt;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return std::nullopt;
  return value;
}

LavaResult result_from_list_item(const YAML::Node& item) {
  LavaResult r;
  r.suite = scalar(item["suite"]);
  r.name = scalar(item["name"]);
  r.result = scalar(item["result"]);
  r.measurement = measurement_of(item["measurement"]);
  r.unit = scalar(item["unit"]);
  if (YAML::Node metadata = item["metadata"]; metadata && metadata.IsMap()) {
    r.error_type = scalar(metadata["error_type"]);
    r.error_msg = scalar(metadata["error_msg"]);
  }
  return r;
}

LavaResult result_from_log_message(const YAML::Node& msg) {
  LavaResult r;
  r.suite = scalar(msg["definition"]);
  r.name = scalar(msg["case"]);
  r.result = scalar(msg["result"]);
  r.measurement = measurement_of(msg["measurement"]);
  r.unit = scalar(msg["units"]);
  r.error_type = scalar(msg["error_type"]);
  r.error_msg = scalar(msg["error_msg"]);
  return r;
}

// "0_dmesg" -> "dmesg": LAVA numbers test definitions in job order.
std::string suite_name(const std::string& suite) {
  std::size_t i = 0;
  while (i < suite.size() && std::isdigit(static_cast<unsigned char>(suite[i]))) ++i;
  if (i > 0 && i < suite.size() && suite[i] == '_') return suite.substr(i + 1);
  return suite;
}

Status status_of(const std::string& lava_result) {
  if (lava_result == "pass") return Status::kPass;
  if (lava_result == "fail") return Status::kFail;
  if (lava_result == "skip") return Status::kSkip;
  return Status::kError;  // "unknown": the test could not tell
}

// LAVA's timestamps: "2020-11-19 07:03:22.470908+00:00" (callback) or
// "2020-11-19T07:03:25.393174" (log, UTC without a zone).
std::string lava_time_to_rfc3339(std::string text) {
  if (text.size() > 10 && text[10] == ' ') text[10] = 'T';
  bool has_zone =
      text.size() > 19 && (text.back() == 'Z' || text.find('+', 19) != std::string::npos ||
                           text.find('-', 19) != std::string::npos);
  if (!has_zone && !text.empty()) text += "+00:00";
  auto parsed = parse_rfc3339(text);
  return parsed ? format_rfc3339(*parsed) : "";
}

// The job's metadata map (strings), from the definition or the callback.
std::map<std::string, std::string> metadata_of(const YAML::Node& node) {
  std::map<std::string, std::string> out;
  if (node && node.IsMap()) {
    for (const auto& entry : node) {
      if (entry.second.IsScalar()) out[entry.first.Scalar()] = entry.second.Scalar();
    }
  }
  return out;
}

struct ParsedLog {
  std::string console;
  std::vector<LavaResult> results;
  std::string first_time, last_time;
};

// lava-run prints its log on stderr as one JSON object a line, mixed with
// whatever else the dispatcher's Python writes there (warnings); a LAVA
// server keeps the same entries as a YAML sequence (output.yaml). Either is
// accepted: a text that does not start as a YAML sequence ("- " or "---")
// is taken as lava-run's stderr, and its lines that are JSON objects become
// the sequence (a JSON object is a YAML flow mapping).
std::string log_as_yaml_sequence(std::string_view text) {
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  std::string_view head = text.substr(first);
  if (head.starts_with("- ") || head.starts_with("-\n") || head.starts_with("---")) {
    return std::string(text);
  }
  std::string yaml;
  yaml.reserve(text.size() + text.size() / 32);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.front() == '{') {
      yaml += "- ";
      yaml += line;
      yaml += '\n';
    }
    pos = end + 1;
  }
  return yaml;
}

ParsedLog parse_log(std::string_view log_text) {
  ParsedLog out;
  std::string log_yaml = log_as_yaml_sequence(log_text);
  if (log_yaml.empty()) return out;
  YAML::Node log;
  try {
    log = YAML::Load(log_yaml);
  } catch (const YAML::Exception& e) {
    throw InvalidInputError(std::string("LAVA log is not YAML: ") + e.what());
  }
  if (!log.IsSequence()) return out;
  for (const auto& entry : log) {
    if (!entry.IsMap()) continue;
    std::string level = scalar(entry["lvl"]);
    std::string dt = scalar(entry["dt"]);
    if (!dt.empty()) {
      if (out.first_time.empty()) out.first_time = dt;
      out.last_time = dt;
    }
    YAML::Node msg = entry["msg"];
    // An entry without "msg": yaml-cpp's node for a missing key throws on
    // IsScalar() (found by fuzz/lava_fuzz).
    if (!msg.IsDefined()) continue;
    if (level == "target") {
      out.console += msg.IsScalar() ? msg.Scalar() : YAML::Dump(msg);
      out.console += '\n';
    } else if (level == "results" && msg.IsMap()) {
      out.results.push_back(result_from_log_message(msg));
    }
  }
  return out;
}

const LavaResult* find_lava_case(const std::vector<LavaResult>& results,
                                 std::initializer_list<const char*> names) {
  for (const char* name : names) {
    for (const LavaResult& r : results) {
      if (r.suite == "lava" && r.name == name) return &r;
    }
  }
  return nullptr;
}

// LAVA's error types that blame the lab, its configuration or LAVA itself
// (or an operator who canceled the job), never the kernel under test.
bool is_infrastructure_error(const std::string& error_type) {
  return error_type == "Infrastructure" || error_type == "Configuration" || error_type == "Bug" ||
         error_type == "Canceled";
}

bool has_fatal_kernel_issue(const std::vector<KernelIssue>& issues) {
  return std::any_of(issues.begin(), issues.end(),
                     [](const KernelIssue& i) { return i.kind != KernelIssueKind::kWarning; });
}

// Turns LAVA's view of a job into KCIDB outcomes.
std::vector<TestOutcome> evaluate_lava_job(const std::string& plan, const std::string& job_status,
                                           const std::string& console,
                                           const std::vector<LavaResult>& results) {
  std::vector<TestOutcome> outcomes;
  std::vector<KernelIssue> issues = find_kernel_issues(console);
  const LavaResult* job = find_lava_case(results, {"job"});
  const bool infrastructure_failure =
      job && job->result == "fail" && is_infrastructure_error(job->error_type);
  std::string why_not_run = "not run: LAVA job " + (job_status.empty() ? "failed" : job_status);
  if (job && !job->error_type.empty()) {
    why_not_run +=
        " (" + job->error_type + (job->error_msg.empty() ? "" : ": " + job->error_msg) + ")";
  }

  // A kci initramfs printed its markers: the same evaluation as QEMU.
  if (console.find("KCI-INIT:") != std::string::npos) {
    BootOutcome boot;
    boot.timed_out = job_status != "complete" && !infrastructure_failure;
    boot.started = !(infrastructure_failure && console.find("KCI-LOGIN") == std::string::npos);
    boot.infrastructure_error = why_not_run;
    outcomes = evaluate_plan(plan, console, boot);
    // What the lab's trouble kept from running is ERROR, as KernelCI
    // reports LAVA infrastructure errors (kernelci-pipeline#1154).
    if (infrastructure_failure) {
      for (TestOutcome& t : outcomes) {
        if (t.status == Status::kMiss) t.status = Status::kError;
      }
    }
    return outcomes;
  }

  // KernelCI-style test definitions: login from LAVA's login action, then
  // every case of every test suite.
  TestOutcome login{plan + ".login", Status::kError, std::nullopt, "", "", ""};
  const LavaResult* login_case = find_lava_case(results, {"auto-login-action", "login-action"});
  if (login_case && login_case->result == "pass") {
    login.status = Status::kPass;
  } else if (has_fatal_kernel_issue(issues)) {
    login.status = Status::kFail;
    login.comment = "the kernel failed before a shell came up";
    login.log_excerpt = issues_excerpt(issues);
  } else if (login_case && !is_infrastructure_error(login_case->error_type)) {
    // Tried and did not get a prompt (e.g. a timeout): nothing proves the
    // kernel at fault.
    login.status = Status::kError;
    login.comment =
        "no login prompt" + (login_case->error_msg.empty() ? "" : ": " + login_case->error_msg);
  } else if (login_case || infrastructure_failure) {
    // The lab failed, not the kernel: ERROR, as KernelCI reports LAVA
    // infrastructure errors (kernelci-pipeline#1154).
    login.status = Status::kError;
    login.comment = why_not_run;
    if (login_case && !infrastructure_failure) {
      login.comment += " (" + login_case->error_type +
                       (login_case->error_msg.empty() ? "" : ": " + login_case->error_msg) + ")";
    }
  } else {
    // No login was tried and LAVA blamed nothing on itself.
    login.status = Status::kMiss;
    login.comment = why_not_run;
  }
  outcomes.push_back(login);
  for (const LavaResult& r : results) {
    if (r.suite == "lava" || r.suite.empty() || r.name.empty()) continue;
    TestOutcome t{plan + "." + test_path_part(suite_name(r.suite)) + "." + test_path_part(r.name),
                  status_of(r.result),
                  r.measurement,
                  r.unit,
                  "",
                  ""};
    if (r.result == "unknown") t.comment = "LAVA reported the result as unknown";
    outcomes.push_back(std::move(t));
  }
  return outcomes;
}

void finish(LavaJobResults& job, const LavaCallbackOptions& options,
            const std::map<std::string, std::string>& metadata,
            const std::vector<LavaResult>& results) {
  auto meta = [&](const char* key) {
    auto it = metadata.find(key);
    return it == metadata.end() ? std::string() : it->second;
  };
  job.plan = !options.plan.empty()        ? options.plan
             : !meta("test.plan").empty() ? meta("test.plan")
                                          : "baseline";
  job.build_id = !options.build_id.empty() ? options.build_id : meta("kci.build_id");
  if (job.build_id.empty()) {
    throw InvalidInputError(
        "the LAVA job names no build (no kci.build_id in its metadata, "
        "/definition/metadata); "
        "pass the build id");
  }
  std::string compatible = meta("platform.compatible");
  for (std::size_t start = 0; !compatible.empty() && start < compatible.size();) {
    std::size_t space = compatible.find(' ', start);
    if (space == std::string::npos) space = compatible.size();
    if (space > start) job.compatible.push_back(compatible.substr(start, space - start));
    start = space + 1;
  }
  job.outcomes = evaluate_lava_job(job.plan, job.status, job.console, results);

  TestRunContext context;
  context.origin = options.origin;
  context.build_id = job.build_id;
  context.run_id =
      "lava-" + (job.lab.empty() ? "" : test_path_part(job.lab) + "-") + std::to_string(job.job_id);
  context.start_time = job.start_time;
  context.duration = job.duration;
  context.environment_comment =
      job.device + (job.lab.empty() ? " in a LAVA lab" : " in lab " + job.lab) + " (LAVA)";
  context.compatible = job.compatible;
  context.log_url = options.log_url;
  if (!options.log_url.empty()) context.output_files = {{"console.log", options.log_url}};
  context.misc = {{"runtime", "lava"},
                  {"lava_job_id", std::to_string(job.job_id)},
                  {"lava_job_status", job.status},
                  {"plan", job.plan}};
  if (!job.lab.empty()) context.misc.emplace_back("lab", job.lab);
  job.report = make_test_report(job.outcomes, context);
}

YAML::Node load_yaml(std::string_view text, const char* what) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw InvalidInputError(std::string(what) + " is not YAML: " + e.what());
  }
}

}  // namespace

std::vector<LavaPlatform> builtin_lava_platforms() {
  return {
      {"qemu-x86_64",
       "qemu",
       "x86_64",
       "qemu",
       "ttyS0",
       "",
       {},
       {{"arch", "x86_64"}, {"machine", "q35"}, {"cpu", "qemu64"}, {"memory", "256M"}},
       {"-smp 1", "-no-reboot"}},
      {"qemu-arm64",
       "qemu",
       "arm64",
       "qemu",
       "ttyAMA0",
       "",
       {},
       {{"arch", "arm64"}, {"machine", "virt"}, {"cpu", "cortex-a57"}, {"memory", "256M"}},
       {"-smp 1", "-no-reboot"}},
      {"qemu-riscv64",
       "qemu",
       "riscv64",
       "qemu",
       "ttyS0",
       "",
       {},
       {{"arch", "riscv64"}, {"machine", "virt"}, {"memory", "256M"}},
       {"-smp 1", "-no-reboot", "-bios default"}},
  };
}

std::vector<LavaPlatform> load_lava_platforms(std::string_view yaml_text,
                                              const std::string& source) {
  std::vector<LavaPlatform> platforms = builtin_lava_platforms();
  YAML::Node root = load_yaml(yaml_text, source.c_str());
  YAML::Node list = root["platforms"];
  if (!list || !list.IsMap()) throw InvalidInputError(source + ": no \"platforms\" mapping");
  for (const auto& entry : list) {
    const YAML::Node& p = entry.second;
    LavaPlatform platform;
    platform.name = entry.first.Scalar();
    platform.device_type = scalar(p["device_type"], platform.name);
    platform.arch = scalar(p["arch"]);
    platform.boot_method = scalar(p["boot_method"], "u-boot");
    platform.console = scalar(p["console"], "ttyS0");
    platform.dtb = scalar(p["dtb"]);
    if (p["compatible"] && p["compatible"].IsSequence()) {
      for (const auto& c : p["compatible"]) platform.compatible.push_back(c.Scalar());
    }
    if (p["context"] && p["context"].IsMap()) {
      for (const auto& c : p["context"]) {
        if (c.first.Scalar() == "extra_options" && c.second.IsSequence()) {
          for (const auto& o : c.second) platform.extra_options.push_back(o.Scalar());
        } else if (c.second.IsScalar()) {
          platform.context[c.first.Scalar()] = c.second.Scalar();
        }
      }
    }
    if (platform.arch.empty())
      throw InvalidInputError(source + ": platform " + platform.name + " has no arch");
    if (platform.boot_method != "qemu" && platform.boot_method != "u-boot") {
      throw InvalidInputError(source + ": platform " + platform.name +
                              ": boot_method must be qemu or u-boot");
    }
    auto same = std::find_if(platforms.begin(), platforms.end(),
                             [&](const LavaPlatform& x) { return x.name == platform.name; });
    if (same != platforms.end()) {
      *same = platform;
    } else {
      platforms.push_back(platform);
    }
  }
  return platforms;
}

std::string generate_lava_job(const LavaJobRequest& request) {
  const LavaPlatform& platform = request.platform;
  std::string job_name =
      request.job_name.empty() ? "kci " + request.plan + " on " + platform.name : request.job_name;
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "device_type" << YAML::Value << platform.device_type;
  out << YAML::Key << "job_name" << YAML::Value << job_name;
  out << YAML::Key << "priority" << YAML::Value << request.priority;
  out << YAML::Key << "visibility" << YAML::Value << "public";
  out << YAML::Key << "timeouts" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "job" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "minutes"
      << YAML::Value << request.timeout_minutes << YAML::EndMap;
  out << YAML::Key << "action" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
      << "minutes" << YAML::Value << std::max(1, request.timeout_minutes / 2) << YAML::EndMap;
  out << YAML::Key << "connection" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
      << "minutes" << YAML::Value << 2 << YAML::EndMap;
  out << YAML::Key << "queue" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "days"
      << YAML::Value << 2 << YAML::EndMap;
  out << YAML::EndMap;
  if (platform.boot_method == "qemu") {
    out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
    for (const auto& [key, value] : platform.context) {
      // LAVA's qemu device type spells x86_64 "amd64" as well; it accepts both.
      out << YAML::Key << key << YAML::Value << value;
    }
    if (!platform.extra_options.empty()) {
      out << YAML::Key << "extra_options" << YAML::Value << YAML::BeginSeq;
      for (const auto& o : platform.extra_options) out << o;
      out << YAML::EndSeq;
    }
    out << YAML::Key << "no_kvm" << YAML::Value << true;  // KVM is not usable in CI
    out << YAML::EndMap;
  }
  out << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  std::map<std::string, std::string> metadata = request.metadata;
  metadata.emplace("test.plan", request.plan);
  metadata.emplace("platform.name", platform.name);
  metadata.emplace("job.arch", platform.arch);
  if (!platform.compatible.empty()) {
    std::string joined;
    for (const auto& c : platform.compatible) joined += (joined.empty() ? "" : " ") + c;
    metadata.emplace("platform.compatible", joined);
  }
  for (const auto& [key, value] : metadata) out << YAML::Key << key << YAML::Value << value;
  out << YAML::EndMap;
  if (!request.callback_url.empty()) {
    out << YAML::Key << "notify" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "criteria" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
        << "status" << YAML::Value << "finished" << YAML::EndMap;
    out << YAML::Key << "callback" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "url" << YAML::Value << request.callback_url;
    out << YAML::Key << "method" << YAML::Value << "POST";
    out << YAML::Key << "dataset" << YAML::Value << "all";
    out << YAML::Key << "token" << YAML::Value << request.callback_token;
    out << YAML::Key << "content-type" << YAML::Value << "json";
    out << YAML::EndMap << YAML::EndMap;
  }
  // The initramfs runs the plan by itself; kci.hold keeps a shell open
  // afterwards so that LAVA, not the guest, ends the boot.
  std::string append = "console=" + platform.console + " panic=-1 kci.hold";
  out << YAML::Key << "actions" << YAML::Value << YAML::BeginSeq;
  out << YAML::BeginMap << YAML::Key << "deploy" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "timeout" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
      << "minutes" << YAML::Value << 5 << YAML::EndMap;
  if (platform.boot_method == "qemu") {
    out << YAML::Key << "to" << YAML::Value << "tmpfs";
    out << YAML::Key << "os" << YAML::Value << "oe";
    out << YAML::Key << "images" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "kernel" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "url" << YAML::Value << request.kernel_url;
    out << YAML::Key << "image_arg" << YAML::Value << "-kernel {kernel} -append \"" + append + "\"";
    out << YAML::EndMap;
    out << YAML::Key << "ramdisk" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "url" << YAML::Value << request.ramdisk_url;
    out << YAML::Key << "image_arg" << YAML::Value << "-initrd {ramdisk}";
    out << YAML::EndMap << YAML::EndMap;
  } else {
    out << YAML::Key << "to" << YAML::Value << "tftp";
    out << YAML::Key << "os" << YAML::Value << "oe";
    out << YAML::Key << "kernel" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
        << "url" << YAML::Value << request.kernel_url << YAML::Key << "type" << YAML::Value
        << (platform.arch == "arm" ? "zimage" : "image") << YAML::EndMap;
    out << YAML::Key << "ramdisk" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
        << "url" << YAML::Value << request.ramdisk_url << YAML::Key << "compression" << YAML::Value
        << "gz" << YAML::EndMap;
    if (!request.dtb_url.empty()) {
      out << YAML::Key << "dtb" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "url"
          << YAML::Value << request.dtb_url << YAML::EndMap;
    }
  }
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::BeginMap << YAML::Key << "boot" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "timeout" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
      << "minutes" << YAML::Value << std::max(1, request.timeout_minutes / 2) << YAML::EndMap;
  if (platform.boot_method == "qemu") {
    out << YAML::Key << "method" << YAML::Value << "qemu";
    out << YAML::Key << "media" << YAML::Value << "tmpfs";
  } else {
    out << YAML::Key << "method" << YAML::Value << "u-boot";
    out << YAML::Key << "commands" << YAML::Value << "ramdisk";
    out << YAML::Key << "extra_kernel_args" << YAML::Value << "kci.hold";
  }
  // The init prints KCI-DONE when the plan has run.
  out << YAML::Key << "prompts" << YAML::Value << YAML::Flow << YAML::BeginSeq << "KCI-DONE"
      << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

bool verify_callback_token(std::string_view header_value, std::string_view secret) {
  if (secret.empty()) return false;
  // Constant time in the secret's length: no early exit on a mismatch.
  unsigned char diff = header_value.size() == secret.size() ? 0 : 1;
  for (std::size_t i = 0; i < secret.size(); ++i) {
    char c = i < header_value.size() ? header_value[i] : 0;
    diff |= static_cast<unsigned char>(c ^ secret[i]);
  }
  return diff == 0;
}

namespace {
LavaJobResults parse_callback_json(std::string_view body, const LavaCallbackOptions& options);
}  // namespace

LavaJobResults parse_lava_callback(std::string_view body, const LavaCallbackOptions& options) {
  // The YAML inside a callback (definition, log, result lists) is the lab's:
  // a node of an unexpected kind that a check above missed is a bad body
  // (a 400), never an uncaught yaml-cpp exception.
  try {
    return parse_callback_json(body, options);
  } catch (const YAML::Exception& e) {
    throw InvalidInputError(std::string("LAVA callback: unexpected YAML: ") + e.what());
  }
}

namespace {
LavaJobResults parse_callback_json(std::string_view body, const LavaCallbackOptions& options) {
  json::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError()) {
    throw InvalidInputError(
        "LAVA callback: the body is not a JSON object (invalid JSON at offset " +
        std::to_string(doc.GetErrorOffset()) + ": " +
        rapidjson::GetParseError_En(doc.GetParseError()) + ")");
  }
  if (!doc.IsObject()) throw InvalidInputError("LAVA callback: the body is not a JSON object");
  auto text = [&](const char* key) -> std::string {
    auto it = doc.FindMember(key);
    return it != doc.MemberEnd() && it->value.IsString() ? std::string(json::str(it->value)) : "";
  };
  if (!doc.HasMember("id") || !doc["id"].IsInt64()) {
    throw InvalidInputError("LAVA callback: /id: no job \"id\" (an integer)");
  }
  LavaJobResults job;
  job.job_id = doc["id"].GetInt64();
  job.status = text("status_string");
  if (job.status.empty() && doc.HasMember("status") && doc["status"].IsInt()) {
    static const char* names[] = {"submitted",  "running",  "complete",
                                  "incomplete", "canceled", "canceling"};
    int s = doc["status"].GetInt();
    job.status = s >= 0 && s < 6 ? names[s] : "unknown";
  }
  job.lab = text("lab_name");
  job.start_time = lava_time_to_rfc3339(text("start_time"));
  auto start = parse_rfc3339(job.start_time);
  auto end = parse_rfc3339(lava_time_to_rfc3339(text("end_time")));
  if (start && end) job.duration = std::chrono::duration<double>(*end - *start).count();

  YAML::Node definition = load_yaml(text("definition"), "the job definition (/definition)");
  std::map<std::string, std::string> metadata = definition.IsMap()
                                                    ? metadata_of(definition["metadata"])
                                                    : std::map<std::string, std::string>{};
  if (doc.HasMember("metadata") && doc["metadata"].IsObject()) {
    for (const auto& m : doc["metadata"].GetObject()) {
      if (m.value.IsString())
        metadata[std::string(json::str(m.name))] = std::string(json::str(m.value));
    }
  }
  job.device = text("actual_device_id");
  if (job.device.empty() && definition.IsMap()) job.device = scalar(definition["device_type"]);

  ParsedLog log = parse_log(text("log"));
  job.console = log.console;
  std::vector<LavaResult> results;
  if (doc.HasMember("results") && doc["results"].IsObject()) {
    for (const auto& suite : doc["results"].GetObject()) {
      if (!suite.value.IsString()) continue;
      std::string what = "the result list /results/" + std::string(json::str(suite.name));
      YAML::Node list = load_yaml(json::str(suite.value), what.c_str());
      if (!list.IsSequence()) continue;
      for (const auto& item : list) {
        if (item.IsMap()) results.push_back(result_from_list_item(item));
      }
    }
  } else {
    results = log.results;  // dataset "logs": the results are only in the log
  }
  // The result lists come newest first; keep job order.
  std::reverse(results.begin(), results.end());
  finish(job, options, metadata, results);
  return job;
}

}  // namespace

LavaJobResults parse_lava_run_output(std::string_view log_yaml, std::string_view definition_yaml,
                                     const LavaCallbackOptions& options) {
  LavaJobResults job;
  YAML::Node definition = load_yaml(definition_yaml, "the job definition");
  std::map<std::string, std::string> metadata = definition.IsMap()
                                                    ? metadata_of(definition["metadata"])
                                                    : std::map<std::string, std::string>{};
  job.device = definition.IsMap() ? scalar(definition["device_type"]) : "";
  job.lab = "lava-run";
  ParsedLog log = parse_log(log_yaml);
  job.console = log.console;
  const LavaResult* job_case = find_lava_case(log.results, {"job"});
  job.status = !job_case ? "incomplete" : job_case->result == "pass" ? "complete" : "incomplete";
  job.start_time = lava_time_to_rfc3339(log.first_time);
  auto start = parse_rfc3339(job.start_time);
  auto end = parse_rfc3339(lava_time_to_rfc3339(log.last_time));
  if (start && end) job.duration = std::chrono::duration<double>(*end - *start).count();
  finish(job, options, metadata, log.results);
  return job;
}

}  // namespace kci::pipeline
