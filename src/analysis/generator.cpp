// SPDX-License-Identifier: LGPL-2.1-or-later
#include "analysis/generator.h"

#include <chrono>
#include <utility>

#include "util/sha256.h"
#include "util/time.h"

namespace kci::analysis {

namespace {

// splitmix64: the same numbers on every platform for a seed.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double unit() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }
  int range(int lo, int hi) {  // [lo, hi]
    return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }

 private:
  std::uint64_t state_;
};

const char* const kOrigins[] = {"maestro", "arm", "linaro", "redhat", "broonie", "ti"};
const char* const kTrees[] = {"mainline",        "next",  "stable-rc", "kernelci", "broonie-misc",
                              "chrome-platform", "arm64", "soc"};
const char* const kArchs[] = {"x86_64", "arm64", "arm", "riscv", "i386", "mips", "powerpc", "s390"};
const char* const kConfigs[] = {"defconfig", "defconfig+kselftest", "defconfig+debug",
                                "multi_v7_defconfig", "tinyconfig+virtio"};
const char* const kBuildOnly[] = {"allmodconfig", "allnoconfig", "randconfig", "tinyconfig"};
const char* const kCompilers[] = {"gcc-12", "clang-17", "gcc-10", "clang-15"};
const char* const kPaths[] = {"boot",
                              "baseline.login",
                              "baseline.dmesg.crit",
                              "baseline.dmesg.emerg",
                              "kselftest.timers.nanosleep",
                              "kselftest.timers.posix_timers",
                              "kselftest.cpufreq.main",
                              "kselftest.futex.requeue",
                              "kselftest.net.reuseaddr_conflict",
                              "kselftest.seccomp.seccomp_bpf",
                              "ltp.syscalls.clone01",
                              "ltp.syscalls.mmap16",
                              "kunit.exec.list_sort",
                              "kunit.exec.rtc_lib",
                              "v4l2-compliance.vivid.streaming"};

template <std::size_t N>
std::string pick(const char* const (&names)[N], int i) {
  std::string name = names[static_cast<std::size_t>(i) % N];
  if (static_cast<std::size_t>(i) >= N) name += "-" + std::to_string(i / static_cast<int>(N));
  return name;
}

const char* status_name(char c) {
  switch (c) {
    case 'P': return "PASS";
    case 'F': return "FAIL";
    case 'S': return "SKIP";
    case 'E': return "ERROR";
    case 'M': return "MISS";
  }
  return nullptr;
}

bool is_signal(char c) { return c == 'P' || c == 'F'; }

// Flips among the last `window` P/F results within `days` days of the one
// at index `end` (checkouts are one a day).
int truth_flips(const std::string& seq, int end, const GenOptions&) {
  int flips = 0, taken = 0;
  char later = 0;
  for (int i = end; i >= 0 && taken < 10; --i) {
    if (!is_signal(seq[static_cast<std::size_t>(i)])) continue;
    if (end - i > 14) break;
    if (later && later != seq[static_cast<std::size_t>(i)]) ++flips;
    later = seq[static_cast<std::size_t>(i)];
    ++taken;
  }
  return flips;
}

std::string make_sequence(const std::string& scenario, int n, Rng& rng) {
  std::string s(static_cast<std::size_t>(n), 'P');
  auto fill = [&](int from, int to, char c) {
    for (int i = from; i < to; ++i) s[static_cast<std::size_t>(i)] = c;
  };
  if (scenario == "regression") {
    fill(rng.range(1, n - 1), n, 'F');
  } else if (scenario == "fix") {
    int k = rng.range(1, n - 2);
    int m = rng.range(k + 1, n - 1);
    fill(k, m, 'F');
  } else if (scenario == "never") {
    fill(0, n, 'F');
  } else if (scenario == "skip") {
    fill(0, n, 'S');
  } else if (scenario == "unstable") {
    char c = 'P';
    for (int i = 0; i < n;) {
      int len = rng.range(1, 2);
      fill(i, std::min(n, i + len), c);
      i += len;
      c = c == 'P' ? 'F' : 'P';
    }
  } else if (scenario == "appear") {
    int j = rng.range(1, n - 1);
    const char c = "PFS"[rng.range(0, 2)];
    fill(0, j, '-');
    fill(j, n, c);
  } else if (scenario == "disappear") {
    fill(rng.range(1, n - 1), n, '-');
  }
  return s;
}

// ERROR/MISS inside runs: never on a run's first or last result, nor on the
// newest one, so the planted transitions stay where they are.
void sprinkle_infra(std::string& s, double p, Rng& rng) {
  const int n = static_cast<int>(s.size());
  for (int i = 1; i + 1 < n; ++i) {
    auto at = [&](int k) { return s[static_cast<std::size_t>(k)]; };
    if (!is_signal(at(i)) || at(i - 1) != at(i) || at(i + 1) != at(i)) continue;
    if (rng.unit() < p) s[static_cast<std::size_t>(i)] = rng.unit() < 0.6 ? 'E' : 'M';
  }
}

void fill_truth(TruthIdentity& t, const std::vector<std::string>& checkouts, const GenOptions& o) {
  const std::string& s = t.statuses;
  int last_pass = -1;
  TruthRegression* open = nullptr;
  bool passed = false;
  char last_signal = 0;
  for (int i = 0; i < static_cast<int>(s.size()); ++i) {
    char c = s[static_cast<std::size_t>(i)];
    if (c == 'E' || c == 'M') ++t.infra;
    if (!is_signal(c)) continue;
    last_signal = c;
    if (c == 'P') {
      passed = true;
      if (open) open->active = false;
      open = nullptr;
      last_pass = i;
      continue;
    }
    if (open) {
      open->last_fail = checkouts[static_cast<std::size_t>(i)];
      ++open->fail_count;
    } else if (last_pass >= 0) {
      TruthRegression r;
      r.last_pass = checkouts[static_cast<std::size_t>(last_pass)];
      r.first_fail = r.last_fail = checkouts[static_cast<std::size_t>(i)];
      r.fail_count = 1;
      t.regressions.push_back(r);
      open = &t.regressions.back();
    }
  }
  int last = -1;
  for (int i = static_cast<int>(s.size()) - 1; i >= 0; --i)
    if (is_signal(s[static_cast<std::size_t>(i)])) {
      last = i;
      break;
    }
  t.unstable = last >= 0 && truth_flips(s, last, o) >= 2;
  t.never_passed = !passed && last_signal == 'F';
}

// Whole minutes, so that checkouts of a branch are exactly a day apart.
std::string add_minutes(SystemTime base, long minutes) {
  return format_rfc3339(base + std::chrono::minutes(minutes));
}

}  // namespace

