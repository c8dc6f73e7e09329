#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kci serve killed -9 at random moments while submissions arrive (issue 18).
# Each round starts the server on the same database and spool, a client
# posts submissions one after the other (a checkout, a build and a test
# each, ids unique to the submission), and the server is killed -9 after a
# random delay (every fifth round while it starts, before it listens:
# during its recovery of the spool). After the rounds the server runs once
# more until its spool is empty. The promise tested (docs/operations.md,
# "Durability"): every submission answered 200 is in the store, each object
# exactly once; the spool ends empty, nothing failed, no .temp file is left.
#   serve_kill.sh KCI SOURCE_DIR
set -u
kci=$1
src=$2
. "$src/tests/faults/kill/lib.sh"
work=$(mktemp -d /tmp/kci-fault-serve-XXXXXX)
serve_pid=
client_pid=
cleanup() {
  [ -n "$client_pid" ] && kill -9 "$client_pid" 2>/dev/null && wait "$client_pid" 2>/dev/null
  [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  [ -n "${KCI_FAULT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$work/serve.log"; exit 1; }

fault_init "serve_kill" 18001
db="sqlite:$work/kci.db"
spool="$work/spool"
"$kci" db init -d "$db" >/dev/null || fail "db init"
token=$("$kci" token add -d "$db" --origin lab --comment fault | tail -n 1)

start_serve() {
  "$kci" serve -d "$db" --spool "$spool" --listen 127.0.0.1:0 -q --no-dashboard --no-live \
    2>"$work/serve.log" &
  serve_pid=$!
  port=
  for _ in $(seq 200); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$work/serve.log")
    [ -n "$port" ] && return 0
    kill -0 "$serve_pid" 2>/dev/null || fail "kci serve exited at start (round $round)"
    sleep 0.05
  done
  fail "kci serve did not listen (round $round)"
}

# client ROUND: posts submissions until one is not answered 200; each id
# answered 200 is appended to acked.
client() {
  local r=$1 k=0 id code
  while true; do
    k=$((k + 1))
    id="r${r}s${k}"
    printf '{"version":{"major":5,"minor":3},
      "checkouts":[{"id":"lab:c-%s","origin":"lab","tree_name":"mainline"}],
      "builds":[{"id":"lab:b-%s","origin":"lab","checkout_id":"lab:c-%s","status":"PASS"}],
      "tests":[{"id":"lab:t-%s","origin":"lab","build_id":"lab:b-%s","path":"boot","status":"PASS"}]}' \
      "$id" "$id" "$id" "$id" "$id" >"$work/body-$r"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST \
      -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      --data-binary "@$work/body-$r" "http://127.0.0.1:$port/submit") || true
    echo "$id $code" >>"$work/attempts"
    [ "$code" = 200 ] || break
    echo "$id" >>"$work/acked"
  done
}

: >"$work/acked"
early=0
for round in $(seq 1 "$fault_rounds"); do
  delay=$(random_ms 0 600)
  if [ $((round % 5)) = 0 ]; then
    # Every fifth round: killed while starting (recovering the spool and
    # its journal), before it listens.
    "$kci" serve -d "$db" --spool "$spool" --listen 127.0.0.1:0 -q --no-dashboard --no-live \
      2>"$work/serve.log" &
    serve_pid=$!
    sleep_ms "$delay"
    grep -q listening "$work/serve.log" || early=$((early + 1))
  else
    start_serve
    client "$round" &
    client_pid=$!
    sleep_ms "$delay"
  fi
  kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=
  [ -n "$client_pid" ] && wait "$client_pid"
  client_pid=
done

# The last start: it loads what the killed ones left in the spool.
round=final
start_serve
for _ in $(seq 600); do
  ls "$spool"/submission-*.json >/dev/null 2>&1 || break
  sleep 0.1
done
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=

acked=$(wc -l <"$work/acked")
attempted=$(wc -l <"$work/attempts")
[ "$acked" -ge 5 ] || fail "only $acked submissions acknowledged in $fault_rounds rounds (too few to test)"
failures=0
q() { sqlite3 "$work/kci.db" "$1"; }
for table in checkouts builds tests; do
  rows=$(q "SELECT COUNT(*) FROM $table")
  distinct=$(q "SELECT COUNT(DISTINCT id) FROM $table")
  [ "$rows" = "$distinct" ] || { echo "FAIL: $table: $rows rows, $distinct ids"; failures=$((failures + 1)); }
done
# Every acknowledged submission's three objects are stored.
q "SELECT id FROM checkouts" | sed -n 's/^lab:c-//p' | sort >"$work/stored-c"
q "SELECT id FROM builds" | sed -n 's/^lab:b-//p' | sort >"$work/stored-b"
q "SELECT id FROM tests" | sed -n 's/^lab:t-//p' | sort >"$work/stored-t"
sort "$work/acked" >"$work/acked-sorted"
for kind in c b t; do
  lost=$(comm -23 "$work/acked-sorted" "$work/stored-$kind" | wc -l)
  [ "$lost" = 0 ] || { echo "FAIL: $lost acknowledged submission(s) lost ($kind):" \
    "$(comm -23 "$work/acked-sorted" "$work/stored-$kind" | head -n 5 | tr '\n' ' ')"
    failures=$((failures + 1)); }
done
# Stored but never acknowledged: the kill fell between the fdatasync and the
# answer (allowed: the client saw an error and would retry).
stored=$(wc -l <"$work/stored-c")
left=$(find "$spool" -maxdepth 1 -name 'submission-*' | wc -l)
[ "$left" = 0 ] || { echo "FAIL: $left file(s) left in the spool"; failures=$((failures + 1)); }
failed=$(find "$spool/failed" -type f 2>/dev/null | wc -l)
[ "$failed" = 0 ] || { echo "FAIL: $failed failed submission file(s):"; cat "$spool"/failed/*.reason
  failures=$((failures + 1)); }
temps=$(find "$spool" -name '*.temp' | wc -l)
[ "$temps" = 0 ] || { echo "FAIL: $temps .temp file(s) left"; failures=$((failures + 1)); }
fault_done "$attempted posts, $acked acknowledged, $stored stored (each once), 0 lost," \
  "$early kill(s) before listening"
[ "$failures" = 0 ] && echo "PASS"
exit $((failures > 0))
