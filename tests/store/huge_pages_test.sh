#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kci's commands that build large results (merge, db, run, serve...) run with
# glibc's huge-page heap (src/util/huge_pages.h) when the kernel's transparent
# huge pages are in madvise mode, the short ones (validate...) do not execute
# kci again, and the programs kci starts get the environment it was given.
#   tests/store/huge_pages_test.sh KCI
set -euo pipefail
kci=$1
work=$(mktemp -d /tmp/kci-hugepages-XXXXXX)
trap 'exec 3>&- 2>/dev/null || true; rm -rf "$work"' EXIT
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)

# The environment of a kci process once it waits on its input (a read of fd
# 0 in /proc/PID/syscall: x86_64 0, arm64 and riscv64 63), that is after any
# re-execution.
environ_of() {
  local pid=$1 i nr fd
  for i in $(seq 100); do
    read -r nr fd _ <"/proc/$pid/syscall" 2>/dev/null || true
    if [[ ($nr == 0 || $nr == 63) && $fd == 0x0 ]]; then break; fi
    sleep 0.1
  done
  tr '\0' '\n' <"/proc/$pid/environ"
}
# The environment a kci command waiting on a fifo runs with.
env_of_waiting() {
  local fifo="$work/in.$1" pid seen
  mkfifo "$fifo"
  env -u GLIBC_TUNABLES "$kci" "$@" <"$fifo" >/dev/null 2>&1 &
  pid=$!
  exec 3>"$fifo"
  seen=$(environ_of "$pid")
  exec 3>&-
  wait "$pid" || true
  echo "$seen"
}
env_seen=$(env_of_waiting merge)
if [[ $thp == *"[madvise]"* ]]; then
  grep -qx 'GLIBC_TUNABLES=glibc.malloc.hugetlb=1' <<<"$env_seen" ||
    { echo "FAIL: kci merge did not re-execute with glibc.malloc.hugetlb=1:"; echo "$env_seen" | grep -i tunables; exit 1; }
else
  if grep -q '^GLIBC_TUNABLES=' <<<"$env_seen"; then
    echo "FAIL: THP is '$thp', kci should not set GLIBC_TUNABLES"; exit 1
  fi
fi
# A short command is not executed again (it would cost more than it gains).
env_seen=$(env_of_waiting validate)
if grep -q '^GLIBC_TUNABLES=\|^KCI_SAVED_GLIBC_TUNABLES=' <<<"$env_seen"; then
  echo "FAIL: kci validate executed itself again with the huge-page heap"; exit 1
fi

# Children see the caller's environment: unset stays unset, a value stays.
# (A `git` first on PATH records what kci run passes it.)
mkdir "$work/bin"
printf '#!/bin/sh\necho "${GLIBC_TUNABLES-unset}" >>%s/seen\nexit 1\n' "$work" >"$work/bin/git"
chmod +x "$work/bin/git"
mkdir -p "$work/linux/.git"
: >"$work/pipeline.yaml"
for given in unset glibc.malloc.arena_max=2; do
  : >"$work/seen"
  if [ "$given" = unset ]; then
    env -u GLIBC_TUNABLES PATH="$work/bin:$PATH" \
      "$kci" run --config "$work/pipeline.yaml" --source "$work/linux" --db "$work/kci.sqlite" --runtime instant >/dev/null 2>&1 || true
  else
    GLIBC_TUNABLES=$given PATH="$work/bin:$PATH" \
      "$kci" run --config "$work/pipeline.yaml" --source "$work/linux" --db "$work/kci.sqlite" --runtime instant >/dev/null 2>&1 || true
  fi
  [ -s "$work/seen" ] || { echo "FAIL: kci run ran no git"; exit 1; }
  if grep -vqx "$given" "$work/seen"; then
    echo "FAIL: GLIBC_TUNABLES given as '$given', git saw:"; cat "$work/seen"; exit 1
  fi
done
# The exec itself keeps the process: same PID, arguments and exit status.
set +e
env -u GLIBC_TUNABLES "$kci" db no-such-command >/dev/null 2>&1
rc=$?
set -e
[ "$rc" -eq 2 ] || { echo "FAIL: a usage error exits 2 after the re-exec, not $rc"; exit 1; }
echo "PASS"