Generator::Generator(GenOptions options) : options_(std::move(options)) {}

void Generator::run(const std::function<void(report::Report&)>& sink) {
  const GenOptions& o = options_;
  auto base = parse_rfc3339(o.start);
  if (!base) throw UsageError("generator: malformed start time '" + o.start + "'");
  Rng rng(o.seed);
  truth_ = Truth{};
  const double shares[] = {o.p_regression, o.p_fix,    o.p_never,    o.p_unstable,
                           o.p_skip,       o.p_appear, o.p_disappear};
  const char* const scenarios[] = {"regression", "fix",    "never",    "unstable",
                                   "skip",       "appear", "disappear"};
  for (int oi = 0; oi < o.origins; ++oi) {
    const std::string origin = pick(kOrigins, oi);
    for (int ti = 0; ti < o.trees; ++ti) {
      const std::string tree = pick(kTrees, o.first_tree + ti);
      for (int bi = 0; bi < o.branches; ++bi) {
        TruthBranch branch;
        branch.origin = origin;
        branch.tree_name = tree;
        branch.url = "https://git.kernel.org/pub/scm/linux/kernel/git/" + tree + "/linux.git";
        branch.branch = bi == 0 ? "master" : "linux-6." + std::to_string(10 + bi) + ".y";
        branch.rebased = bi == 1;
        const std::string prefix = origin + ":" + tree + "-" + branch.branch + "-";
        for (int d = 0; d < o.checkouts; ++d)
          branch.checkouts.push_back(prefix + std::to_string(d));

        // The identities of this branch and their status sequences.
        struct TestPlan {
          std::size_t truth_index;
          int arch, config, compiler, platform, path;
        };
        struct BuildPlan {
          std::size_t truth_index;
          int arch, config, compiler;
          bool build_only;
        };
        std::vector<BuildPlan> builds;
        std::vector<TestPlan> tests;
        auto add_identity = [&](Identity id, std::string scenario, std::string seq) {
          TruthIdentity t;
          t.identity = std::move(id);
          t.scenario = std::move(scenario);
          t.statuses = std::move(seq);
          fill_truth(t, branch.checkouts, o);
          truth_.identities.push_back(std::move(t));
          return truth_.identities.size() - 1;
        };
        for (int a = 0; a < o.architectures; ++a) {
          for (int cc = 0; cc < o.compilers; ++cc) {
            for (int c = 0; c < o.configs + o.build_only_configs; ++c) {
              bool build_only = c >= o.configs;
              Identity bid;
              bid.kind = Kind::kBuild;
              bid.origin = origin;
              bid.tree_name = tree;
              bid.git_repository_url = branch.url;
              bid.git_repository_branch = branch.branch;
              bid.architecture = pick(kArchs, a);
              bid.config_name = build_only ? pick(kBuildOnly, c - o.configs) : pick(kConfigs, c);
              bid.compiler = pick(kCompilers, cc);
              std::string scenario = "stable";
              if (build_only && rng.unit() < o.p_build_regression)
                scenario = rng.unit() < 0.5 ? "regression" : "fix";
              std::string seq = make_sequence(scenario, o.checkouts, rng);
              builds.push_back({add_identity(bid, scenario, seq), a, c, cc, build_only});
              if (build_only) continue;
              for (int p = 0; p < o.platforms; ++p) {
                for (int pi = 0; pi < o.paths; ++pi) {
                  Identity tid = bid;
                  tid.kind = Kind::kTest;
                  tid.path = pick(kPaths, pi);
                  tid.platform = p == 0 ? "qemu-" + bid.architecture
                                        : bid.architecture + "-board-" + std::to_string(p);
                  std::string sc = "stable";
                  double u = rng.unit(), acc = 0;
                  for (std::size_t k = 0; k < std::size(shares); ++k) {
                    acc += shares[k];
                    if (u < acc) {
                      sc = scenarios[k];
                      break;
                    }
                  }
                  std::string s = make_sequence(sc, o.checkouts, rng);
                  if (sc != "unstable" && sc != "skip") sprinkle_infra(s, o.p_infra, rng);
                  tests.push_back({add_identity(tid, sc, s), a, c, cc, p, pi});
                }
              }
            }
          }
        }

        // The checkouts, one report each.
        for (int d = 0; d < o.checkouts; ++d) {
          report::Report r;
          const std::string& cid = branch.checkouts[static_cast<std::size_t>(d)];
          auto& counts = truth_.counts[cid];
          const long minutes = d * 1440L + ti * 120L + bi * 20L + oi * 180L;
          report::Checkout co;
          co.id = cid;
          co.origin = origin;
          co.tree_name = tree;
          co.git_repository_url = branch.url;
          co.git_repository_branch = branch.branch;
          std::string hash = sha256_hex(cid + std::to_string(o.seed)).substr(0, 40);
          co.git_commit_hash = hash;
          std::string date = format_rfc3339(*base + std::chrono::hours(24 * d)).substr(0, 10);
          co.git_commit_name =
              branch.rebased
                  ? tree + "-" + date.substr(0, 4) + date.substr(5, 2) + date.substr(8, 2)
                  : "v6.13-rc" + std::to_string(1 + d / 7) + "-" + std::to_string(d * 13 + 1) +
                        "-g" + hash.substr(0, 12);
          co.start_time = add_minutes(*base, minutes);
          co.valid = true;
          r.checkouts.push_back(std::move(co));
          std::map<std::pair<int, std::pair<int, int>>, std::string> build_ids;
          for (const auto& b : builds) {
            char c = truth_.identities[b.truth_index].statuses[static_cast<std::size_t>(d)];
            const Identity& id = truth_.identities[b.truth_index].identity;
            report::Build build;
            build.id = cid + ":" + id.architecture + "-" + id.config_name + "-" + id.compiler;
            build.checkout_id = cid;
            build.origin = origin;
            build.architecture = id.architecture;
            build.config_name = id.config_name;
            build.compiler = id.compiler;
            build.start_time = add_minutes(*base, minutes + 15);
            build.duration = 600.0 + b.arch * 30;
            if (const char* st = status_name(c)) build.status = st;
            ++counts["build"][build.status.value_or("")];
            ++truth_.builds;
            build_ids[{b.arch, {b.config, b.compiler}}] = *build.id;
            r.builds.push_back(std::move(build));
          }
          for (const auto& t : tests) {
            const TruthIdentity& ti2 = truth_.identities[t.truth_index];
            char c = ti2.statuses[static_cast<std::size_t>(d)];
            if (c == '-') continue;
            report::Test test;
            test.build_id = build_ids[{t.arch, {t.config, t.compiler}}];
            test.id = *test.build_id + ":" + ti2.identity.platform + ":" + ti2.identity.path;
            test.origin = origin;
            test.path = ti2.identity.path;
            test.status = status_name(c);
            test.start_time = add_minutes(*base, minutes + 60 + t.path);
            test.duration = 5.0 + t.path;
            std::string lab = t.platform == 0 ? "lava-collabora" : "lava-baylibre";
            if (oi == 0) {
              test.environment_compatible = std::vector<std::string>{ti2.identity.platform};
              test.misc = "{\"runtime\":\"" + lab + "\"}";
            } else {
              test.misc =
                  "{\"platform\":\"" + ti2.identity.platform + "\",\"runtime\":\"" + lab + "\"}";
            }
            ++counts[is_boot_path(*test.path) ? "boot" : "test"][*test.status];
            ++truth_.tests;
            r.tests.push_back(std::move(test));
          }
          sink(r);
        }
        truth_.branches.push_back(std::move(branch));
      }
    }
  }
}

