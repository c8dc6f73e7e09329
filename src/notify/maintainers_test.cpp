// SPDX-License-Identifier: LGPL-2.1-or-later
// get_maintainer.pl as a real part: the kernel's own script and MAINTAINERS
// file, taken from Debian's linux-source-6.1 tarball at test time (never
// committed here), in a tiny git tree whose culprit commit touches the
// scheduler. The expected maintainers are read from that MAINTAINERS file.
#include "notify/maintainers.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "notify/notifier.h"
#include "notify/test_fixture.h"
#include "store/store.h"
#include "util/file.h"
#include "util/subprocess.h"
#include "util/test_support.h"

namespace kci::notify {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTarball = "/usr/src/linux-source-6.1.tar.xz";

std::string git(const fs::path& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git",
                                   "-C",
                                   dir.string(),
                                   "-c",
                                   "user.name=Com Mitter",
                                   "-c",
                                   "user.email=committer@example.org"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_checked(argv);
}

class GetMaintainer : public ::testing::Test {
 protected:
  // MAINTAINERS and scripts/get_maintainer.pl of Linux 6.1, extracted once
  // into the build directory.
  static void SetUpTestSuite() {
    fs::path cache = fs::path(KCI_BINARY_DIR) / "notify-get-maintainer";
    fs::path top = cache / "linux-source-6.1";
    if (!fs::exists(top / "scripts/get_maintainer.pl") && fs::exists(kTarball)) {
      fs::create_directories(cache);
      RunOptions o;
      o.cwd = cache.string();
      o.timeout = std::chrono::minutes(5);
      run_process({"tar", "-xJf", kTarball, "linux-source-6.1/MAINTAINERS",
                   "linux-source-6.1/scripts/get_maintainer.pl"},
                  o);
    }
    if (fs::exists(top / "scripts/get_maintainer.pl") && fs::exists(top / "MAINTAINERS"))
      kernel_ = top.string();
  }

  void SetUp() override {
    if (kernel_.empty()) {
      KCI_MISSING_REAL_PART("no " << kTarball << " (apt-get install linux-source-6.1)");
    }
    tree_ = testing::fresh_temp_dir("maint");
    fs::create_directories(tree_ / "scripts");
    fs::copy_file(fs::path(kernel_) / "MAINTAINERS", tree_ / "MAINTAINERS");
    fs::copy_file(fs::path(kernel_) / "scripts/get_maintainer.pl",
                  tree_ / "scripts/get_maintainer.pl");
    // What get_maintainer.pl checks for a kernel tree's top directory.
    for (const char* f : {"COPYING", "CREDITS", "Kbuild", "Makefile", "README"})
      std::ofstream(tree_ / f) << "\n";
    for (const char* d : {"Documentation", "arch", "include", "drivers", "fs", "init", "ipc",
                          "kernel/sched", "lib"})
      fs::create_directories(tree_ / d);
    std::ofstream(tree_ / "kernel/sched/core.c") << "int x;\n";
    git(tree_, {"init", "-q"});
    git(tree_, {"add", "-A"});
    git(tree_, {"commit", "-q", "-m", "base"});
    std::ofstream(tree_ / "kernel/sched/core.c", std::ios::app) << "int y;\n";
    git(tree_, {"commit", "-q", "-a", "--author=Jane Developer <jane@example.org>", "-m",
                "sched: break the scheduler\n\nSigned-off-by: Jane Developer <jane@example.org>\n"
                "Reviewed-by: Rev Iewer <rev@example.org>"});
    culprit_ = git(tree_, {"rev-parse", "HEAD"});
  }
  void TearDown() override {
    if (!tree_.empty()) fs::remove_all(tree_);
  }

  // The M: and R: addresses (and with lists, L:) of a MAINTAINERS section.
  std::set<std::string> section(const std::string& name, bool lists) {
    std::set<std::string> out;
    std::string text = read_file((tree_ / "MAINTAINERS").string());
    std::size_t p = text.find("\n" + name + "\n");
    EXPECT_NE(p, std::string::npos) << name;
    if (p == std::string::npos) return out;
    std::size_t i = p + name.size() + 2;
    while (i < text.size() && text[i] != '\n') {
      std::size_t nl = text.find('\n', i);
      std::string line = text.substr(i, nl - i);
      i = nl + 1;
      if (line.rfind("M:", 0) == 0 || line.rfind("R:", 0) == 0 ||
          (lists && line.rfind("L:", 0) == 0)) {
        std::size_t lt = line.find('<'), gt = line.find('>');
        std::string email = lt != std::string::npos
                                ? line.substr(lt + 1, gt - lt - 1)
                                : line.substr(2, line.find_first_of(" \t(", 3) - 2);
        email.erase(0, email.find_first_not_of(" \t"));
        out.insert(email);
      }
    }
    return out;
  }

