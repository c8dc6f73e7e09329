// SPDX-License-Identifier: LGPL-2.1-or-later
// kci run: the event-driven pipeline (src/orchestrator). Nodes and their
// transitions live in the store's database; this command submits the
// checkout of a kernel tree (--source, or --commit for the instant
// runtime), then schedules and runs builds and boots until nothing is left
// (--until-idle, the default) or until interrupted (--forever).
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/command.h"
#include "inbox/run_hook.h"
#include "orchestrator/instant_executor.h"
#include "orchestrator/local_runtime.h"
#include "orchestrator/metrics.h"
#include "orchestrator/orchestrator.h"
#include "pipeline/build/artifacts.h"
#include "pipeline/build/kbuild.h"
#include "pipeline/config/config.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/error.h"
#include "util/file.h"

namespace kci::cli {
namespace {

using namespace kci::orchestrator;

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop = true; }

struct RunCmdOptions {
  std::vector<std::string> config_files;
  std::string database;
  std::string source_dir;
  std::optional<std::string> tree, branch, commit, describe;
  std::string runtime = "local";
  std::string instant_script;
  int instant_delay_ms = 0;
  int workers = -1;
  int make_jobs = 0;
  int max_retries = 2;
  double retry_holdoff = 5;
  int kbuild_timeout = 3 * 3600;
  int job_timeout = 3600;
  int boot_timeout = 600;
  std::string artifacts_dir;
  std::optional<std::string> artifact_url;
  std::string build_root = "kci-build";
  std::string rootfs_cache;
  bool ccache = false;
  bool until_idle = false;
  bool forever = false;
  bool status = false;
  bool no_analysis = false;
  bool quiet = false;
  std::string origin = "kci";
  std::string inbox_state = "kci-inbox";
};

// "kci.sqlite" means sqlite:kci.sqlite; a spec with a driver is taken as is.
store::DatabaseSpec database_of(const std::string& text) {
  if (text.rfind("sqlite:", 0) == 0 || text.rfind("postgresql:", 0) == 0) {
    return store::parse_database_spec(text);
  }
  return store::parse_database_spec("sqlite:" + text);
}

int print_status(const store::DatabaseSpec& spec) {
  auto sql = store::SqlConnection::open(spec);
  if (sql->component_version("orchestrator") == 0) {
    std::printf("no kci run nodes in %s\n", sql->describe().c_str());
    return kExitOk;
  }
  NodeStore nodes(*sql);
  std::fputs(describe_counts(nodes.counts()).c_str(), stdout);
  std::printf("events: %lld, scheduler cursor: %lld\n", static_cast<long long>(nodes.last_event()),
              static_cast<long long>(nodes.cursor("scheduler")));
  for (const RuntimeHealth& h : runtime_health(*sql)) {
    std::printf("runtime %s/%s: %lld of %lld recent attempts failed on infrastructure (%.0f%%)\n",
                h.kind.c_str(), h.runtime.c_str(),
                static_cast<long long>(h.infrastructure_failures),
                static_cast<long long>(h.attempts), 100.0 * h.ratio());
  }
  for (const Node& n : nodes.list(NodeState::kRunning)) {
    std::printf("running %s %lld %s (%s)\n", std::string(kind_name(n.kind)).c_str(),
                static_cast<long long>(n.id), n.name.c_str(), n.owner.c_str());
  }
  for (const Node& n : nodes.list(NodeState::kDone)) {
    if (n.kind == NodeKind::kTest || n.result == NodeResult::kPass) continue;
    std::printf("%s %s %lld %s: %s\n", n.result ? std::string(result_name(*n.result)).c_str() : "-",
                std::string(kind_name(n.kind)).c_str(), static_cast<long long>(n.id),
                n.name.c_str(), n.get("reason").c_str());
  }
  return kExitOk;
}

void add_run(CLI::App& root, RunContext& ctx) {
  auto o = std::make_shared<RunCmdOptions>();
  auto* cmd = root.add_subcommand(
      "run",
      "Run the pipeline: a checkout schedules its builds, a passing build its boots, results go\n"
      "to the store through ingest and analysis (nodes and events kept in the database)");
  cmd->add_option("--config", o->config_files,
                  "Pipeline YAML (trees, build_configs, jobs, scheduler), repeatable (default: "
                  "$KCI_CONFIG, else config/kci.yaml)");
  cmd->add_option("-d,--db,--database", o->database,
                  "Database: a SQLite file, or a spec (sqlite:PATH, postgresql:CONNINFO); "
                  "created if missing (default: $KCI_DATABASE)");
  cmd->add_option("--source", o->source_dir,
                  "Kernel source tree to submit as a checkout (its git commit is read)");
  cmd->add_option("--tree", o->tree, "Tree name of the checkout (default: the source's name)");
  cmd->add_option("--branch", o->branch, "Branch of the checkout (default: the source's)");
  cmd->add_option("--commit", o->commit,
                  "Commit of the checkout (default: the source's HEAD; with --runtime instant, "
                  "submits a checkout without a source tree)");
  cmd->add_option("--describe", o->describe,
                  "Kernel version of the checkout for version rules (default: git describe)");
  cmd->add_option("--runtime", o->runtime,
                  "local: kbuild and QEMU on this machine; instant: build and boot nothing, "
                  "every node answers at once (tests, benches)")
      ->check(CLI::IsMember({"local", "instant"}));
  cmd->add_option("--instant-script", o->instant_script,
                  "With --runtime instant: lines 'NAME_SUBSTRING RESULT[,RESULT...]' (pass, "
                  "fail, skip, error), the n-th result for the n-th attempt");
  cmd->add_option("--instant-delay", o->instant_delay_ms,
                  "With --runtime instant: milliseconds each node takes (crash tests)")
      ->check(CLI::Range(0, 3600000));
  cmd->add_option("--workers", o->workers,
                  "Nodes run at once (default: local 1, each build using every core; "
                  "instant: the number of cores; 0: schedule only, pull workers (kci worker) "
                  "run the nodes)")
      ->check(CLI::Range(0, 256));
  cmd->add_option("-j,--jobs", o->make_jobs, "make jobs per build (default: cores / workers)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-retries", o->max_retries,
                  "Retries of a node after an infrastructure failure (ERROR, MISS, a claim "
                  "that timed out or whose process died)")
      ->default_val(2)
      ->check(CLI::Range(0, 100));
  cmd->add_option("--retry-holdoff", o->retry_holdoff, "Seconds before a retry may start")
      ->default_val(5)
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--kbuild-timeout", o->kbuild_timeout, "Seconds a build claim lasts")
      ->default_val(3 * 3600)
      ->check(CLI::PositiveNumber);
  cmd->add_option("--job-timeout", o->job_timeout, "Seconds a job claim lasts")
      ->default_val(3600)
      ->check(CLI::PositiveNumber);
  cmd->add_option("--boot-timeout", o->boot_timeout, "Seconds a boot may take")
      ->default_val(600)
      ->check(CLI::PositiveNumber);
  cmd->add_option("--artifacts", o->artifacts_dir,
                  "Artifact store folder (default: $KCI_ARTIFACTS, else ./artifacts)");
  cmd->add_option("--artifact-url", o->artifact_url,
                  "Base URL the store is published under (default: its file:// URL)");
  cmd->add_option("--build-root", o->build_root,
                  "Build directories, one per kbuild node (default: ./kci-build)");
  cmd->add_option("--rootfs-cache", o->rootfs_cache, "Initramfs cache of the QEMU boots");
  cmd->add_flag("--ccache", o->ccache, "Compile through ccache");
  cmd->add_option("--origin", o->origin, "KCIDB origin of the results")->default_val("kci");
  cmd->add_option("--inbox-state", o->inbox_state,
                  "With lists: in the configuration: where series and their trees are kept")
      ->default_val("kci-inbox");
  auto* idle = cmd->add_flag("--until-idle", o->until_idle,
                             "Stop when nothing is left to schedule or run (default)");
  cmd->add_flag("--forever", o->forever, "Keep running until interrupted (SIGINT, SIGTERM)")
      ->excludes(idle);
  cmd->add_flag("--status", o->status, "Print the node table's state and exit");
  cmd->add_flag("--no-analysis", o->no_analysis, "Do not update the analysis tables");
  cmd->add_flag("-q,--quiet", o->quiet, "No progress on stderr");
  cmd->callback([o, &ctx] {
    std::string db = o->database;
    if (db.empty()) {
      const char* env = std::getenv(store::kDatabaseEnv);
      if (!env || !*env) throw UsageError("kci run: give --db (or set $KCI_DATABASE)");
      db = env;
    }
    store::DatabaseSpec spec = database_of(db);
    if (o->status) {
      ctx.exit_status = print_status(spec);
      return;
    }
    if ((!o->instant_script.empty() || o->instant_delay_ms > 0) && o->runtime != "instant") {
      throw UsageError("--instant-script and --instant-delay need --runtime instant");
    }
    pipeline::PipelineConfig config = pipeline::load_pipeline_config(o->config_files);
    store::open_store(spec)->init(true);

    unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    bool instant = o->runtime == "instant";
    OrchestratorOptions opt;
    opt.database = spec;
    opt.workers = o->workers >= 0 ? o->workers : (instant ? static_cast<int>(cores) : 1);
    opt.max_retries = o->max_retries;
    opt.retry_holdoff = std::chrono::milliseconds(static_cast<long long>(o->retry_holdoff * 1000));
    opt.until_idle = !o->forever;
    opt.analyze = !o->no_analysis;
    opt.poll = std::chrono::milliseconds(instant ? 20 : 500);
    opt.scheduler.kbuild_timeout_seconds = o->kbuild_timeout;
    opt.scheduler.job_timeout_seconds = o->job_timeout;
    opt.scheduler.boot_timeout_seconds = o->boot_timeout;
    if (!o->quiet) {
      auto line = [](const std::string& s) { std::fprintf(stderr, "kci run: %s\n", s.c_str()); };
      opt.progress = line;
      opt.scheduler.progress = line;
    }

    // The checkout to work on, if one is given.
    {
      auto sql = store::SqlConnection::open(spec);
      NodeStore::migrate(*sql);
      NodeStore nodes(*sql);
      std::map<std::string, std::string> data;
      std::string tree = o->tree.value_or(""), branch = o->branch.value_or("");
      std::string commit = o->commit.value_or("");
      if (!o->source_dir.empty()) {
        if (!std::filesystem::is_directory(o->source_dir)) {
          throw UsageError("--source " + o->source_dir + ": no such directory");
        }
        std::string abs = std::filesystem::absolute(o->source_dir).lexically_normal().string();
        if (!abs.empty() && abs.back() == '/') abs.pop_back();
        pipeline::GitInfo git = pipeline::read_git_info(abs);
        data["source_dir"] = abs;
        if (tree.empty()) tree = std::filesystem::path(abs).filename().string();
        if (branch.empty()) branch = git.branch.empty() ? "local" : git.branch;
        if (commit.empty()) commit = git.is_git ? git.commit : "worktree";
        if (!git.describe.empty()) data["describe"] = git.describe;
        if (!git.url.empty()) data["url"] = git.url;
      } else if (o->commit && !instant) {
        throw UsageError("--commit without --source needs --runtime instant");
      }
      if (o->describe) data["describe"] = *o->describe;
      if (!o->source_dir.empty() || o->commit) {
        if (tree.empty() || branch.empty()) {
          throw UsageError("the checkout needs --tree and --branch");
        }
        if (!config.tree(tree)) {
          std::fprintf(stderr,
                       "kci run: warning: tree '%s' is not in the pipeline configuration: "
                       "nothing will be built for it\n",
                       tree.c_str());
        }
        auto [id, created] = submit_checkout(nodes, tree, branch, commit, data);
        if (!o->quiet) {
          std::fprintf(stderr, "kci run: checkout %lld %s/%s@%s%s\n", static_cast<long long>(id),
                       tree.c_str(), branch.c_str(), commit.c_str(),
                       created ? "" : " (known already)");
        }
      }
    }

    // Mailing lists (lists: in the configuration): each new series that
    // applies is one more checkout (src/inbox/run_hook.h).
    if (!config.lists().empty()) {
      inbox::RunPollResult lists =
          inbox::poll_lists_for_run(spec, config, o->inbox_state, opt.progress);
      if (!o->quiet) {
        std::fprintf(stderr, "kci run: lists: %d new series, %d checkouts submitted\n",
                     lists.series, lists.nodes);
      }
    }

    std::unique_ptr<Executor> executor;
    if (instant) {
      InstantScript script;
      if (!o->instant_script.empty()) {
        script = instant_script_from_text(read_file(o->instant_script), o->instant_script);
      }
      executor = std::make_unique<InstantExecutor>(std::move(script), o->origin,
                                                   std::chrono::milliseconds(o->instant_delay_ms));
    } else {
      LocalExecutorOptions lo;
      lo.artifacts_dir =
          o->artifacts_dir.empty() ? pipeline::default_artifacts_dir() : o->artifacts_dir;
      lo.artifact_url = o->artifact_url;
      lo.build_root = std::filesystem::absolute(o->build_root).string();
      lo.make_jobs = o->make_jobs > 0
                         ? o->make_jobs
                         : std::max(1, static_cast<int>(cores) / std::max(1, opt.workers));
      lo.ccache = o->ccache;
      lo.origin = o->origin;
      lo.rootfs_cache = o->rootfs_cache;
      lo.fragments = [&config](const std::string& name) -> std::optional<std::vector<std::string>> {
        if (!config.fragment(name)) return std::nullopt;
        return config.fragment_configs(name);
      };
      executor = make_local_executor(std::move(lo));
    }

    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    Orchestrator orchestrator(config, *executor, opt);
    RunSummary s = orchestrator.run(&g_stop);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);

    std::printf(
        "kci run: %lld nodes run (%lld retries, %lld claims taken back), %lld KCIDB "
        "objects loaded in %.1f s\n",
        static_cast<long long>(s.executed), static_cast<long long>(s.retried),
        static_cast<long long>(s.reclaimed), static_cast<long long>(s.loaded), s.seconds);
    std::fputs(describe_counts(s.counts).c_str(), stdout);
    bool bad = s.load_errors > 0;
    for (const NodeCount& c : s.counts) {
      if (c.kind == NodeKind::kTest) continue;
      if (c.state == NodeState::kDone && c.result != NodeResult::kPass &&
          c.result != NodeResult::kSkip) {
        bad = true;
      }
    }
    if (g_stop) std::fprintf(stderr, "kci run: interrupted\n");
    if (bad) ctx.exit_status = kExitInvalidInput;
  });
}

}  // namespace

KCI_COMMAND(45, add_run);

}  // namespace kci::cli
