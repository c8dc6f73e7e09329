// SPDX-License-Identifier: LGPL-2.1-or-later
#include "inbox/checkout.h"

#include <algorithm>
#include <filesystem>

#include "pipeline/source/git.h"
#include "pipeline/source/patchset.h"
#include "util/error.h"
#include "util/file.h"
#include "util/sha256.h"
#include "util/text.h"

namespace kci::inbox {

namespace {

namespace fs = std::filesystem;

bool is_work_tree(const std::string& path) {
  std::error_code ec;
  return !path.empty() && fs::exists(fs::path(path) / ".git", ec);
}

bool has_commit(const std::string& repo, const std::string& commit) {
  if (repo.empty() || commit.empty()) return false;
  return pipeline::git::resolve_commit(repo, commit + "^{commit}").has_value();
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace

std::string target_repo(const pipeline::ListTarget& target,
                        const pipeline::PipelineConfig& config) {
  if (!target.repo.empty()) return target.repo;
  const pipeline::Tree* tree = config.tree(target.tree);
  if (!tree) return {};
  std::string url = tree->url;
  if (url.rfind("file://", 0) == 0) url = percent_decode(url.substr(7));
  if (!url.empty() && url[0] == '/' && is_work_tree(url)) return url;
  return {};
}

const pipeline::ListTarget* match_target(const Series& series, const pipeline::MailingList& list,
                                         const pipeline::PipelineConfig& config) {
  // 1. Subject prefixes: [PATCH net-next].
  for (const pipeline::ListTarget& t : list.targets) {
    for (const std::string& p : t.prefixes) {
      for (const std::string& sp : series.prefixes) {
        std::string a = p, b = sp;
        std::transform(a.begin(), a.end(), a.begin(), ::tolower);
        std::transform(b.begin(), b.end(), b.begin(), ::tolower);
        if (a == b) return &t;
      }
    }
  }
  // 2. Files touched: every file under one of the target's paths.
  for (const pipeline::ListTarget& t : list.targets) {
    if (t.files.empty() || series.files.empty()) continue;
    bool all = std::all_of(series.files.begin(), series.files.end(), [&](const std::string& f) {
      return std::any_of(t.files.begin(), t.files.end(),
                         [&](const std::string& prefix) { return f.rfind(prefix, 0) == 0; });
    });
    if (all) return &t;
  }
  // 3. base-commit: the target's repository has it.
  if (!series.base_commit.empty()) {
    for (const pipeline::ListTarget& t : list.targets) {
      if (t.base_commit && has_commit(target_repo(t, config), series.base_commit)) return &t;
    }
  }
  // 4. A target without criteria takes the rest.
  for (const pipeline::ListTarget& t : list.targets) {
    if (t.prefixes.empty() && t.files.empty() && !t.base_commit) return &t;
  }
  return nullptr;
}

std::string series_mbox(const Series& series) {
  std::string out;
  for (const Message& m : series.messages) {
    out += "From mboxrd@z Thu Jan  1 00:00:00 1970\n";
    out += m.raw;
    if (!m.raw.empty() && m.raw.back() != '\n') out += '\n';
  }
  return out;
}

report::Checkout series_checkout(const Series& series, const pipeline::ListTarget& target,
                                 const pipeline::PipelineConfig& config,
                                 const SeriesCheckoutOptions& options) {
  std::string repo = target_repo(target, config);
  if (repo.empty()) {
    throw InvalidInputError("target " + target.tree + "/" + target.branch +
                            ": no local git work tree to apply series in (set repo:)");
  }
  // The base: the series' own base-commit when the repository has it,
  // else the branch head (local branch, else origin's).
  std::string base;
  std::string base_from;
  if (has_commit(repo, series.base_commit)) {
    base = series.base_commit;
    base_from = "base-commit";
  } else {
    for (const std::string& rev : {target.branch, "origin/" + target.branch}) {
      if (std::optional<std::string> c = pipeline::git::resolve_commit(repo, rev)) {
        base = *c;
        base_from = "branch " + rev;
        break;
      }
    }
  }
  if (base.empty()) {
    throw InvalidInputError(repo + ": no branch " + target.branch + " to apply series " +
                            series.id + " on");
  }
  std::string name = "series-" + sha256_hex(series.id).substr(0, 16) + ".mbox";
  fs::create_directories(options.series_dir);
  std::string path = (fs::path(options.series_dir) / name).string();
  write_file_atomic(path, series_mbox(series));

  pipeline::PatchsetOptions p;
  p.mbox_files = {path};
  p.repo = repo;
  p.base = base;
  p.origin = options.origin;
  p.tree_name = target.tree;
  p.branch = target.branch;
  if (const pipeline::Tree* tree = config.tree(target.tree)) p.repository_url = tree->url;
  report::Checkout checkout = pipeline::apply_patchset(p);
  // The series is known by its cover letter, else its last patch.
  pipeline::set_message_id(checkout, series.message_id());
  pipeline::set_misc(checkout, "list", options.list);
  pipeline::set_misc(checkout, "series", series.id);
  pipeline::set_misc(checkout, "series_title", series.title);
  pipeline::set_misc(checkout, "series_revision", std::to_string(series.revision));
  pipeline::set_misc(checkout, "base_from", base_from);
  pipeline::set_contacts(checkout, series.contacts);
  if (!series.trailers.empty()) {
    std::vector<std::string> lines;
    for (const auto& [part, trailer] : series.trailers) {
      lines.push_back((part == 0 ? std::string("all") : std::to_string(part)) + ": " + trailer);
    }
    pipeline::set_misc(checkout, "trailers", join(lines, "\n"));
  }
  return checkout;
}

}  // namespace kci::inbox
