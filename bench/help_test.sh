#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every benchmark answers --help (exit 0, its options on stdout) and refuses
# an unknown option (exit 2, the reason on stderr) before doing any work:
# benchmarks run by hand, and a mistyped option must not start a
# many-minute run with the defaults.
# usage: help_test.sh BENCH_BINARY...
set -u
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for bin in "$@"; do
  name=$(basename "$bin")
  if ! timeout 20 "$bin" --help >"$tmp/out" 2>"$tmp/err"; then
    echo "FAIL $name --help: exit $?: $(head -c 300 "$tmp/err")"
    fail=1
  elif ! grep -q -- '--help' "$tmp/out" || ! grep -qi 'options' "$tmp/out"; then
    echo "FAIL $name --help: no option list on stdout: $(head -c 300 "$tmp/out")"
    fail=1
  fi
  timeout 20 "$bin" --no-such-option >"$tmp/out" 2>"$tmp/err"
  rc=$?
  if [ "$rc" != 2 ] || ! grep -q 'no-such-option' "$tmp/err"; then
    echo "FAIL $name --no-such-option: exit $rc (want 2), stderr: $(head -c 300 "$tmp/err")"
    fail=1
  fi
  [ "$fail" = 0 ] && echo "ok   $name"
done
exit "$fail"
