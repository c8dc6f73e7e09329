#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The kernel_builds fixture: builds every test kernel once with the real
# `kci build` and writes what the tests (and the boot tests) need:
#   OUT/index.json            name -> status, artifact dir, image, report, ...
#   OUT/reports/NAME.json     the KCIDB report kci build printed
#   OUT/logs/NAME.stderr      its progress output
#   OUT/store/...             the artifact store (KernelCI layout)
#   OUT/build/DIR/            the O= build directories, kept for incremental builds
#   OUT/snapshots/NAME/       a copy of a shared build directory right after NAME
# Kernels are built from the cached linux-6.1 git import (prepare-linux.sh)
# with ccache under the same cache directory, so a second run on a machine
# takes seconds per kernel. The verdicts are checked by kernel_build_test;
# this script fails only when kci build did not produce a report.
#   tests/kernel/build-kernels.sh KCI_BINARY OUT
set -euo pipefail

kci=$(realpath "$1")
out=$(realpath -m "$2")
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
cache=${KCI_TEST_CACHE:-$HOME/.cache/kci-test}
export CCACHE_DIR=$cache/ccache
# Every CI run builds in a fresh clone, so the build directories (O=) have
# new absolute paths: rewrite paths under $out to relative ones and leave
# the working directory out of the hash, so the cache still hits.
export CCACHE_BASEDIR=$out CCACHE_NOHASHDIR=1
jobs=${KCI_KERNEL_JOBS:-2}
base=v6.1-debian-import

mkdir -p "$out"/{reports,logs,build,snapshots,store} "$cache"
rm -f "$out/index.json"
linux=$("$here/prepare-linux.sh")

# One run at a time per cache: the builds check commits out in the shared
# source repository.
exec 8>"$cache/linux-6.1.build.lock"
flock -w 3600 8

export GIT_AUTHOR_NAME="kci test" GIT_AUTHOR_EMAIL="kci-test@localhost"
export GIT_COMMITTER_NAME="kci test" GIT_COMMITTER_EMAIL="kci-test@localhost"
export GIT_AUTHOR_DATE="2026-01-02T00:00:00Z" GIT_COMMITTER_DATE="2026-01-02T00:00:00Z"

# commit_on_branch BRANCH MESSAGE FILE < NEW_CONTENT: a commit on top of the
# base tag replacing one file, made with plumbing so the checked-out tree
# is not touched. Fixed names and dates give the same hash on every run.
commit_on_branch() {
  local branch=$1 message=$2 file=$3 blob tree commit
  local index
  index=$(mktemp)
  blob=$(git -C "$linux" hash-object -w --stdin)
  GIT_INDEX_FILE=$index git -C "$linux" read-tree "$base"
  GIT_INDEX_FILE=$index git -C "$linux" update-index --cacheinfo "100644,$blob,$file"
  tree=$(GIT_INDEX_FILE=$index git -C "$linux" write-tree)
  rm -f "$index"
  commit=$(git -C "$linux" commit-tree "$tree" -p "$base" -m "$message")
  git -C "$linux" update-ref "refs/heads/$branch" "$commit"
}

# kernel_init() panics before anything else: the boot tests expect the
# panic on the console.
git -C "$linux" show "$base:init/main.c" |
  awk '{ print } /^static int __ref kernel_init\(void \*unused\)$/ { armed = 1 }
       armed && /^\tint ret;$/ { print "\n\tpanic(\"kci test: injected init panic\");"; armed = 0 }' |
  commit_on_branch kci-test/init-panic "init: kci test: panic in kernel_init" init/main.c
# A C error the compiler reports as "error: 'kci_test_undeclared_identifier'
# undeclared".
{ git -C "$linux" show "$base:init/main.c"
  printf '\n/* kci test: injected compile error */\nint kci_test_compile_error(void);\n'
  printf 'int kci_test_compile_error(void)\n{\n\treturn kci_test_undeclared_identifier;\n}\n'
} | commit_on_branch kci-test/compile-error "init: kci test: compile error" init/main.c

index_entries=()
failed=0
base_commit=$(git -C "$linux" rev-parse "$base^{commit}")

# Rewritten after every kernel, so that a kernel is usable as soon as it is
# built, and atomically, so that a reader never sees half a file.
write_index() {
  {
    printf '{\n  "linux_source": "%s",\n  "base_commit": "%s",\n  "kernels": {\n' \
      "$linux" "$base_commit"
    for i in "${!index_entries[@]}"; do
      [ "$i" -gt 0 ] && printf ',\n'
      printf '%s' "${index_entries[$i]}"
    done
    printf '\n  }\n}\n'
  } >"$out/index.json.tmp"
  mv "$out/index.json.tmp" "$out/index.json"
}

