#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Imports Debian's linux-source-6.1 tarball into a git repository that the
# kernel tests build from, and caches it between runs on the same machine:
#   ${KCI_TEST_CACHE:-$HOME/.cache/kci-test}/linux-6.1   (tag v6.1-debian-import)
# Prints the repository path on stdout. Safe to run concurrently: the import
# happens under an flock, into a temporary directory renamed into place, so
# a reader never sees a half-imported tree.
#   tests/kernel/prepare-linux.sh [--tarball PATH]
set -euo pipefail

tarball=/usr/src/linux-source-6.1.tar.xz
if [ "${1:-}" = "--tarball" ]; then tarball=$2; fi
cache=${KCI_TEST_CACHE:-$HOME/.cache/kci-test}
repo=$cache/linux-6.1
tag=v6.1-debian-import

mkdir -p "$cache"
exec 9>"$cache/linux-6.1.lock"
flock 9

if git -C "$repo" rev-parse -q --verify "refs/tags/$tag" >/dev/null 2>&1; then
  echo "$repo"
  exit 0
fi

if [ ! -r "$tarball" ]; then
  echo "prepare-linux: $tarball missing; run scripts/install-deps.sh test" >&2
  exit 1
fi

start=$(date +%s)
tmp=$repo.import-tmp
rm -rf "$tmp" "$repo"
mkdir -p "$tmp"
echo "prepare-linux: extracting $tarball" >&2
tar -xf "$tarball" -C "$tmp" --strip-components=1
# Debian's .gitignore ends with a "Debian packaging" block whose "/*"
# ignores the whole top level: with it, `git add -A` adds nothing. Cut the
# file at that block.
sed -i '/^# Debian packaging/,$d' "$tmp/.gitignore"
sed -i '${/^#$/d}' "$tmp/.gitignore"

echo "prepare-linux: importing into git" >&2
export GIT_AUTHOR_NAME="kci test" GIT_AUTHOR_EMAIL="kci-test@localhost"
export GIT_COMMITTER_NAME="kci test" GIT_COMMITTER_EMAIL="kci-test@localhost"
export GIT_AUTHOR_DATE="2026-01-01T00:00:00Z" GIT_COMMITTER_DATE="2026-01-01T00:00:00Z"
git -C "$tmp" init -q -b main
git -C "$tmp" config gc.auto 0
git -C "$tmp" add -A
version=$(make -s -C "$tmp" kernelversion 2>/dev/null || echo 6.1)
git -C "$tmp" commit -q -m "Linux $version (Debian linux-source-6.1 import)"
git -C "$tmp" tag "$tag"
files=$(git -C "$tmp" ls-files | wc -l)
if [ "$files" -lt 70000 ]; then
  echo "prepare-linux: only $files files imported; .gitignore trap?" >&2
  exit 1
fi
mv "$tmp" "$repo"
echo "prepare-linux: imported $files files in $(( $(date +%s) - start )) s" >&2
echo "$repo"
