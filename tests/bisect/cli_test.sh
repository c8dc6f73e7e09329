#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `kci bisect --regression` and `--auto` through the CLI, without a kernel:
# an empty queue, an unknown regression, and the usage errors. (The
# bisections themselves are tested in src/bisect/auto_bisect_test.cpp with
# a scripted StepRunner; tests/bisect/run-bisect.sh builds real kernels.)
# Usage: cli_test.sh KCI
set -eu
KCI=$1
T=$(mktemp -d /tmp/kci-bisect-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_in() {  # FILE TEXT
  grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "'$2' not in $1"; }
}
status() {  # EXPECTED COMMAND...
  want=$1; shift
  set +e
  "$@" >"$T/out" 2>"$T/err"
  got=$?
  set -e
  [ "$got" = "$want" ] || { cat "$T/err" >&2; fail "exit $got, not $want: $*"; }
}

DB="sqlite:$T/kci.db"
mkdir -p "$T/src"
"$KCI" db init -d "$DB" >/dev/null 2>&1 || fail "db init"
COMMON="--source $T/src --build-dir $T/build --artifacts $T/artifacts"

# 1. Nothing to bisect: an empty JSON array, a summary line, exit 0.
status 0 "$KCI" bisect --auto -d "$DB" $COMMON
[ "$(tr -d ' \n' <"$T/out")" = "[]" ] || { cat "$T/out" >&2; fail "stdout is not []"; }
expect_in "$T/err" "0 active regression(s): 0 queued"

# 1b. No done bisection: nothing to mail.
cat >"$T/subs.yaml" <<'YAML'
subscriptions:
  - name: bisections
    tree: mainline
    kinds: [bisection]
    to: [bisect@example.org]
YAML
status 0 "$KCI" notify bisections -d "$DB" -s "$T/subs.yaml"
expect_in "$T/out" "queued 0 mail(s)"
status 2 "$KCI" notify bisections -d "$DB"

# 2. An unknown regression: bad data, named.
status 1 "$KCI" bisect --regression no-such/regression -d "$DB" $COMMON
expect_in "$T/err" "no-such/regression"

# 3. Usage: one mode at a time; --good without --bad; --store without --regression.
status 2 "$KCI" bisect --auto --good a --bad b -d "$DB" $COMMON
status 2 "$KCI" bisect $COMMON --test baseline.login
status 2 "$KCI" bisect --good a $COMMON --test baseline.login
status 2 "$KCI" bisect --good a --bad b --store $COMMON --test baseline.login
status 0 "$KCI" bisect --help
expect_in "$T/out" "--regression"
expect_in "$T/out" "--auto"
echo "ok"
