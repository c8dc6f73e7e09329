#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `kci serve` beside `kci run`, end to end:
#  1. /metrics over a database kci run works in: node counts by kind, state
#     and result, the node log and scheduler lag, runtime health (one
#     infrastructure error retried out of the attempts), the change-log
#     position and the lag of each consumer;
#  2. POST /callback/lava: LAVA's real callback (JSON) with the secret of a
#     `lava` token in Authorization, into the store and onto the job node
#     it names; tokens of another role, no token, bad bodies refused.
# Usage: serve_test.sh KCI PIPELINE_YAML LAVA_CALLBACK_JSON
set -eu
# shellcheck source=../lib/serve-port.sh
. "$(dirname "$0")/../lib/serve-port.sh"
KCI=$1
PIPELINE=$2
CALLBACK=$3
T=$(mktemp -d /tmp/kci-serve-metrics-XXXXXX)
SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_in() {  # FILE TEXT
  grep -qF -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "'$2' not in $1"; }
}

DB="sqlite:$T/kci.sqlite"
"$KCI" db init -d "$DB" >/dev/null
"$KCI" serve -d "$DB" --listen 127.0.0.1:0 --no-dashboard 2>"$T/serve.log" &
SERVER=$!
PORT=$(serve_port "$T/serve.log") || { cat "$T/serve.log" >&2; fail "kci serve did not start"; }

# Before any kci run: the service's counters, no node metrics.
curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/m0" || fail "GET /metrics"
expect_in "$T/m0" "kci_spool_depth 0"
if grep -q '^kci_nodes' "$T/m0"; then fail "node metrics without node tables"; fi

# A run with one infrastructure error retried into a pass.
printf 'baseline-x86 error,pass\n' >"$T/script"
"$KCI" run --config "$PIPELINE" --db "$DB" --runtime instant --retry-holdoff 0 -q \
  --tree mainline --branch master --commit c1 --instant-script "$T/script" >"$T/run.out" \
  || fail "kci run exited $?"
curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/m1" || fail "GET /metrics"
expect_in "$T/m1" 'kci_nodes{kind="checkout",state="available",result=""} 1'
expect_in "$T/m1" 'kci_nodes{kind="kbuild",state="done",result="pass"} 2'
expect_in "$T/m1" 'kci_nodes{kind="job",state="done",result="pass"} 2'
expect_in "$T/m1" 'kci_nodes{kind="test",state="done",result="pass"} 2'
expect_in "$T/m1" 'kci_scheduler_lag{service="scheduler"} 0'
expect_in "$T/m1" 'kci_claims_expired 0'
# Jobs: 3 attempts (one retried), 1 infrastructure failure; builds: 2, none.
expect_in "$T/m1" 'kci_runtime_attempts{kind="job",runtime="local"} 3'
expect_in "$T/m1" 'kci_runtime_infrastructure_failures{kind="job",runtime="local"} 1'
expect_in "$T/m1" 'kci_runtime_infrastructure_failure_ratio{kind="job",runtime="local"} 0.3333'
expect_in "$T/m1" 'kci_runtime_infrastructure_failure_ratio{kind="kbuild",runtime="local"} 0.0000'
# The node log: 1 + 2 + 2 + 2 nodes created (7), 5 claims, 5 finishes.
expect_in "$T/m1" 'kci_node_events 17'
# kci run's analysis read the change log to its end; kci serve's live
# services follow it too.
POS=$(sed -n 's/^kci_change_log_position \([0-9]*\)$/\1/p' "$T/m1")
[ -n "$POS" ] && [ "$POS" -gt 0 ] || fail "no change-log position"
for consumer in analysis triage notify; do
  expect_in "$T/m1" "kci_change_log_consumer_lag{consumer=\"$consumer\"} 0"
done
"$KCI" run --status --db "$DB" >"$T/status" || fail "kci run --status exited $?"
expect_in "$T/status" "runtime job/local: 1 of 3 recent attempts failed on infrastructure (33%)"

