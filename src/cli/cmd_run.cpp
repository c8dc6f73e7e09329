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
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "analysis/queries.h"
#include "bisect/auto_bisect.h"
#include "bisect/kernel_step_runner.h"
#include "cli/command.h"
#include "cli/live_options.h"
#include "inbox/run_hook.h"
#include "notify/bisection.h"
#include "notify/header.h"
#include "notify/maintainers.h"
#include "notify/notifier.h"
#include "notify/outbox.h"
#include "orchestrator/instant_executor.h"
#include "orchestrator/local_runtime.h"
#include "orchestrator/metrics.h"
#include "orchestrator/orchestrator.h"
#include "pipeline/build/artifacts.h"
#include "pipeline/build/kbuild.h"
#include "pipeline/config/config.h"
#include "server/live_services.h"
#include "server/server.h"
#include "store/sql.h"
#include "store/store.h"
#include "util/error.h"
#include "util/file.h"
#include "util/subprocess.h"
#include "util/text.h"

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
  bool incremental_builds = false;
  bool bisect = false;
  double watch_seconds = 60;
  std::string listen, base_url;
  LiveCliOptions live;
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

// The first line of a command's output (git rev-parse, git describe).
std::string first_line(const std::string& out) { return out.substr(0, out.find('\n')); }

// The commit a branch of a git tree points at ("" when it cannot be read).
std::string branch_head(const std::string& source, const std::string& branch) {
  RunResult r = run_process({"git", "-C", source, "rev-parse", "--verify", "--quiet",
                             "refs/heads/" + branch + "^{commit}"});
  return r.exit_code == 0 ? first_line(r.out) : "";
}

// --watch: a new head of the source's branch is a new checkout (the tree
// monitor of a local tree). Runs until g_stop. Each look holds tree_mutex
// (a bisection of --forever --bisect checks commits out in the tree).
void watch_source(const store::DatabaseSpec& spec, const std::string& source,
                  const std::string& tree, const std::string& branch, std::string last,
                  double seconds, bool quiet, std::mutex& tree_mutex) {
  auto sql = store::SqlConnection::open(spec);
  NodeStore nodes(*sql);
  auto next = std::chrono::steady_clock::now();
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (std::chrono::steady_clock::now() < next) continue;
    next = std::chrono::steady_clock::now() +
           std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
    std::lock_guard lock(tree_mutex);
    std::string head = branch_head(source, branch);
    if (head.empty() || head == last) continue;
    last = head;
    std::map<std::string, std::string> data{{"source_dir", source}};
    RunResult d = run_process({"git", "-C", source, "describe", "--always", "--tags", head});
    if (d.exit_code == 0) data["describe"] = first_line(d.out);
    auto [id, created] = submit_checkout(nodes, tree, branch, head, data);
    if (!quiet && created) {
      std::fprintf(stderr, "kci run: new head of %s/%s: checkout %lld @%s\n", tree.c_str(),
                   branch.c_str(), static_cast<long long>(id), head.c_str());
    }
  }
}

// --bisect: the automatic bisections of the source tree's new regressions
// (bisect/auto_bisect.h), each culprit's report queued for the
// subscriptions (the live services deliver it). *stop (SIGINT/SIGTERM)
// interrupts the bisection running: its tree is put back and it is queued
// again (the next kci run bisects it from the start). With only_news (the
// --forever scans, every few seconds) the summary line is left out when
// nothing was queued or run.
void run_bisections(const store::DatabaseSpec& spec, const bisect::KernelStepOptions& step,
                    const std::string& tree, const std::string& origin,
                    const notify::NotifierConfig& notifier_config, bool quiet,
                    const std::atomic<bool>* stop, bool only_news) {
  auto st = store::open_store(spec);
  auto sql = store::SqlConnection::open(spec);
  bisect::AutoBisectOptions options;
  options.source_dir = step.source_dir;
  options.origin = origin;
  options.bisect.stop = stop;
  if (!tree.empty()) options.trees = {tree};
  bisect::AutoBisectStats stats = bisect::run_pending(
      *sql, *st, bisect::kernel_step_runner_factory(step), options, [quiet](const std::string& l) {
        if (!quiet) std::fprintf(stderr, "kci run: bisect: %s\n", l.c_str());
      });
  bool news = stats.queue.queued > 0 || stats.queue.unbisectable > 0 || !stats.ids.empty();
  if (!quiet && (news || !only_news)) {
    std::fprintf(stderr, "kci run: %s\n", stats.describe().c_str());
  }
  if (only_news && stats.ids.empty()) return;
  bisect::BisectionTable table(*sql);
  for (std::int64_t id : stats.ids) {
    std::optional<bisect::BisectionRecord> r = table.get(id);
    if (!r) continue;
    std::printf("bisection %lld: %s%s%s\n", static_cast<long long>(id),
                r->status.empty() ? r->state.c_str() : r->status.c_str(),
                r->culprit.empty() ? "" : ", culprit ", r->culprit.c_str());
  }
  std::fflush(stdout);
  notify::Notifier notifier(*sql, notifier_config);
  notify::queue_bisection_reports(notifier, *sql, notifier_config.from.email, std::time(nullptr));
}