void Truth::to_json(json::Document& out) const {
  out.SetObject();
  auto& a = out.GetAllocator();
  auto str = [&](const std::string& s) {
    return json::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a);
  };
  json::Value br(rapidjson::kArrayType);
  for (const auto& b : branches) {
    json::Value v(rapidjson::kObjectType);
    v.AddMember("origin", str(b.origin), a);
    v.AddMember("tree_name", str(b.tree_name), a);
    v.AddMember("git_repository_url", str(b.url), a);
    v.AddMember("git_repository_branch", str(b.branch), a);
    v.AddMember("rebased", b.rebased, a);
    json::Value cs(rapidjson::kArrayType);
    for (const auto& c : b.checkouts) cs.PushBack(str(c), a);
    v.AddMember("checkouts", cs, a);
    br.PushBack(v, a);
  }
  out.AddMember("branches", br, a);
  json::Value ids(rapidjson::kArrayType);
  for (const auto& t : identities) {
    json::Value v(rapidjson::kObjectType);
    const Identity& id = t.identity;
    v.AddMember("kind", json::Value(kind_name(id.kind), a), a);
    v.AddMember("key", str(id.key()), a);
    v.AddMember("origin", str(id.origin), a);
    v.AddMember("tree_name", str(id.tree_name), a);
    v.AddMember("git_repository_branch", str(id.git_repository_branch), a);
    v.AddMember("architecture", str(id.architecture), a);
    v.AddMember("config_name", str(id.config_name), a);
    v.AddMember("compiler", str(id.compiler), a);
    v.AddMember("path", str(id.path), a);
    v.AddMember("platform", str(id.platform), a);
    v.AddMember("scenario", str(t.scenario), a);
    v.AddMember("statuses", str(t.statuses), a);
    v.AddMember("unstable", t.unstable, a);
    v.AddMember("never_passed", t.never_passed, a);
    v.AddMember("infra", t.infra, a);
    json::Value rs(rapidjson::kArrayType);
    for (const auto& r : t.regressions) {
      json::Value rv(rapidjson::kObjectType);
      rv.AddMember("last_pass", str(r.last_pass), a);
      rv.AddMember("first_fail", str(r.first_fail), a);
      rv.AddMember("last_fail", str(r.last_fail), a);
      rv.AddMember("active", r.active, a);
      rv.AddMember("fail_count", r.fail_count, a);
      rs.PushBack(rv, a);
    }
    v.AddMember("regressions", rs, a);
    ids.PushBack(v, a);
  }
  out.AddMember("identities", ids, a);
  out.AddMember("builds", static_cast<std::uint64_t>(builds), a);
  out.AddMember("tests", static_cast<std::uint64_t>(tests), a);
}

}  // namespace kci::analysis
