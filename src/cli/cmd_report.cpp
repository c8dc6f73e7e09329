// SPDX-License-Identifier: LGPL-2.1-or-later
// Report commands with the habits of kcidb's tools: kci validate, upgrade,
// merge, count, schema. Input is a stream of JSON reports (files or stdin),
// output goes to stdout, errors to stderr.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "report/dedup.h"
#include "report/merge.h"
#include "report/model.h"
#include "report/schema.h"
#include "report/stream.h"
#include "report/upgrade.h"
#include "report/validate.h"
#include "util/file.h"

namespace kci::cli {

namespace {

// Options every report command shares.
struct StreamOptions {
  std::vector<std::string> files;
  bool seq_in = false;
  bool seq_out = false;
  int indent = 4;
  std::optional<int> major;
};

void add_input_options(CLI::App* cmd, StreamOptions& o) {
  cmd->add_option("files", o.files, "Report files (default: standard input; - = stdin)");
  cmd->add_flag("--seq-in", o.seq_in, "Input is an RFC 7464 JSON text sequence");
}

void add_output_options(CLI::App* cmd, StreamOptions& o) {
  cmd->add_option("--indent", o.indent, "Indent output by N spaces, 0 = one line")
      ->default_val(4)
      ->check(CLI::Range(0, 16));
  cmd->add_flag("--seq-out,--seq", o.seq_out, "Write an RFC 7464 JSON text sequence");
}

void flush(std::string& out) {
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  out.clear();
}

std::string where(const report::ParsedValue& v) {
  return v.source + ": report " + std::to_string(v.index) + " (line " + std::to_string(v.line) +
         ")";
}

// Validates one parsed report; prints its errors to stderr. True if valid.
bool check(const report::ParsedValue& v, const StreamOptions& o) {
  report::ValidateOptions options;
  options.max_major = o.major;
  report::ValidationResult result = report::validate_report(v.doc, options);
  for (const auto& e : result.errors) {
    std::fprintf(stderr, "%s: %s\n", where(v).c_str(), e.str().c_str());
  }
  return result.ok();
}

// Reads and validates every input report, calling fn on each valid one.
// Returns false if any was invalid; throws on malformed JSON.
template <typename Fn>
bool for_each_valid(const StreamOptions& o, Fn fn) {
  bool all_valid = true;
  std::vector<std::string> names = o.files.empty() ? std::vector<std::string>{"-"} : o.files;
  for (const std::string& name : names) {
    report::JsonStreamReader reader(read_input_file(name), name == "-" ? "<stdin>" : name,
                                    o.seq_in);
    while (auto v = reader.next()) {
      if (check(*v, o)) {
        fn(*v);
      } else {
        all_valid = false;
      }
    }
  }
  return all_valid;
}

void add_validate(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<StreamOptions>();
  auto* cmd = root.add_subcommand(
      "validate",
      "Validate each report against the exact schema version it declares and echo the valid "
      "ones");
  add_input_options(cmd, *o);
  add_output_options(cmd, *o);
  cmd->add_option("--major", o->major, "Accept versions up to the newest of this major")
      ->check(CLI::Range(1, 5));
  cmd->callback([o, &ctx] {
    std::string out;
    bool ok = for_each_valid(*o, [&](const report::ParsedValue& v) {
      report::write_value(v.doc, o->indent, o->seq_out, out);
      flush(out);
    });
    if (!ok) ctx.exit_status = kExitInvalidInput;
  });
}

void add_upgrade(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<StreamOptions>();
  auto* cmd = root.add_subcommand(
      "upgrade", "Validate each report and upgrade it to the newest version (of --major)");
  add_input_options(cmd, *o);
  add_output_options(cmd, *o);
  cmd->add_option("--major", o->major, "Upgrade to the newest version of this major")
      ->check(CLI::Range(1, 5));
  cmd->callback([o, &ctx] {
    report::Version target = report::latest_version();
    if (o->major) target = *report::latest_of_major(*o->major);
    // Validation accepts any known version: an old report may be upgraded
    // to a newer major, never downgraded.
    StreamOptions input = *o;
    input.major.reset();
    std::string out;
    bool ok = for_each_valid(input, [&](report::ParsedValue& v) {
      try {
        report::upgrade_report(v.doc, target);
      } catch (const InvalidInputError& e) {
        std::fprintf(stderr, "%s: cannot upgrade to %s: %s\n", where(v).c_str(),
                     target.str().c_str(), e.what());
        ctx.exit_status = kExitInvalidInput;
        return;
      }
      report::write_value(v.doc, o->indent, o->seq_out, out);
      flush(out);
    });
    if (!ok) ctx.exit_status = kExitInvalidInput;
  });
}

void add_merge(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<StreamOptions>();
  auto* cmd = root.add_subcommand(
      "merge", "Merge all input reports into one, upgraded to the newest version among them");
  add_input_options(cmd, *o);
  add_output_options(cmd, *o);
  auto dedup = std::make_shared<bool>(false);
  cmd->add_flag("--dedup", *dedup,
                "Also upgrade to v5.3 and merge objects with the same id, as the store does "
                "(present values are never erased by missing ones; the later object wins)");
  cmd->callback([o, dedup, &ctx] {
    std::vector<std::unique_ptr<report::JsonStreamReader>> keep;
    std::vector<report::ParsedValue> values = report::read_all(o->files, o->seq_in, keep);
    std::vector<json::Document*> docs;
    bool ok = true;
    for (auto& v : values) {
      if (check(v, *o)) {
        docs.push_back(&v.doc);
      } else {
        ok = false;
      }
    }
    if (!ok) {
      // Merging a subset would silently lose data: print nothing.
      ctx.exit_status = kExitInvalidInput;
      return;
    }
    json::Document merged;
    report::merge_reports(docs, merged);
    if (*dedup) {
      report::upgrade_report(merged);
      report::Report typed = report::from_json(merged);
      std::size_t removed = report::dedup(typed);
      std::fprintf(stderr, "kci merge: %zu duplicate object(s) merged\n", removed);
      merged = json::Document();
      report::to_json(typed, merged);
    }
    std::string out;
    report::write_value(merged, o->indent, o->seq_out, out);
    flush(out);
  });
}

void add_count(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<StreamOptions>();
  auto* cmd = root.add_subcommand("count", "Print the number of objects in each input report");
  add_input_options(cmd, *o);
  cmd->callback([o, &ctx] {
    std::string out;
    bool ok = for_each_valid(*o, [&](const report::ParsedValue& v) {
      out += std::to_string(report::count_objects(v.doc));
      out.push_back('\n');
      flush(out);
    });
    if (!ok) ctx.exit_status = kExitInvalidInput;
  });
}

void add_schema(CLI::App& root, RunContext&) {
  auto o = std::make_shared<StreamOptions>();
  auto version = std::make_shared<std::string>();
  auto* cmd = root.add_subcommand(
      "schema", "Print the JSON Schema of the newest version of a major (or of MAJOR.MINOR)");
  cmd->add_option("version", *version, "MAJOR or MAJOR.MINOR (default: the latest)");
  add_output_options(cmd, *o);
  cmd->callback([o, version] {
    report::Version v = report::latest_version();
    if (!version->empty()) {
      int major = 0;
      int minor = -1;
      char dot = 0;
      int fields = std::sscanf(version->c_str(), "%d%c%d", &major, &dot, &minor);
      std::optional<report::Version> found;
      if (fields == 1) {
        found = report::latest_of_major(major);
      } else if (fields == 3 && dot == '.') {
        for (const auto& known : report::known_versions()) {
          if (known.major == major && known.minor == minor) found = known;
        }
      }
      if (!found) throw UsageError("unknown schema version: " + *version);
      v = *found;
    }
    json::Document doc;
    report::build_json_schema(v, doc);
    std::string out;
    report::write_value(doc, o->indent, o->seq_out, out);
    flush(out);
  });
}

void register_report_commands(CLI::App& root, RunContext& ctx) {
  add_validate(root, ctx);
  add_upgrade(root, ctx);
  add_merge(root, ctx);
  add_count(root, ctx);
  add_schema(root, ctx);
}

}  // namespace

KCI_COMMAND(10, register_report_commands);

}  // namespace kci::cli
