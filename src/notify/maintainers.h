// SPDX-License-Identifier: LGPL-2.1-or-later
// The maintainers of the files a commit touches, as the kernel tree itself
// names them: its own scripts/get_maintainer.pl run on the commit's patch
// (`git format-patch -1`), in the tree's top directory, from its MAINTAINERS
// file. kci never ships a copy of either: the tree kci bisected in is used.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "notify/header.h"
#include "util/command_runner.h"

namespace kci::notify {

struct MaintainerOptions {
  // Mailing lists (the L: entries, linux-kernel@vger.kernel.org...) too;
  // by default only the maintainers (M:) and reviewers (R:) are named.
  bool lists = false;
  std::chrono::milliseconds timeout{60000};
};

// Whether `tree` has scripts/get_maintainer.pl and MAINTAINERS.
bool has_get_maintainer(const std::string& tree);

// The tree whose get_maintainer.pl names a culprit's maintainers: `chosen`
// (--maintainers-tree) when given, else `source` (the tree kci checked out,
// built and bisected in: `kci run --source`) when it has
// scripts/get_maintainer.pl and MAINTAINERS, else "" (no maintainers).
std::string maintainers_tree_for(const std::string& chosen, const std::string& source);

// The addresses get_maintainer.pl prints for `commit` of the git work tree
// `tree`, in its order, each once; text that is not a plain address is
// dropped. Empty when the tree has no get_maintainer.pl. Throws Error
// naming the command when git or the script fails (an unknown commit, a
// tree that is not a kernel tree).
std::vector<Address> get_maintainers(const std::string& tree, const std::string& commit,
                                     const MaintainerOptions& options = {},
                                     CommandRunner& runner = subprocess_runner());

}  // namespace kci::notify
