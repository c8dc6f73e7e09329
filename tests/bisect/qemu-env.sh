#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The machine's side of run-bisect.sh: installed as qemu-system-x86_64 in a
# directory put first in kci's PATH, it counts the boots in
# $KCI_TEST_QEMU_STATE/boots, then runs the real QEMU ($KCI_TEST_QEMU_REAL)
# with the test's environment:
#   KCI_TEST_QEMU_KILL_AT=N   the Nth boot's QEMU is killed (SIGKILL) half a
#                             second after it started: an infrastructure
#                             failure, logged in $KCI_TEST_QEMU_STATE/killed
#   KCI_TEST_QEMU_CLOCK=BITS  boot N starts the guest's real-time clock in an
#                             even (bit 0) or odd (bit 1) minute, bit N of
#                             BITS (cycled): the test kernel's flaky commit
#                             misbehaves in odd minutes, so a pseudo-random
#                             BITS makes a flaky failure the run can replay.
set -euo pipefail

state=${KCI_TEST_QEMU_STATE:?}
real=${KCI_TEST_QEMU_REAL:?}
n=$(($(cat "$state/boots" 2>/dev/null || echo 0) + 1))
echo "$n" >"$state/boots"

args=("$@")
bits=${KCI_TEST_QEMU_CLOCK:-}
if [ -n "$bits" ]; then
  bit=${bits:$(((n - 1) % ${#bits})):1}
  args+=(-rtc "base=2026-01-01T00:0$bit:00")
fi

if [ "$n" = "${KCI_TEST_QEMU_KILL_AT:-0}" ]; then
  "$real" "${args[@]}" &
  pid=$!
  sleep 0.5
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" || true
  echo "$n" >>"$state/killed"
  exit 137
fi
exec "$real" "${args[@]}"
