// SPDX-License-Identifier: LGPL-2.1-or-later
// kci lava: LAVA job definitions and LAVA results as KCIDB tests.
//   kci lava job       print a job definition for a platform and plan
//   kci lava callback  turn a LAVA notify callback body into a KCIDB report
//   kci lava results   the same from lava-run's log
//   kci lava submit    send a job to a LAVA server unless its queue is deep
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "pipeline/lava/lava.h"
#include "pipeline/lava/lava_submit.h"
#include "pipeline/runtime/testplan.h"
#include "report/json.h"
#include "util/error.h"
#include "util/file.h"

namespace kci::cli {

namespace {

struct LavaJobOptions {
  std::string platform = "qemu-x86_64";
  std::string platforms_file;
  pipeline::LavaJobRequest request;
  std::string build_id;
};

struct LavaResultOptions {
  std::string file;
  std::string definition;
  pipeline::LavaCallbackOptions parse;
  std::string token;
  std::string header_value;
  int indent = 4;
};

void print_report(const pipeline::LavaJobResults& job, int indent, RunContext& ctx) {
  for (const auto& t : job.outcomes) {
    std::fprintf(stderr, "kci: %-40s %s%s%s\n", t.path.c_str(),
                 std::string(report::status_name(t.status)).c_str(), t.comment.empty() ? "" : "  ",
                 t.comment.c_str());
  }
  json::Document doc;
  report::to_json(job.report, doc, false);
  std::string out = json::write(doc, indent) + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
  ctx.exit_status = kExitOk;
}

void add_job(CLI::App* lava) {
  auto o = std::make_shared<LavaJobOptions>();
  auto* cmd = lava->add_subcommand("job", "Print a LAVA job definition (YAML) for a platform");
  cmd->add_option("--platform", o->platform,
                  "Platform name (qemu-x86_64, qemu-arm64, "
                  "qemu-riscv64, or one of --platforms)")
      ->default_val("qemu-x86_64");
  cmd->add_option("--platforms", o->platforms_file, "Platforms configuration (YAML)");
  cmd->add_option("--plan", o->request.plan, "Test plan")
      ->check(CLI::IsMember(pipeline::known_plans()))
      ->default_val("baseline");
  cmd->add_option("--kernel-url", o->request.kernel_url, "URL of the kernel image")->required();
  cmd->add_option("--ramdisk-url", o->request.ramdisk_url, "URL of the kci initramfs")->required();
  cmd->add_option("--dtb-url", o->request.dtb_url, "URL of the device tree blob (boards)");
  cmd->add_option("--callback-url", o->request.callback_url, "Where LAVA posts the results");
  cmd->add_option("--callback-token", o->request.callback_token,
                  "Name of the LAVA token whose secret LAVA sends")
      ->default_val("kci-callback");
  cmd->add_option("--build-id", o->build_id, "KCIDB build id (kept in the job metadata)");
  cmd->add_option("--job-name", o->request.job_name, "Job name");
  cmd->add_option("--timeout", o->request.timeout_minutes, "Job timeout in minutes")
      ->default_val(10)
      ->check(CLI::Range(1, 1440));
  cmd->add_option("--priority", o->request.priority, "high, medium, low or 0-100")
      ->default_val("medium");
  cmd->callback([o] {
    std::vector<pipeline::LavaPlatform> platforms =
        o->platforms_file.empty()
            ? pipeline::builtin_lava_platforms()
            : pipeline::load_lava_platforms(read_input_file(o->platforms_file), o->platforms_file);
    const pipeline::LavaPlatform* platform = nullptr;
    for (const auto& p : platforms) {
      if (p.name == o->platform) platform = &p;
    }
    if (!platform) throw UsageError("unknown platform " + o->platform);
    if (platform->boot_method == "u-boot" && o->request.dtb_url.empty() && !platform->dtb.empty()) {
      throw UsageError("platform " + o->platform + " boots with a dtb: pass --dtb-url");
    }
    o->request.platform = *platform;
    if (!o->build_id.empty()) o->request.metadata["kci.build_id"] = o->build_id;
    std::string job = pipeline::generate_lava_job(o->request);
    std::fwrite(job.data(), 1, job.size(), stdout);
  });
}

void add_result_options(CLI::App* cmd, LavaResultOptions& o) {
  cmd->add_option("--build-id", o.parse.build_id,
                  "KCIDB build id (default: the job's kci.build_id metadata)");
  cmd->add_option("--plan", o.parse.plan, "Test plan (default: the job's test.plan metadata)");
  cmd->add_option("--origin", o.parse.origin, "KCIDB origin of the tests")->default_val("kci");
  cmd->add_option("--log-url", o.parse.log_url, "URL where the console log is published");
  cmd->add_option("--indent", o.indent, "Indent output by N spaces, 0 = one line")
      ->default_val(4)
      ->check(CLI::Range(0, 16));
}

void add_callback(CLI::App* lava, RunContext& ctx) {
  auto o = std::make_shared<LavaResultOptions>();
  auto* cmd = lava->add_subcommand(
      "callback", "Print the KCIDB tests of a LAVA notify callback body (JSON, dataset all)");
  cmd->add_option("file", o->file, "Callback body (- = stdin)")->required();
  cmd->add_option("--token", o->token, "Expected token secret (checked against --header)");
  cmd->add_option("--header", o->header_value,
                  "Value of the Authorization header the callback came with");
  add_result_options(cmd, *o);
  cmd->callback([o, &ctx] {
    if (!o->token.empty() && !pipeline::verify_callback_token(o->header_value, o->token)) {
      throw InvalidInputError("the callback's token does not match");
    }
    std::string body = read_input_file(o->file);
    pipeline::LavaJobResults job;
    try {
      job = pipeline::parse_lava_callback(body, o->parse);
    } catch (const InvalidInputError& e) {
      throw InvalidInputError(o->file + ": " + e.what());  // name the file
    }
    print_report(job, o->indent, ctx);
  });
}

void add_results(CLI::App* lava, RunContext& ctx) {
  auto o = std::make_shared<LavaResultOptions>();
  auto* cmd = lava->add_subcommand(
      "results", "Print the KCIDB tests of a lava-run job from its log (output.yaml or stderr)");
  cmd->add_option("log", o->file, "lava-run's output.yaml, or what it printed on stderr")
      ->required();
  cmd->add_option("--definition", o->definition, "The job definition lava-run ran")->required();
  add_result_options(cmd, *o);
  cmd->callback([o, &ctx] {
    std::string log = read_input_file(o->file);
    std::string definition = read_input_file(o->definition);
    pipeline::LavaJobResults job;
    try {
      job = pipeline::parse_lava_run_output(log, definition, o->parse);
    } catch (const InvalidInputError& e) {
      // Name the file: the definition when its YAML is bad, else the log.
      std::string what = e.what();
      bool definition_bad = what.find("job definition") != std::string::npos;
      throw InvalidInputError((definition_bad ? o->definition : o->file) + ": " + what);
    }
    print_report(job, o->indent, ctx);
  });
}

struct LavaSubmitOptions {
  std::string job_file;
  std::string device_type;
  std::string token_file;
  pipeline::LavaServer server;
};

void add_submit(CLI::App* lava, RunContext& ctx) {
  auto o = std::make_shared<LavaSubmitOptions>();
  auto* cmd = lava->add_subcommand(
      "submit",
      "Submit a job definition to a LAVA server (REST API v0.2), skipping a device "
      "type whose queue is already deep; prints the job id");
  cmd->add_option("job", o->job_file, "Job definition (YAML)")->required();
  cmd->add_option("--url", o->server.url, "LAVA server, e.g. https://lava.example.org")->required();
  cmd->add_option("--token-file", o->token_file,
                  "File holding the API token (default: $KCI_LAVA_TOKEN)");
  cmd->add_option("--device-type", o->device_type, "Device type of the job")->required();
  cmd->add_option("--max-queue-depth", o->server.max_queue_depth,
                  "Queued jobs per online device before skipping")
      ->default_val(10)
      ->check(CLI::Range(1, 10000));
  cmd->callback([o, &ctx] {
    if (!o->token_file.empty()) {
      o->server.token = read_input_file(o->token_file);
      while (!o->server.token.empty() &&
             std::isspace(static_cast<unsigned char>(o->server.token.back()))) {
        o->server.token.pop_back();
      }
    } else if (const char* env = std::getenv("KCI_LAVA_TOKEN")) {
      o->server.token = env;
    }
    if (o->server.token.empty()) throw UsageError("no LAVA token: --token-file or KCI_LAVA_TOKEN");
    auto s = pipeline::submit_lava_job(o->server, o->device_type, read_input_file(o->job_file));
    if (!s.submitted) {
      std::fprintf(stderr, "kci: not submitted: %s\n", s.reason.c_str());
      ctx.exit_status = kExitFailure;
      return;
    }
    for (long long id : s.job_ids) std::printf("%lld\n", id);
  });
}

void register_lava(CLI::App& root, RunContext& ctx) {
  auto* lava = root.add_subcommand("lava", "LAVA job definitions and results");
  lava->require_subcommand(1);
  add_job(lava);
  add_callback(lava, ctx);
  add_results(lava, ctx);
  add_submit(lava, ctx);
}

}  // namespace

KCI_COMMAND(61, register_lava);

}  // namespace kci::cli
