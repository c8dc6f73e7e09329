#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every C++ file under the given folders is formatted as .clang-format says.
# Prints each file that is not, with clang-format's first complaint, and exits 1.
# Exit 77 (skip) when clang-format is missing, except under CI=true (fail).
set -u
root=$1
shift
exclude=  # a find -path pattern left out of the scan (fixtures made to fail checks)
if [ "${1:-}" = --exclude ]; then
  exclude=$2
  shift 2
fi
if ! command -v clang-format >/dev/null; then
  echo "clang-format is not installed (scripts/install-deps.sh installs it)" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 77
fi
# One clang-format run over all files (a process per file takes ~50 s);
# its complaints name file:line:column.
list=$(mktemp)
trap 'rm -f "$list"' EXIT
for d in "$@"; do
  [ -d "$root/$d" ] || continue
  if [ -n "$exclude" ]; then
    find "$root/$d" -path "$exclude" -prune -o \( -name '*.cpp' -o -name '*.h' \) -print0
  else
    find "$root/$d" \( -name '*.cpp' -o -name '*.h' \) -print0
  fi
done | sort -z >"$list"
checked=$(tr -cd '\0' <"$list" | wc -c)
out=$(xargs -0 clang-format --style=file:"$root/.clang-format" --dry-run --Werror <"$list" 2>&1)
files=$(printf '%s\n' "$out" | sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: .*/\1/p' | sort -u)
bad=0
for f in $files; do
  first=$(printf '%s\n' "$out" | grep -m1 -F "$f:")
  echo "${f#"$root"/}: not formatted: ${first#"$f":}" >&2
  bad=$((bad + 1))
done
if [ "$bad" -ne 0 ]; then
  echo "$bad of $checked file(s) not formatted; run: clang-format -i FILE" >&2
  exit 1
fi
echo "$checked file(s) formatted"
