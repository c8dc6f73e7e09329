#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fault injection: PostgreSQL restarted (pg_ctl restart -m immediate, i.e. a
# crash and recovery) while `kci serve` takes submissions and loads them.
# 4 submitters post small KCIDB reports with unique ids; a quarter of the
# way in the database is restarted under them. Invariants:
#  - every acknowledged submission (200 with an id) is loaded, once;
#  - every other one was refused with a 5xx and a message (none of them
#    loaded), never a dropped connection;
#  - ingest resumes by itself (the same kci serve process), and the spool
#    drains.
# Prints the figures: acknowledged, refused, loaded, time to resume.
# Usage: pg_restart.sh KCI SOURCE_DIR
set -euo pipefail
KCI=$1
SRC=$2
# shellcheck source=../../lib/real-part.sh
. "$SRC/tests/lib/real-part.sh"
# shellcheck source=../../lib/serve-port.sh
. "$SRC/tests/lib/serve-port.sh"
# shellcheck source=pg-cluster.sh
. "$SRC/tests/faults/database/pg-cluster.sh"
command -v curl >/dev/null || missing_real_part "curl is not installed"

WRITERS=4
PER_WRITER=${KCI_FAULT_REPORTS:-60}
T=$(mktemp -d /tmp/kci-fault-pg-XXXXXX)
chmod 755 "$T"
SERVER=""
WRITER_PIDS=""
cleanup() {
  for p in $WRITER_PIDS; do kill "$p" 2>/dev/null || true; done
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  pg_cluster_stop
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$T/serve.log" ] && tail -n 20 "$T/serve.log" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="${2:-$(now)}" 'BEGIN { printf "%.2f", b - a }'; }  # FROM [TO]
past() { awk -v a="$1" -v b="$(now)" -v s="$2" 'BEGIN { exit !(b - a > s) }'; }  # FROM SECONDS

pg_cluster_start "$T/pg"
pg_psql postgres "CREATE DATABASE kci" || fail "CREATE DATABASE"
DB="postgresql:host=127.0.0.1 port=$PG_PORT user=postgres dbname=kci"
"$KCI" db init -d "$DB" >/dev/null || fail "kci db init"
TOKEN=$("$KCI" token add -d "$DB" --origin faults --comment faults | tail -n 1)

"$KCI" serve -d "$DB" --spool "$T/spool" --listen 127.0.0.1:0 --no-dashboard --no-live -q \
  2>"$T/serve.log" &
SERVER=$!
PORT=$(serve_port "$T/serve.log") || fail "kci serve did not start"
URL="http://127.0.0.1:$PORT"
metric() { curl -sf "$URL/metrics" | sed -n "s/^$1 \([0-9]*\)$/\1/p"; }

# One writer: PER_WRITER reports, one checkout each, "ID HTTP_STATUS" per line.
writer() {
  local w=$1 i id code
  for i in $(seq "$PER_WRITER"); do
    id="faults:w$w-$i"
    code=$(curl -s -o "$T/answers/$w-$i" -w '%{http_code}' -X POST \
      -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
      --data-binary "{\"version\":{\"major\":5,\"minor\":3},\"checkouts\":[{\"id\":\"$id\",\"origin\":\"faults\",\"tree_name\":\"t$w\",\"comment\":\"report $i of writer $w\"}]}" \
      "$URL/submit") || true
    echo "$id $code $w-$i" >>"$T/results.$w"
    sleep 0.02
  done
}
mkdir -p "$T/answers"
START=$(now)
for w in $(seq "$WRITERS"); do
  : >"$T/results.$w"
  writer "$w" &
  WRITER_PIDS="$WRITER_PIDS $!"
done

# A quarter of the way in: restart the database under the load.
TOTAL=$((WRITERS * PER_WRITER))
until [ "$(cat "$T"/results.* | wc -l)" -ge $((TOTAL / 4)) ]; do
  sleep 0.05
  past "$START" 60 && fail "the writers did not get a quarter through in 60 s"
done
BEFORE_RESTART=$(cat "$T"/results.* | wc -l)
R0=$(now)
pg_ctl_cluster restart -m immediate >/dev/null || fail "pg_ctl restart"
R1=$(now)
# Ingest resumed when a load commits after the restart: the count grows.
LOADED_AT_RESTART=$(pg_psql kci "SELECT count(*) FROM checkouts") || fail "psql after the restart"
RESUMED=""
while [ -z "$RESUMED" ]; do
  n=$(pg_psql kci "SELECT count(*) FROM checkouts")
  if [ "$n" -gt "$LOADED_AT_RESTART" ]; then RESUMED=$(now); break; fi
  # Nothing left to load (every acknowledged one was in before): not a resume.
  if past "$R1" 30; then
    fail "no load committed in the 30 s after the restart (ingest did not resume)"
  fi
  sleep 0.1
done
for p in $WRITER_PIDS; do wait "$p"; done
WRITER_PIDS=""
END_WRITES=$(now)

# The spool drains (the same process: kci serve was never restarted).
DEPTH=""
for _ in $(seq 300); do
  DEPTH=$(metric kci_spool_depth)
  [ "$DEPTH" = 0 ] && break
  sleep 0.1
done
[ "$DEPTH" = 0 ] || fail "the spool did not drain after the restart (depth $DEPTH)"
DRAINED=$(now)
kill -0 "$SERVER" 2>/dev/null || fail "kci serve died"

cat "$T"/results.* >"$T/results"
[ "$(wc -l <"$T/results")" -eq "$TOTAL" ] || fail "$(wc -l <"$T/results") results of $TOTAL"
awk '$2 == 200 {print $1}' "$T/results" | sort >"$T/acked"
awk '$2 != 200 {print $1}' "$T/results" | sort >"$T/refused"
# Acknowledged means an id in the answer; refused means a 5xx and a message.
while read -r id code answer; do
  if [ "$code" = 200 ]; then
    grep -q '"status":"ok"' "$T/answers/$answer" || fail "$id: 200 without ok: $(cat "$T/answers/$answer")"
    continue
  fi
  case "$code" in
    5??) ;;
    000) fail "$id: the connection failed (no HTTP answer)" ;;
    *) fail "$id: refused with $code: $(cat "$T/answers/$answer")" ;;
  esac
  grep -q '"message":"[^"]' "$T/answers/$answer" || fail "$id: $code without a message"
  echo "$code $(sed 's/.*"message":"\([^"]*\)".*/\1/' "$T/answers/$answer")" >>"$T/refusals"
done <"$T/results"

pg_psql kci "SELECT id FROM checkouts" | sort >"$T/loaded"
DUPLICATES=$(pg_psql kci "SELECT count(*) - count(DISTINCT id) FROM checkouts")
MISSING=$(comm -23 "$T/acked" "$T/loaded" | wc -l)
REFUSED_LOADED=$(comm -12 "$T/refused" "$T/loaded" | wc -l)
FAILED=$(metric kci_submissions_failed_total)
ACKED=$(wc -l <"$T/acked")
REFUSED=$(wc -l <"$T/refused")
LOADED=$(wc -l <"$T/loaded")
printf 'reports %d (%d writers), restart after %d answers, took %s s\n' \
  "$TOTAL" "$WRITERS" "$BEFORE_RESTART" "$(since "$R0" "$R1")"
printf 'acknowledged %d, refused %d, loaded %d, duplicates %d, missing %d\n' \
  "$ACKED" "$REFUSED" "$LOADED" "$DUPLICATES" "$MISSING"
printf 'time to resume after the restart: %s s; writes done %s s, spool drained %s s after start\n' \
  "$(since "$R1" "$RESUMED")" "$(since "$START" "$END_WRITES")" "$(since "$START" "$DRAINED")"
[ -f "$T/refusals" ] && sort "$T/refusals" | uniq -c | sed 's/^/refusal: /'
[ "$MISSING" = 0 ] || fail "$MISSING acknowledged submission(s) not loaded: $(comm -23 "$T/acked" "$T/loaded" | head -5)"
[ "$DUPLICATES" = 0 ] || fail "$DUPLICATES duplicate id(s)"
[ "$REFUSED_LOADED" = 0 ] || fail "$REFUSED_LOADED refused submission(s) were loaded"
[ "$FAILED" = 0 ] || fail "$FAILED submission(s) moved to failed/ during the outage"
[ "$ACKED" -gt 0 ] || fail "nothing was acknowledged"
# The restart must have cut into the flow: loads after it.
[ "$LOADED" -gt "$LOADED_AT_RESTART" ] || fail "nothing was loaded after the restart"
echo "PASS: PostgreSQL restarted under ingest load: nothing acknowledged lost, ingest resumed"