# 2. LAVA callbacks.
LAVA=$("$KCI" token add -d "$DB" --origin lab --role lava --comment lab | tail -n 1)
SUBMITTER=$("$KCI" token add -d "$DB" --origin lab | tail -n 1)
URL="http://127.0.0.1:$PORT/callback/lava"
post() {  # OUT CURL_ARGS... -> prints the HTTP status
  out=$1; shift
  curl -s -o "$out" -w '%{http_code}' -X POST "$@"
}
code=$(post "$T/cb0" -H "Content-Type: application/json" --data-binary "@$CALLBACK" \
  "$URL?build_id=kci:b1")
[ "$code" = 401 ] || fail "a callback without a token gave $code"
code=$(post "$T/cb1" -H "Authorization: $SUBMITTER" -H "Content-Type: application/json" \
  --data-binary "@$CALLBACK" "$URL?build_id=kci:b1")
[ "$code" = 403 ] || fail "a submitter token gave $code"
expect_in "$T/cb1" "needs lava"
code=$(post "$T/cb2" -H "Authorization: $LAVA" -H "Content-Type: application/json" \
  --data-binary '[1]' "$URL?build_id=kci:b1")
[ "$code" = 400 ] || fail "a JSON array gave $code"
expect_in "$T/cb2" "not a JSON object"
code=$(post "$T/cb3" -H "Authorization: $LAVA" -H "Content-Type: application/x-www-form-urlencoded" \
  --data-binary 'id=5&results=%7Bbroken' "$URL?build_id=kci:b1")
[ "$code" = 400 ] || fail "a bad form gave $code"
expect_in "$T/cb3" "form field 'results'"
code=$(post "$T/cb4" -H "Authorization: $LAVA" -H "Content-Type: application/json" \
  --data-binary "@$CALLBACK" "$URL?build_id=kci:b1&origin=other")
[ "$code" = 403 ] || fail "another origin gave $code"

# A job node of kci run in the middle of its boot: the run is killed, the
# callback finishes the node with the job's result (dmesg.emerg fails: fail).
DB2="sqlite:$T/lava.sqlite"
"$KCI" db init -d "$DB2" >/dev/null
"$KCI" run --config "$PIPELINE" --db "$DB2" --runtime instant --workers 1 --instant-delay 300 \
  --tree mainline --branch master --commit c2 >/dev/null 2>&1 &
RUN=$!
i=0
until "$KCI" run --status --db "$DB2" 2>/dev/null | grep -q '^running job'; do
  i=$((i + 1)); [ $i -lt 300 ] || fail "no job node started"; sleep 0.05
done
kill -9 "$RUN"; wait "$RUN" 2>/dev/null || true
NODE=$("$KCI" run --status --db "$DB2" | sed -n 's/^running job \([0-9]*\) .*/\1/p' | head -n 1)
[ -n "$NODE" ] || fail "no running job node"
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""
"$KCI" token add -d "$DB2" --origin lab --role lava >"$T/tok2"
LAVA2=$(tail -n 1 "$T/tok2")
"$KCI" serve -d "$DB2" --listen 127.0.0.1:0 --no-dashboard 2>"$T/serve2.log" &
SERVER=$!
PORT=$(serve_port "$T/serve2.log") || { cat "$T/serve2.log" >&2; fail "the second kci serve did not start"; }
code=$(post "$T/cb5" -H "Authorization: $LAVA2" -H "Content-Type: application/json" \
  --data-binary "@$CALLBACK" "http://127.0.0.1:$PORT/callback/lava?node=$NODE")
[ "$code" = 200 ] || { cat "$T/cb5" >&2; fail "the callback gave $code"; }
expect_in "$T/cb5" "5 tests loaded, node $NODE fail"
"$KCI" run --status --db "$DB2" >"$T/status2"
expect_in "$T/status2" "fail job $NODE"
N=$("$KCI" db dump -d "$DB2" --indent 0 | grep -o '"id":"lab:lava-lab-baylibre-370874[^"]*"' | sort -u | wc -l)
[ "$N" = 5 ] || fail "the store holds $N tests of the LAVA job, expected 5"
echo "PASS"