# build NAME COMMIT ARCH TOOLCHAIN CONFIG [SHARED_BUILD_DIR]
# With SHARED_BUILD_DIR, kernels of one arch and config share one O=
# directory so that each is built incrementally from the previous one (a
# copy of a build directory is no help: kbuild records absolute paths and
# rebuilds everything). The state right after each such build is kept as a
# snapshot in OUT/snapshots/NAME, which the index names as its build_dir.
build() {
  local name=$1 commit=$2 arch=$3 toolchain=$4 config=$5 shared=${6:-}
  local dir=$out/build/${shared:-$name} report=$out/reports/$name.json start end branch=$commit
  local recorded_dir=$dir
  # The base tag is the tip of the import's main branch.
  [ "$commit" = "$base" ] && branch=main
  echo "build-kernels: $name ($arch $toolchain $config @ $commit)" >&2
  start=$(date +%s.%N)
  if ! (cd "$out" && "$kci" build --source "$linux" --commit "$commit" --branch "$branch" \
          --tree linux-6.1 --arch "$arch" --toolchain "$toolchain" --config "$config" \
          --artifacts "$out/store" --build-dir "$dir" -j "$jobs" --ccache --timeout 1800 \
          --pipeline-config "$project/config/kci.yaml" \
          >"$report.tmp" 2>"$out/logs/$name.stderr"); then
    echo "build-kernels: kci build $name did not produce a report:" >&2
    tail -20 "$out/logs/$name.stderr" >&2
    failed=1
    return 0
  fi
  mv "$report.tmp" "$report"
  end=$(date +%s.%N)
  local status artifacts image
  status=$(sed -n 's/^kci build: \(PASS\|FAIL\|ERROR\) .*/\1/p' "$out/logs/$name.stderr")
  artifacts=$(sed -n 's/^kci build: artifacts in //p' "$out/logs/$name.stderr")
  image=$(sed -n 's/^ *"kernel_image": "\(.*\)",$/\1/p' "$artifacts/bmeta.json")
  if [ -n "$shared" ]; then
    recorded_dir=$out/snapshots/$name
    mkdir -p "$recorded_dir"
    rsync -a --delete "$dir/" "$recorded_dir/"
  fi
  printf 'build-kernels: %s %s in %.1f s\n' "$name" "$status" "$(echo "$end - $start" | bc)" >&2
  index_entries+=("$(printf '    "%s": {\n        "status": "%s",\n        "arch": "%s",\n        "toolchain": "%s",\n        "config": "%s",\n        "commit": "%s",\n        "artifacts": "%s",\n        "image": "%s",\n        "report": "%s",\n        "build_dir": "%s",\n        "wall_seconds": %.1f\n    }' \
    "$name" "$status" "$arch" "$toolchain" "$config" \
    "$(git -C "$linux" rev-parse "$commit^{commit}")" "$artifacts" \
    "${image:+$artifacts/$image}" "$report" "$recorded_dir" "$(echo "$end - $start" | bc)")")
  write_index
}

frag=$here/fragments
# The missing toolchain first: it must fail fast, before any compiler runs.
build x86_64-missing-toolchain "$base" x86_64 gcc-99 "tinyconfig+x86_64-boot"
# x86_64-gcc and its two variants share a build directory: after the first
# cold build, each is an incremental build of init/main.c (seconds).
build x86_64-gcc "$base" x86_64 gcc "tinyconfig+x86_64-boot+$frag/kunit.config" x86_64-gcc
build x86_64-panic kci-test/init-panic x86_64 gcc "tinyconfig+x86_64-boot+$frag/kunit.config" \
  x86_64-gcc
build x86_64-compile-error kci-test/compile-error x86_64 gcc \
  "tinyconfig+x86_64-boot+$frag/kunit.config" x86_64-gcc
build arm64-gcc "$base" arm64 gcc "tinyconfig+arm64-boot"
build riscv64-gcc "$base" riscv gcc "tinyconfig+riscv64-boot"
build x86_64-clang "$base" x86_64 clang "tinyconfig+x86_64-boot"
# Leave the source at the base commit for whoever uses it next.
git -C "$linux" checkout -q --detach "$base"

echo "build-kernels: wrote $out/index.json" >&2
exit "$failed"