// What the maintainers would want to know: the active regressions and
// the mails written about them.
void print_findings(const store::DatabaseSpec& spec, const std::string& base_url) {
  auto sql = store::SqlConnection::open(spec);
  std::vector<analysis::RegressionInfo> regs = analysis::regressions(*sql, {});
  std::printf("regressions: %zu active\n", regs.size());
  for (const analysis::RegressionInfo& r : regs) {
    const analysis::Identity& id = r.identity.identity;
    std::string what = id.kind == analysis::Kind::kBuild ? "build" : id.path;
    std::string where = id.architecture + " " + id.config_name + " " + id.compiler;
    if (!id.platform.empty()) where = id.platform + ", " + where;
    std::printf("  %s/%s %s (%s): %s%s\n", id.tree_name.c_str(), id.git_repository_branch.c_str(),
                what.c_str(), where.c_str(), r.summary.c_str(), r.unstable ? " [unstable]" : "");
    if (!base_url.empty()) {
      std::printf("    %s/checkout/%s\n", base_url.c_str(),
                  percent_encode(r.first_fail.checkout_id, "-._~:").c_str());
    }
  }
  if (sql->component_version("notify") > 0) {
    notify::Outbox outbox(*sql);
    std::vector<notify::OutboxEntry> mails = outbox.entries();
    std::printf("mails: %zu\n", mails.size());
    for (const notify::OutboxEntry& m : mails) {
      std::printf("  %s report to %s: %s %s\n", m.kind.c_str(), m.subscription.c_str(),
                  m.state.c_str(), m.message_id.c_str());
    }
  }
  if (!base_url.empty()) std::printf("dashboard: %s/\n", base_url.c_str());
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
                  "With lists: in the configuration: where series and their trees are kept "
                  "(each new series is a checkout; its thread gets a reply once its builds, "
                  "boots and analysis are done)")
      ->default_val("kci-inbox");
  auto* idle = cmd->add_flag("--until-idle", o->until_idle,
                             "Stop when nothing is left to schedule or run (default)");
  cmd->add_flag("--forever", o->forever, "Keep running until interrupted (SIGINT, SIGTERM)")
      ->excludes(idle);
  cmd->add_flag("--status", o->status, "Print the node table's state and exit");
  cmd->add_flag("--incremental-builds", o->incremental_builds,
                "One build directory per build configuration (BUILD_ROOT/ARCH-TOOLCHAIN-CONFIG), "
                "kept across checkouts: the next checkout's build is incremental");
  cmd->add_option("--watch", o->watch_seconds,
                  "With --forever and --source: seconds between looks at the source branch's "
                  "head; a new head is a new checkout. With --forever and lists: the polling "
                  "period of a list without a frequency")
      ->default_val(60)
      ->check(CLI::Range(0.1, 86400.0));
  cmd->add_flag("--bisect", o->bisect,
                "When the run is idle, bisect each new regression of --source's tree (not "
                "unstable, not a known issue; once each) with real builds and boots, store "
                "the culprit as a KCIDB issue and mail the bisection report to the "
                "subscriptions of kind bisection");
  cmd->add_option("--listen", o->listen,
                  "Serve the dashboard and the API on ADDR:PORT while running (as kci serve)");
  cmd->add_option("--base-url", o->base_url,
                  "Prefix of the dashboard links in mails and output (default: http://LISTEN)");
  cmd->add_flag("--no-analysis", o->no_analysis,
                "Do not keep analysis, triage and notifications live (kci serve or kci analyze "
                "may do it)");
  add_live_options(cmd, o->live);
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
    if (o->bisect && (o->source_dir.empty() || o->runtime == "instant" || o->no_analysis)) {
      throw UsageError("--bisect needs --source, the local runtime and the analysis");
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
    // The live services below analyse (cursor "analysis", shared with
    // kci serve), so the orchestrator's own analysis thread stays off.
    opt.analyze = false;
    opt.poll = std::chrono::milliseconds(instant ? 20 : 500);
    opt.scheduler.kbuild_timeout_seconds = o->kbuild_timeout;
    opt.scheduler.job_timeout_seconds = o->job_timeout;
    opt.scheduler.boot_timeout_seconds = o->boot_timeout;
    if (!o->quiet) {
      auto line = [](const std::string& s) { std::fprintf(stderr, "kci run: %s\n", s.c_str()); };
      opt.progress = line;
      opt.scheduler.progress = line;
    }

    // The checkout to work on, if one is given (and what --watch follows).
    std::string source_abs, watch_tree, watch_branch, watch_commit;
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
        // A kci run --bisect killed mid-bisection (kill -9, a crash) left
        // the tree on a commit of its bisection: put back before its HEAD
        // is read and built (its bisection is claimed again later).
        if (o->bisect && bisect::recover_interrupted(abs) && !o->quiet) {
          std::fprintf(stderr, "kci run: %s: put back after an interrupted bisection\n",
                       abs.c_str());
        }
        pipeline::GitInfo git = pipeline::read_git_info(abs);
        data["source_dir"] = abs;
        if (tree.empty()) tree = std::filesystem::path(abs).filename().string();
        if (branch.empty()) branch = git.branch.empty() ? "local" : git.branch;
        if (commit.empty()) commit = git.is_git ? git.commit : "worktree";
        if (commit == git.commit) {
          if (!git.describe.empty()) data["describe"] = git.describe;
        } else if (git.is_git) {
          // --commit names another commit than the tree's HEAD.
          RunResult d = run_process({"git", "-C", abs, "describe", "--always", "--tags", commit});
          if (d.exit_code == 0) data["describe"] = first_line(d.out);
        }
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
        if (!o->source_dir.empty()) {
          source_abs = data["source_dir"];
          watch_tree = tree;
          watch_branch = branch;
          watch_commit = commit;
        }
        if (!o->quiet) {
          std::fprintf(stderr, "kci run: checkout %lld %s/%s@%s%s\n", static_cast<long long>(id),
                       tree.c_str(), branch.c_str(), commit.c_str(),
                       created ? "" : " (known already)");
        }
      }
    }

    // Mailing lists (lists: in the configuration): each new series that
    // applies is one more checkout (src/inbox/run_hook.h).
    // With --incremental-builds a series is built in its target's own
    // repository (in place), in the build directory of the base's builds.
    inbox::RunPollOptions list_options;
    list_options.state_dir = o->inbox_state;
    list_options.in_place = o->incremental_builds;
    list_options.progress = opt.progress;
    auto report_poll = [quiet = o->quiet](const inbox::RunPollResult& r, bool always) {
      if (quiet || (!always && r.series == 0)) return;
      std::fprintf(stderr, "kci run: lists: %d new series, %d checkouts submitted\n", r.series,
                   r.nodes);
    };
    if (!config.lists().empty()) {
      report_poll(inbox::poll_lists_for_run(spec, config, list_options), true);
    }
    // The replies to the series' threads, once their work is done.
    inbox::RunReplyOptions reply_options;
    reply_options.from = notify::parse_address(o->live.from);
    reply_options.domain = o->live.domain;
    if (!o->live.to_override.empty()) {
      reply_options.to_override = notify::parse_address(o->live.to_override);
    }
    reply_options.wait_for_analysis = !o->no_analysis;
    inbox::RunReplier replier(reply_options);
    auto reply_round = [&replier, quiet = o->quiet](store::SqlConnection& sql) {
      inbox::ReplyResult r = replier.round(sql);
      if (!quiet && r.queued > 0) {
        std::fprintf(stderr, "kci run: lists: %d repl%s to series queued\n", r.queued,
                     r.queued == 1 ? "y" : "ies");
      }
      return r;
    };

    std::unique_ptr<Executor> executor;
    if (instant) {
      InstantScript script;
      if (!o->instant_script.empty()) {
        script = instant_script_from_text(read_input_file(o->instant_script), o->instant_script);
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
      lo.build_dir_per_config = o->incremental_builds;
      lo.progress = !o->quiet;
      lo.origin = o->origin;
      lo.rootfs_cache = o->rootfs_cache;
      lo.fragments = [&config](const std::string& name) -> std::optional<std::vector<std::string>> {
        if (!config.fragment(name)) return std::nullopt;
        return config.fragment_configs(name);
      };
      executor = make_local_executor(std::move(lo));
    }

    std::string base_url = o->base_url;
    if (base_url.empty() && !o->listen.empty()) base_url = "http://" + o->listen;

    // Analysis, triage and notifications, live from the change log.
    std::unique_ptr<server::LiveServices> live;
    notify::NotifierConfig notifier;
    if (!o->no_analysis) {
      server::LiveOptions lopt;
      lopt.database = spec;
      apply_live_options(o->live, lopt);
      // The bisection mail's maintainers: get_maintainer.pl of the tree
      // built here (--source), unless --maintainers-tree names another.
      lopt.notifier.maintainers_tree =
          notify::maintainers_tree_for(o->live.maintainers_tree, source_abs);
      if (o->bisect && !o->quiet && !lopt.notifier.maintainers_tree.empty()) {
        std::fprintf(stderr, "kci run: bisection mails Cc the maintainers named by %s\n",
                     (lopt.notifier.maintainers_tree + "/scripts/get_maintainer.pl").c_str());
      }
      lopt.base_url = base_url;
      lopt.log_prefix = "kci run";
      notifier = lopt.notifier;
      live = std::make_unique<server::LiveServices>(std::move(lopt));
    }
    // The dashboard and the API, in this process.
    std::unique_ptr<server::Server> web;
    std::thread web_thread;
    if (!o->listen.empty()) {
      server::ServerOptions so;
      so.database = spec;
      server::parse_listen(o->listen, so.host, so.port);
      so.access_log = false;
      so.live = false;  // this command runs them
      so.base_url = o->base_url;
      so.artifact_root =
          o->artifacts_dir.empty() ? pipeline::default_artifacts_dir() : o->artifacts_dir;
      web = std::make_unique<server::Server>(so);
      web->start();
      web_thread = std::thread([&web] { web->run(); });
      if (!o->quiet) {
        std::fprintf(stderr, "kci run: dashboard at http://%s:%d/\n", so.host.c_str(), web->port());
      }
    }

    // Everything loaded is analysed, triaged and reported (a round of the
    // live services on this thread; serialised with their own thread's).
    auto drain = [&] {
      for (int i = 0; i < 10; ++i) {
        server::LiveRound r = live->run_once();
        if (!r.did_something()) break;
        if (!o->quiet) std::fprintf(stderr, "kci run: %s\n", r.describe().c_str());
      }
    };
    // The bisections' kernels: real incremental builds and boots.
    bisect::KernelStepOptions step;
    step.source_dir = source_abs;
    step.build_dir = std::filesystem::absolute(o->build_root).string() + "/bisect";
    step.artifacts_dir =
        o->artifacts_dir.empty() ? pipeline::default_artifacts_dir() : o->artifacts_dir;
    step.ccache = o->ccache;
    step.jobs = o->make_jobs > 0 ? o->make_jobs : static_cast<int>(cores);
    step.boot_timeout_seconds = o->boot_timeout;
    step.rootfs_cache = o->rootfs_cache;
    step.progress = !o->quiet;
    step.fragment_lookup =
        [&config](const std::string& name) -> std::optional<std::vector<std::string>> {
      if (!config.fragment(name)) return std::nullopt;
      return config.fragment_configs(name);
    };
    // The --source tree is shared: the builds check its commits out, the
    // watcher and the lists read and apply to it, a bisection checks out
    // every step's commit. Bisections run from the orchestrator's on_idle
    // hook (rather than on a thread of their own that would take the
    // executor's source lock for each build): the hook runs on the
    // scheduler's thread only when no build or boot is pending or running,
    // and while it runs nothing is scheduled or claimed, so a bisection
    // never meets a build in the tree, whoever submits the next checkout;
    // the watcher and the lists take tree_mutex for each look, as the hook
    // does. One bisection at a time, and a new checkout waits for it: the
    // two cores a bisection needs are the builds' anyway.
    std::mutex tree_mutex;
    if (o->forever && o->bisect && live) {
      auto next_scan = std::chrono::steady_clock::time_point{};
      opt.on_idle = [&, next_scan](const std::atomic<bool>* stop) mutable {
        // A scan is a query of the regressions: every 2 s while idle.
        auto now = std::chrono::steady_clock::now();
        if (now < next_scan) return;
        std::lock_guard lock(tree_mutex);
        try {
          // The live analysis caught up first: the regressions of every
          // result loaded so far are open (and triaged: known issues are
          // not bisected) before the queue is looked at.
          drain();
          if (!(stop && *stop)) {
            run_bisections(spec, step, watch_tree, o->origin, notifier, o->quiet, stop, true);
            // The culprit issues triaged, the bisection mails delivered.
            drain();
          }
        } catch (const std::exception& e) {
          // The database or the tree failing must not end a --forever
          // run: the next scan tries again.
          std::fprintf(stderr, "kci run: bisect: %s\n", e.what());
        }
        next_scan = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      };
    }

    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    if (live) live->start(nullptr);
    std::thread watcher;
    if (o->forever && !o->source_dir.empty() && !watch_branch.empty()) {
      watcher = std::thread([&] {
        watch_source(spec, source_abs, watch_tree, watch_branch, watch_commit, o->watch_seconds,
                     o->quiet, tree_mutex);
      });
    }
    // --forever with lists: each list is polled at its frequency (a list
    // without one every --watch seconds), and each series whose work is
    // done is answered (the live services deliver the reply).
    std::thread list_thread;
    if (o->forever && !config.lists().empty()) {
      list_options.default_frequency =
          std::chrono::seconds(std::max(1LL, static_cast<long long>(o->watch_seconds)));
      list_thread = std::thread([&] {
        auto sql = store::SqlConnection::open(spec);
        while (!g_stop) {
          try {
            std::lock_guard lock(tree_mutex);  // a series may be applied in --source's tree
            report_poll(inbox::poll_lists_for_run(spec, config, list_options), false);
            reply_round(*sql);
          } catch (const std::exception& e) {
            std::fprintf(stderr, "kci run: lists: %s\n", e.what());
          }
          for (int i = 0; i < 10 && !g_stop; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
          }
        }
      });
    }
    Orchestrator orchestrator(config, *executor, opt);
    RunSummary s = orchestrator.run(&g_stop);
    if (watcher.joinable()) watcher.join();
    if (list_thread.joinable()) list_thread.join();

    // Everything loaded is analysed, triaged and reported before the end.
    if (live) {
      live->stop();
      drain();
      // --until-idle: the bisections once the run is over (--forever ran
      // them from the on_idle hook).
      if (o->bisect && !o->forever && !g_stop) {
        run_bisections(spec, step, watch_tree, o->origin, notifier, o->quiet, &g_stop, false);
        drain();  // the culprit issues: triage, then delivery of the mails
      }
    }
    // The series answered now that their results are analysed; the live
    // services deliver the replies.
    {
      auto sql = store::SqlConnection::open(spec);
      if (sql->component_version("inbox") > 0 && reply_round(*sql).queued > 0 && live) drain();
    }
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    if (web) {
      web->stop();
      web_thread.join();
    }

    std::printf(
        "kci run: %lld nodes run (%lld retries, %lld claims taken back), %lld KCIDB "
        "objects loaded in %.1f s\n",
        static_cast<long long>(s.executed), static_cast<long long>(s.retried),
        static_cast<long long>(s.reclaimed), static_cast<long long>(s.loaded), s.seconds);
    std::fputs(describe_counts(s.counts).c_str(), stdout);
    if (live) print_findings(spec, base_url);
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
