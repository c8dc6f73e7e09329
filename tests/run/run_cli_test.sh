#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `kci run` end to end through the CLI with the instant runtime (nothing is
# built or booted): a run until idle, --status, a failing build, a retried
# infrastructure error, usage errors, and kill -9 in the middle of a run
# followed by a restart (no duplicate node, the interrupted node runs again).
# Usage: run_cli_test.sh KCI PIPELINE_YAML
set -eu
KCI=$1
PIPELINE=$2
T=$(mktemp -d /tmp/kci-run-cli-XXXXXX)
BG=""
cleanup() {
  if [ -n "$BG" ]; then kill -9 "$BG" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_in() {  # FILE TEXT
  grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "'$2' not in $1"; }
}

run() { "$KCI" run --config "$PIPELINE" --runtime instant --retry-holdoff 0 "$@"; }

# 1. One checkout: two builds, two boots, two tests, all pass.
run --db "$T/a.sqlite" --tree mainline --branch master --commit c1 --describe v6.1 \
  --until-idle >"$T/out" 2>"$T/err" || fail "first run exited $?"
expect_in "$T/out" "4 nodes run"
expect_in "$T/out" "kbuild: 2 (2 done/pass)"
expect_in "$T/out" "job: 2 (2 done/pass)"
expect_in "$T/out" "test: 2 (2 done/pass)"
expect_in "$T/err" "scheduled job"
expect_in "$T/err" "done kbuild"
# The results are in the store, through ingest.
"$KCI" db count -d "sqlite:$T/a.sqlite" >"$T/count" 2>&1 || true
"$KCI" run --status --db "$T/a.sqlite" >"$T/status" || fail "--status exited $?"
expect_in "$T/status" "kbuild: 2 (2 done/pass)"
# The same checkout again: nothing to do.
run --db "$T/a.sqlite" --tree mainline --branch master --commit c1 -q >"$T/out2" \
  || fail "second run exited $?"
expect_in "$T/out2" "0 nodes run"

# 2. A failing build (exit 1, no boot for it) and an infrastructure error
#    retried into a pass.
printf 'kbuild-gcc-12-arm64 fail\nbaseline-x86 error,pass\n' >"$T/script"
status=0
run --db "$T/b.sqlite" --tree mainline --branch master --commit c2 -q \
  --instant-script "$T/script" >"$T/out" 2>"$T/err" || status=$?
[ "$status" = 1 ] || fail "a failed build should exit 1, got $status"
expect_in "$T/out" "kbuild: 2 (1 done/fail, 1 done/pass)"
expect_in "$T/out" "job: 1 (1 done/pass)"
expect_in "$T/out" "(1 retries"
"$KCI" run --status --db "$T/b.sqlite" >"$T/status"
expect_in "$T/status" "fail kbuild"

# 3. Usage errors exit 2, a bad script exits 1 naming its line.
status=0; "$KCI" run --config "$PIPELINE" --db "$T/c.sqlite" --instant-script "$T/script" \
  >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail "--instant-script without --runtime instant: exit $status"
status=0; "$KCI" run --config "$PIPELINE" --db "$T/c.sqlite" --until-idle --forever \
  >/dev/null 2>&1 || status=$?
[ "$status" = 2 ] || fail "--until-idle --forever: exit $status"
printf 'kbuild pass\nbaseline sometimes\n' >"$T/bad"
status=0; run --db "$T/c.sqlite" --instant-script "$T/bad" >/dev/null 2>"$T/err" || status=$?
[ "$status" = 1 ] || fail "bad script: exit $status"
expect_in "$T/err" "bad:2"

# 4. kill -9 in the middle of a run, then a restart.
"$KCI" run --config "$PIPELINE" --runtime instant --db "$T/d.sqlite" --tree mainline \
  --branch master --commit c3 --workers 1 --instant-delay 60000 >"$T/out" 2>"$T/err" &
BG=$!
i=0
until "$KCI" run --status --db "$T/d.sqlite" 2>/dev/null | grep -q '^running kbuild'; do
  i=$((i + 1)); [ $i -lt 200 ] || fail "no node started"; sleep 0.1
done
kill -9 "$BG"; wait "$BG" 2>/dev/null || true; BG=""
"$KCI" run --status --db "$T/d.sqlite" >"$T/status"
expect_in "$T/status" "running kbuild"
run --db "$T/d.sqlite" --tree mainline --branch master --commit c3 >"$T/out" 2>"$T/err" \
  || fail "restart exited $?"
expect_in "$T/out" "1 claims taken back"
expect_in "$T/out" "checkout: 1 (1 available)"
expect_in "$T/out" "kbuild: 2 (2 done/pass)"
expect_in "$T/out" "job: 2 (2 done/pass)"
expect_in "$T/err" "(retry 1)"

# 5. The live services (analysis -> triage -> notify): the next checkout's
#    x86 boot fails, which is a regression, and its report is delivered to
#    the subscriber's Maildir.
cat >"$T/subs.yaml" <<'EOF'
subscriptions:
  - name: mainline-tests
    tree: mainline
    kinds: [test]
    to: ["Mainline Maintainer <maintainer@example.org>"]
EOF
live() {
  run --db "$T/e.sqlite" --tree mainline --branch master --subscriptions "$T/subs.yaml" \
    --maildir "$T/mail" --notify-quiet 0 --base-url http://kci.example.org "$@"
}
live --commit c4 --describe v6.1 >"$T/out" 2>"$T/err" || fail "live run 1 exited $?"
expect_in "$T/out" "regressions: 0 active"
printf 'baseline-x86 fail\n' >"$T/s5"
status=0
live --commit c5 --describe v6.1-1-gc5 --instant-script "$T/s5" >"$T/out" 2>"$T/err" \
  || status=$?
[ "$status" = 1 ] || fail "a failed boot should exit 1, got $status"
expect_in "$T/out" "regressions: 1 active"
expect_in "$T/out" "baseline.login"
expect_in "$T/out" "http://kci.example.org/checkout/"
expect_in "$T/out" "report to mainline-tests: sent"
expect_in "$T/err" "kci run: live round"
mails=$(find "$T/mail/new" -type f | wc -l)
[ "$mails" -ge 1 ] || fail "no mail in the Maildir"
grep -l "^To: \"Mainline Maintainer\" <maintainer@example.org>" "$T"/mail/new/* >/dev/null \
  || fail "the mail is not addressed to the subscriber"
# Nothing new: no second mail.
live --commit c5 --describe v6.1-1-gc5 >"$T/out" 2>"$T/err" || true
[ "$(find "$T/mail/new" -type f | wc -l)" = "$mails" ] || fail "a mail was sent twice"
echo "PASS"