  static std::string kernel_;
  fs::path tree_;
  std::string culprit_;
};
std::string GetMaintainer::kernel_;

std::set<std::string> emails(const std::vector<Address>& list) {
  std::set<std::string> out;
  for (const auto& a : list) out.insert(a.email);
  return out;
}

TEST_F(GetMaintainer, NamesTheMaintainersOfTheTouchedFiles) {
  auto found = get_maintainers(tree_.string(), culprit_);
  ASSERT_GE(section("SCHEDULER", false).size(), 2u);  // the file read is the real one
  EXPECT_EQ(emails(found), section("SCHEDULER", false));
  MaintainerOptions lists;
  lists.lists = true;
  EXPECT_EQ(emails(get_maintainers(tree_.string(), culprit_, lists)), section("SCHEDULER", true));
}

TEST_F(GetMaintainer, NoScriptNoMaintainersAndAnUnknownCommitIsAnError) {
  EXPECT_TRUE(get_maintainers((tree_ / "kernel").string(), culprit_).empty());
  EXPECT_THROW(get_maintainers(tree_.string(), std::string(40, 'f')), Error);
  EXPECT_THROW(get_maintainers(tree_.string(), "--output=/tmp/x"), InvalidInputError);
}

// kci run's default: the --source tree it built (and bisected in) names the
// maintainers when it has get_maintainer.pl; --maintainers-tree wins; a
// tree without the script names nobody.
TEST_F(GetMaintainer, RunDefaultsTheMaintainersTreeToItsSourceTree) {
  EXPECT_EQ(maintainers_tree_for("", tree_.string()), tree_.string());
  EXPECT_EQ(maintainers_tree_for("/elsewhere/linux", tree_.string()), "/elsewhere/linux");
  EXPECT_EQ(maintainers_tree_for("", (tree_ / "kernel").string()), "");
  EXPECT_EQ(maintainers_tree_for("", ""), "");
  fs::remove(tree_ / "MAINTAINERS");
  EXPECT_EQ(maintainers_tree_for("", tree_.string()), "");
}

// The bisection mail to the culprit's people: To the author, the committer
// and the trailers, Cc the maintainers get_maintainer.pl names; a
// subscription's mail stays as it was.
TEST_F(GetMaintainer, BisectionMailGoesToTheCulpritsPeopleAndMaintainers) {
  auto db = testing::TestDatabase::sqlite(tree_);
  NotifierConfig config;
  Subscription sub;
  sub.name = "bisections";
  sub.kinds = {ReportKind::kBisection};
  sub.to = {Address{"", "bisect@example.org"}};
  config.subscriptions = {sub};
  config.maintainers_tree = maintainers_tree_for("", tree_.string());  // as kci run --source
  BisectionResult r;
  r.tree = "mainline";
  r.branch = "master";
  r.culprit_sha = culprit_;
  r.culprit_author = "Jane Developer <jane@example.org>";
  r.culprit_committer = "Com Mitter <committer@example.org>";
  r.culprit_trailers = {"Signed-off-by: Jane Developer <jane@example.org>",
                        "Reviewed-by: Rev Iewer <rev@example.org>"};
  r.test_case = "baseline.login";
  r.target = "qemu-x86_64";
  r.good_commit = std::string(40, 'a');
  r.bad_commit = std::string(40, 'b');
  CheckoutInfo c{"kci:c2", "mainline", "master", "kci", {}, ""};
  Notifier n(*db->sql, config);
  EXPECT_EQ(n.queue_bisection(c, r, 100), 2);
  EXPECT_EQ(n.queue_bisection(c, r, 200), 0);
  std::set<std::string> to_people;
  std::set<std::string> cc;
  bool subscription_mail = false;
  for (const auto& m : n.outbox().due_messages(200)) {
    std::string head = m.substr(0, m.find("\r\n\r\n"));
    if (head.find("bisect@example.org") != std::string::npos) {
      subscription_mail = true;
      EXPECT_EQ(head.find("jane@example.org"), std::string::npos) << head;
      continue;
    }
    for (const char* e : {"jane@example.org", "committer@example.org", "rev@example.org"})
      if (head.find(e) != std::string::npos) to_people.insert(e);
    for (const auto& e : section("SCHEDULER", false))
      if (head.find(e) != std::string::npos) cc.insert(e);
    EXPECT_NE(head.find("\r\nCc: "), std::string::npos) << head;
  }
  EXPECT_TRUE(subscription_mail);
  EXPECT_EQ(to_people.size(), 3u);
  EXPECT_EQ(cc, section("SCHEDULER", false));

  // Subscriptions only: no mail to anybody else.
  config.bisection_to_culprit = false;
  r.culprit_sha = culprit_;
  r.test_case = "baseline.dmesg";  // another report
  Notifier only(*db->sql, config);
  EXPECT_EQ(only.queue_bisection(c, r, 300), 1);
  // A trial run: every mail goes to the override, nobody else.
  config.bisection_to_culprit = true;
  config.to_override = Address{"", "trial@example.org"};
  r.test_case = "baseline.other";
  Notifier trial(*db->sql, config);
  EXPECT_EQ(trial.queue_bisection(c, r, 400), 2);
  for (const auto& m : trial.outbox().due_messages(400)) {
    if (m.find("baseline.other") == std::string::npos) continue;
    std::string head = m.substr(0, m.find("\r\n\r\n"));
    EXPECT_NE(head.find("trial@example.org"), std::string::npos);
    EXPECT_EQ(head.find("jane@example.org"), std::string::npos) << head;
    EXPECT_EQ(head.find("\r\nCc: "), std::string::npos) << head;
  }
}

}  // namespace
}  // namespace kci::notify
