#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kci worker killed -9 at random moments (issue 18). kci serve hands out the
# nodes (lease 1 s), a scheduler (`kci run --workers 0`) schedules twelve
# checkouts one after the other, and a pull worker (instant runtime, a delay
# per node) is started and killed -9 after a random delay, round after
# round; after the rounds a worker runs until the scheduler has seen every
# node done. The promise tested (docs/operations.md, "Pull workers",
# "Crashes"): a node whose worker died goes back after the lease and runs
# again; each checkout has exactly the nodes of an uninterrupted run, all
# done/pass; each node's KCIDB build or test is stored once.
#   worker_kill.sh KCI SOURCE_DIR
set -u
kci=$1
src=$2
. "$src/tests/faults/kill/lib.sh"
pipeline="$src/tests/run/pipeline.yaml"
work=$(mktemp -d /tmp/kci-fault-worker-XXXXXX)
serve_pid=
driver_pid=
worker_pid=
cleanup() {
  [ -n "$driver_pid" ] && for p in $(pgrep -P "$driver_pid"); do kill -9 "$p" 2>/dev/null; done
  for p in $worker_pid $driver_pid $serve_pid; do kill -9 "$p" 2>/dev/null; done
  for p in $worker_pid $driver_pid $serve_pid; do wait "$p" 2>/dev/null; done
  [ -n "${KCI_FAULT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$work"/*.log; do echo "--- $f"; tail -n 15 "$f"; done
  exit 1
}

fault_init "worker_kill" 18003
checkouts=12
q() { sqlite3 "$1" "$2"; }
nodes_of() {  # FILE CHECKOUT_NODE_ID: the nodes below it, "kind name" lines
  q "$1" "WITH RECURSIVE t(id, kind, name) AS (
          SELECT id, kind, name FROM orch_nodes WHERE id = $2
          UNION ALL SELECT n.id, n.kind, n.name FROM orch_nodes n JOIN t ON n.parent = t.id)
        SELECT kind || ' ' || name FROM t WHERE id != $2 ORDER BY 1"
}

# The reference: one checkout run locally, never interrupted.
"$kci" run --config "$pipeline" --runtime instant --db "$work/ref.sqlite" --tree mainline \
  --branch master --commit ref --until-idle -q >/dev/null 2>"$work/ref.log" || fail "reference run"
ref_id=$(q "$work/ref.sqlite" "SELECT id FROM orch_nodes WHERE kind = 'checkout'")
nodes_of "$work/ref.sqlite" "$ref_id" >"$work/ref-nodes"
ref_builds=$(q "$work/ref.sqlite" "SELECT COUNT(*) FROM builds")
ref_tests=$(q "$work/ref.sqlite" "SELECT COUNT(*) FROM tests")

dbfile="$work/kci.sqlite"
db="sqlite:$dbfile"
"$kci" db init -d "$db" >/dev/null || fail "db init"
token=$("$kci" token add -d "$db" --origin kci --role worker --comment workers | tail -n 1)
"$kci" serve -d "$db" --listen 127.0.0.1:0 -q --no-dashboard --no-live --worker-lease 1 \
  --worker-max-retries 100 --worker-retry-holdoff 0 2>"$work/serve.log" &
serve_pid=$!
port=
for _ in $(seq 200); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$work/serve.log")
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || fail "kci serve did not start"

# The scheduler: each checkout in turn, each run waits until its nodes are done.
(
  for k in $(seq 1 "$checkouts"); do
    "$kci" run --config "$pipeline" --db "$dbfile" --runtime instant --workers 0 --max-retries 100 \
      --retry-holdoff 0 --no-analysis --tree mainline --branch master --commit "$(printf %040x "$k")" >>"$work/driver-out.log" \
      2>>"$work/driver.log" || exit 1
  done
) &
driver_pid=$!

# shellcheck disable=SC2120
worker() {  # always in the background: exec, so that $! is kci
  exec "$kci" worker --url "http://127.0.0.1:$port" --token "$token" --name w --runtime instant \
    --instant-delay 400 --poll 0.05 "$@" >>"$work/worker.out" 2>"$work/worker.log"
}
for _ in $(seq 1 "$fault_rounds"); do
  delay=$(random_ms 100 1000)
  worker &
  worker_pid=$!
  sleep_ms "$delay"
  kill -9 "$worker_pid" 2>/dev/null
  wait "$worker_pid" 2>/dev/null
  worker_pid=
done
killed_running=$(q "$dbfile" "SELECT COUNT(*) FROM orch_nodes WHERE state = 'running'")

# Finish: a worker runs until the scheduler has seen everything done.
worker &
worker_pid=$!
for _ in $(seq 1200); do kill -0 "$driver_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$driver_pid" 2>/dev/null && fail "the scheduler did not finish in 120 s"
wait "$driver_pid" || fail "the scheduler (kci run --workers 0) failed"
driver_pid=
kill "$worker_pid"; wait "$worker_pid" 2>/dev/null; worker_pid=

failures=0
n_checkouts=$(q "$dbfile" "SELECT COUNT(*) FROM orch_nodes WHERE kind = 'checkout'")
[ "$n_checkouts" = "$checkouts" ] || { echo "FAIL: $n_checkouts checkout nodes, expected $checkouts"
  failures=$((failures + 1)); }
for id in $(q "$dbfile" "SELECT id FROM orch_nodes WHERE kind = 'checkout'"); do
  nodes_of "$dbfile" "$id" >"$work/nodes-$id"
  cmp -s "$work/ref-nodes" "$work/nodes-$id" || { echo "FAIL: checkout node $id has other nodes:"
    diff "$work/ref-nodes" "$work/nodes-$id"; failures=$((failures + 1)); }
done
not_done=$(q "$dbfile" "SELECT COUNT(*) FROM orch_nodes WHERE kind != 'checkout'
                        AND NOT (state = 'done' AND result = 'pass')")
[ "$not_done" = 0 ] || { echo "FAIL: $not_done node(s) not done/pass:"
  q "$dbfile" "SELECT id, kind, name, state, result, retries FROM orch_nodes
               WHERE kind != 'checkout' AND NOT (state = 'done' AND result = 'pass')"
  failures=$((failures + 1)); }
retries=$(q "$dbfile" "SELECT COALESCE(SUM(retries), 0) FROM orch_nodes")
builds=$(q "$dbfile" "SELECT COUNT(*) FROM builds")
tests=$(q "$dbfile" "SELECT COUNT(*) FROM tests")
[ "$builds" = $((ref_builds * checkouts)) ] || { echo "FAIL: $builds KCIDB builds, expected" \
  "$((ref_builds * checkouts))"; failures=$((failures + 1)); }
[ "$tests" = $((ref_tests * checkouts)) ] || { echo "FAIL: $tests KCIDB tests, expected" \
  "$((ref_tests * checkouts))"; failures=$((failures + 1)); }
[ "$retries" -ge 1 ] || { echo "FAIL: no node was interrupted by the kills (nothing tested)"
  failures=$((failures + 1)); }
fault_done "$checkouts checkouts, $killed_running node(s) left running by the kills," \
  "$retries retries, $builds builds + $tests tests stored once"
[ "$failures" = 0 ] && echo "PASS"
exit $((failures > 0))
