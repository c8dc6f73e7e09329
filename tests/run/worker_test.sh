#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Pull workers end to end with the instant runtime: `kci run --workers 0`
# schedules, `kci serve` hands the nodes out, two `kci worker` processes
# run them. One worker is killed with -9 in the middle of a node and
# started again: its lease expires, the interrupted node runs again, and
# at the end every node ran once more at most (the interrupted one), none
# has two results, every node passed. Tokens: a submitter token cannot
# claim, a worker token cannot send results of another origin.
# Usage: worker_test.sh KCI PIPELINE_YAML
set -eu
# shellcheck source=../lib/serve-port.sh
. "$(dirname "$0")/../lib/serve-port.sh"
KCI=$1
PIPELINE=$2
T=$(mktemp -d /tmp/kci-worker-XXXXXX)
PIDS=""
cleanup() {
  for p in $PIDS; do kill -9 "$p" 2>/dev/null || true; done
  for p in $PIDS; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; for f in "$T"/*.log; do echo "--- $f" >&2; tail -n 20 "$f" >&2; done; exit 1; }
expect_in() {  # FILE TEXT
  grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "'$2' not in $1"; }
}

DB="sqlite:$T/kci.sqlite"
"$KCI" db init -d "$DB" >/dev/null
WORKER=$("$KCI" token add -d "$DB" --origin kci --role worker --comment workers | tail -n 1)
OTHER=$("$KCI" token add -d "$DB" --origin elsewhere --role worker | tail -n 1)
SUBMITTER=$("$KCI" token add -d "$DB" --origin kci | tail -n 1)
"$KCI" serve -d "$DB" --listen 127.0.0.1:0 --no-dashboard --worker-lease 2 \
  --worker-retry-holdoff 0 2>"$T/serve.log" &
PIDS="$PIDS $!"
PORT=$(serve_port "$T/serve.log") || fail "kci serve did not start"
URL="http://127.0.0.1:$PORT"

# Roles: a submitter token may not claim.
code=$(curl -s -o "$T/r0" -w '%{http_code}' -X POST -H "Authorization: Bearer $SUBMITTER" \
  -H 'Content-Type: application/json' --data '{"worker":"x"}' "$URL/api/v1/worker/claim")
[ "$code" = 403 ] || fail "a submitter token claimed: $code"
code=$(curl -s -o "$T/r1" -w '%{http_code}' -X POST -H "Authorization: Bearer $WORKER" \
  -H 'Content-Type: application/json' --data '{"worker":"bad name!"}' "$URL/api/v1/worker/claim")
[ "$code" = 400 ] || fail "a bad worker name gave $code"
expect_in "$T/r1" "/worker:"

# The scheduler alone: it waits until the workers have run everything.
"$KCI" run --config "$PIPELINE" --db "$DB" --runtime instant --workers 0 --tree mainline \
  --branch master --commit 89abcdef0123456789abcdef0123456789abcdef >"$T/run.out" 2>"$T/run.log" &
RUN=$!
PIDS="$PIDS $RUN"
i=0
until "$KCI" run --status --db "$DB" 2>/dev/null | grep -q '^kbuild: 2 (2 available)'; do
  i=$((i + 1)); [ $i -lt 200 ] || fail "no kbuild node scheduled"; sleep 0.05
done

# A worker of another origin: its results are refused (403), it stops.
status=0
"$KCI" worker --url "$URL" --token "$OTHER" --name other --runtime instant \
  --until-idle >"$T/other.out" 2>"$T/other.log" || status=$?
[ "$status" != 0 ] || fail "a worker of another origin succeeded"
expect_in "$T/other.log" "may not write objects of origin(s): kci"
# Its node was left running under its name: the lease gives it back.

# Worker a: slow nodes; killed -9 while it runs one.
"$KCI" worker --url "$URL" --token "$WORKER" --name a --runtime instant --instant-delay 30000 \
  --poll 0.05 >"$T/a1.out" 2>"$T/a1.log" &
A=$!
PIDS="$PIDS $A"
i=0
until grep -q '^kci worker: running' "$T/a1.log"; do
  i=$((i + 1)); [ $i -lt 200 ] || fail "worker a claimed nothing"; sleep 0.05
done
kill -9 "$A"; wait "$A" 2>/dev/null || true
"$KCI" run --status --db "$DB" >"$T/status1"
expect_in "$T/status1" "(worker:"

# Worker b, and worker a again: everything runs, the interrupted node again.
"$KCI" worker --url "$URL" --token "$WORKER" --name b --runtime instant --instant-delay 50 \
  --poll 0.05 --until-idle >"$T/b.out" 2>"$T/b.log" &
B=$!
PIDS="$PIDS $B"
"$KCI" worker --url "$URL" --token "$WORKER" --name a --runtime instant --instant-delay 50 \
  --poll 0.05 --until-idle >"$T/a2.out" 2>"$T/a2.log" || fail "worker a (again) exited $?"
wait "$B" || fail "worker b exited $?"
wait "$RUN" || fail "kci run exited $?"
expect_in "$T/run.out" "0 nodes run"
expect_in "$T/run.out" "kbuild: 2 (2 done/pass)"
expect_in "$T/run.out" "job: 2 (2 done/pass)"
expect_in "$T/run.out" "test: 2 (2 done/pass)"
grep -q "(retry 1)" "$T/a2.log" "$T/b.log" || fail "the interrupted node did not run again"

# No duplicate: one KCIDB build per kbuild, one test per job.
"$KCI" db dump -d "$DB" --indent 0 >"$T/dump"
BUILDS=$(grep -o '"id":"kci:kbuild-instant-[^"]*"' "$T/dump" | sort -u | wc -l)
TESTS=$(grep -o '"id":"kci:job-instant-[^"]*"' "$T/dump" | sort -u | wc -l)
[ "$BUILDS" = 2 ] || fail "$BUILDS builds stored, expected 2"
[ "$TESTS" = 2 ] || fail "$TESTS tests stored, expected 2"
A2=$(sed -n 's/^kci worker: \([0-9]*\) nodes run.*/\1/p' "$T/a2.out")
B2=$(sed -n 's/^kci worker: \([0-9]*\) nodes run.*/\1/p' "$T/b.out")
# Four nodes (two kbuilds, two jobs); the node the other-origin worker
# claimed and the one a was killed on ran again in a2 or b.
[ $((A2 + B2)) -ge 3 ] || fail "workers a and b ran $A2 + $B2 nodes"
echo "PASS"
