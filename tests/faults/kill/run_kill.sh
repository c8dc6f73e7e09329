#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kci run killed -9 at random moments (issue 18). The instant runtime (no
# kernel build) with a delay per node; each round runs `kci run` for one of
# ten checkouts on the same database and kills it -9 after a random delay;
# after the rounds each checkout is run until idle. The promise tested
# (docs/operations.md, "kci run", "Crashes"): nothing is scheduled twice
# (each checkout has exactly the nodes of an uninterrupted run), every node
# ends done/pass (claims of the dead process are taken back), and each node's
# KCIDB build or test is stored once.
#   run_kill.sh KCI SOURCE_DIR
set -u
kci=$1
src=$2
. "$src/tests/faults/kill/lib.sh"
pipeline="$src/tests/run/pipeline.yaml"
work=$(mktemp -d /tmp/kci-fault-run-XXXXXX)
run_pid=
cleanup() {
  [ -n "$run_pid" ] && kill -9 "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null
  [ -n "${KCI_FAULT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$work/run.log"; exit 1; }

fault_init "run_kill" 18002
exec=
run_exec() { exec="exec" run "$@"; }
checkouts=10
run() {  # DB COMMIT ARGS... (in the background: `run_exec ... &`, so that $! is kci)
  local db=$1 commit=$2
  shift 2
  $exec "$kci" run --config "$pipeline" --runtime instant --retry-holdoff 0 --max-retries 100 \
    --db "$db" --tree mainline --branch master --commit "$commit" --until-idle "$@"
}

# The reference: one checkout, never interrupted.
run "$work/ref.sqlite" ref -q >/dev/null 2>"$work/run.log" || fail "reference run exited $?"
q() { sqlite3 "$1" "$2"; }
# Nodes below a checkout, as "kind name" lines (the checkout's own id left out).
nodes_of() {  # FILE CHECKOUT_NODE_ID
  q "$1" "WITH RECURSIVE t(id, kind, name) AS (
          SELECT id, kind, name FROM orch_nodes WHERE id = $2
          UNION ALL SELECT n.id, n.kind, n.name FROM orch_nodes n JOIN t ON n.parent = t.id)
        SELECT kind || ' ' || name FROM t WHERE id != $2 ORDER BY 1"
}
ref_id=$(q "$work/ref.sqlite" "SELECT id FROM orch_nodes WHERE kind = 'checkout'")
nodes_of "$work/ref.sqlite" "$ref_id" >"$work/ref-nodes"
per_checkout=$(wc -l <"$work/ref-nodes")
[ "$per_checkout" -ge 4 ] || fail "the reference run made $per_checkout nodes"
ref_builds=$(q "$work/ref.sqlite" "SELECT COUNT(*) FROM builds")
ref_tests=$(q "$work/ref.sqlite" "SELECT COUNT(*) FROM tests")

db="$work/kci.sqlite"
for round in $(seq 1 "$fault_rounds"); do
  delay=$(random_ms 100 1500)
  run_exec "$db" "c$((round % checkouts))" --instant-delay 300 >/dev/null 2>"$work/run.log" &
  run_pid=$!
  sleep_ms "$delay"
  kill -9 "$run_pid" 2>/dev/null
  wait "$run_pid" 2>/dev/null
  status=$?
  run_pid=
  # 137: killed; 0: it finished first (the checkout was already done).
  [ "$status" = 137 ] || [ "$status" = 0 ] || fail "round $round: kci run exited $status"
done
killed_running=$(q "$db" "SELECT COUNT(*) FROM orch_nodes WHERE state = 'running'")

# Finish: each checkout until idle, no kill.
for k in $(seq 0 $((checkouts - 1))); do
  run "$db" "c$k" >"$work/final.out" 2>"$work/run.log" || fail "final run of c$k exited $?"
done

failures=0
n_checkouts=$(q "$db" "SELECT COUNT(*) FROM orch_nodes WHERE kind = 'checkout'")
[ "$n_checkouts" = "$checkouts" ] || { echo "FAIL: $n_checkouts checkout nodes, expected $checkouts"
  failures=$((failures + 1)); }
for id in $(q "$db" "SELECT id FROM orch_nodes WHERE kind = 'checkout'"); do
  nodes_of "$db" "$id" >"$work/nodes-$id"
  cmp -s "$work/ref-nodes" "$work/nodes-$id" || { echo "FAIL: checkout node $id has other nodes:"
    diff "$work/ref-nodes" "$work/nodes-$id"; failures=$((failures + 1)); }
done
not_done=$(q "$db" "SELECT COUNT(*) FROM orch_nodes WHERE kind != 'checkout'
                    AND NOT (state = 'done' AND result = 'pass')")
[ "$not_done" = 0 ] || { echo "FAIL: $not_done node(s) not done/pass:"
  q "$db" "SELECT id, kind, name, state, result, retries FROM orch_nodes
           WHERE kind != 'checkout' AND NOT (state = 'done' AND result = 'pass')"
  failures=$((failures + 1)); }
retries=$(q "$db" "SELECT COALESCE(SUM(retries), 0) FROM orch_nodes")
# KCIDB: each node's results once (ids are primary keys: count the ids per
# checkout against the reference run).
builds=$(q "$db" "SELECT COUNT(*) FROM builds")
tests=$(q "$db" "SELECT COUNT(*) FROM tests")
kcidb_checkouts=$(q "$db" "SELECT COUNT(*) FROM checkouts")
[ "$builds" = $((ref_builds * checkouts)) ] || { echo "FAIL: $builds KCIDB builds, expected" \
  "$((ref_builds * checkouts))"; failures=$((failures + 1)); }
[ "$tests" = $((ref_tests * checkouts)) ] || { echo "FAIL: $tests KCIDB tests, expected" \
  "$((ref_tests * checkouts))"; failures=$((failures + 1)); }
[ "$kcidb_checkouts" = "$checkouts" ] || { echo "FAIL: $kcidb_checkouts KCIDB checkouts"
  failures=$((failures + 1)); }
[ "$retries" -ge 1 ] || { echo "FAIL: no node was interrupted by the kills (nothing tested)"
  failures=$((failures + 1)); }
fault_done "$checkouts checkouts x $per_checkout nodes, $killed_running node(s) left running" \
  "by the kills, $retries retries, $builds builds + $tests tests stored once"
[ "$failures" = 0 ] && echo "PASS"
exit $((failures > 0))
