#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kci runs with glibc's huge-page heap (src/util/huge_pages.h) when the
# kernel's transparent huge pages are in madvise mode, and the programs it
# starts get the environment kci was given.
#   tests/store/huge_pages_test.sh KCI
set -euo pipefail
kci=$1
work=$(mktemp -d /tmp/kci-hugepages-XXXXXX)
trap 'exec 3>&- 2>/dev/null || true; rm -rf "$work"' EXIT
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)

# A kci process that waits on its input, to look at from outside.
environ_of() {
  local pid=$1 i
  for i in $(seq 50); do
    # The re-executed image's environment (execve's, as /proc shows it).
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -q '^KCI_SAVED_GLIBC_TUNABLES=\|^GLIBC_TUNABLES='; then
      break
    fi
    sleep 0.1
  done
  tr '\0' '\n' <"/proc/$pid/environ"
}
mkfifo "$work/in"
env -u GLIBC_TUNABLES "$kci" validate <"$work/in" >/dev/null 2>&1 &
pid=$!
exec 3>"$work/in"
env_seen=$(environ_of "$pid")
exec 3>&-
wait "$pid" || true
if [[ $thp == *"[madvise]"* ]]; then
  grep -qx 'GLIBC_TUNABLES=glibc.malloc.hugetlb=1' <<<"$env_seen" ||
    { echo "FAIL: kci did not re-execute with glibc.malloc.hugetlb=1:"; echo "$env_seen" | grep -i tunables; exit 1; }
else
  if grep -q '^GLIBC_TUNABLES=' <<<"$env_seen"; then
    echo "FAIL: THP is '$thp', kci should not set GLIBC_TUNABLES"; exit 1
  fi
fi

# Children see the caller's environment: unset stays unset, a value stays.
# (A `git` first on PATH records what kci's checkout passes it.)
mkdir "$work/bin"
printf '#!/bin/sh\necho "${GLIBC_TUNABLES-unset}" >>%s/seen\nexit 1\n' "$work" >"$work/bin/git"
chmod +x "$work/bin/git"
echo "From nobody" >"$work/series.mbox"
for given in unset glibc.malloc.arena_max=2; do
  : >"$work/seen"
  if [ "$given" = unset ]; then
    env -u GLIBC_TUNABLES PATH="$work/bin:$PATH" \
      "$kci" checkout --mbox "$work/series.mbox" --base HEAD --repo "$work" >/dev/null 2>&1 || true
  else
    GLIBC_TUNABLES=$given PATH="$work/bin:$PATH" \
      "$kci" checkout --mbox "$work/series.mbox" --base HEAD --repo "$work" >/dev/null 2>&1 || true
  fi
  [ -s "$work/seen" ] || { echo "FAIL: kci checkout ran no git"; exit 1; }
  if grep -vqx "$given" "$work/seen"; then
    echo "FAIL: GLIBC_TUNABLES given as '$given', git saw:"; cat "$work/seen"; exit 1
  fi
done
# The exec itself keeps the process: same PID, arguments and exit status.
set +e
env -u GLIBC_TUNABLES "$kci" no-such-command >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "FAIL: a usage error exits 2 after the re-exec, not $rc"; exit 1; }
echo "PASS"
