#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fault injection: the spool's disk fills up under `kci serve`. The spool is
# a small tmpfs mounted for the test (root; under CI=true a refused mount
# fails the test, elsewhere it skips). 4 submitters post reports while a
# filler file leaves only a few KiB free. Invariants:
#  - every refusal is a 507 saying the spool is full (never a 200 for a
#    submission that was not written, never a dropped connection or 500);
#  - every acknowledged submission is loaded; no refused one is;
#  - once the filler is deleted, submissions are accepted and loaded again,
#    by the same process.
# Prints the figures: acknowledged, refused, loaded, accepted afterwards.
# Usage: spool_full.sh KCI SOURCE_DIR
set -euo pipefail
KCI=$1
SRC=$2
# shellcheck source=../../lib/real-part.sh
. "$SRC/tests/lib/real-part.sh"
# shellcheck source=../../lib/serve-port.sh
. "$SRC/tests/lib/serve-port.sh"
command -v curl >/dev/null || missing_real_part "curl is not installed"

WRITERS=4
PER_WRITER=${KCI_FAULT_REPORTS:-25}
T=$(mktemp -d /tmp/kci-fault-spool-XXXXXX)
SPOOL=$T/spool
SERVER=""
WRITER_PIDS=""
MOUNTED=""
cleanup() {
  for p in $WRITER_PIDS; do kill "$p" 2>/dev/null || true; done
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [ -n "$MOUNTED" ]; then umount "$SPOOL" 2>/dev/null || umount -l "$SPOOL" || true; fi
  rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -f "$T/serve.log" ] && tail -n 20 "$T/serve.log" >&2; exit 1; }

mkdir -p "$SPOOL"
if ! mount -t tmpfs -o size=1m,mode=0755 kci-fault-spool "$SPOOL" 2>"$T/mount.err"; then
  missing_real_part "cannot mount a tmpfs for the spool: $(cat "$T/mount.err")"
fi
MOUNTED=1

DB="sqlite:$T/kci.sqlite"
"$KCI" db init -d "$DB" >/dev/null || fail "kci db init"
TOKEN=$("$KCI" token add -d "$DB" --origin faults --comment faults | tail -n 1)
"$KCI" serve -d "$DB" --spool "$SPOOL" --listen 127.0.0.1:0 --no-dashboard --no-live -q \
  2>"$T/serve.log" &
SERVER=$!
PORT=$(serve_port "$T/serve.log") || fail "kci serve did not start"
URL="http://127.0.0.1:$PORT"
metric() { curl -sf "$URL/metrics" | sed -n "s/^$1 \([0-9]*\)$/\1/p"; }
PAD=$(printf '%01500d' 0)
mkdir -p "$T/answers"

submit() {  # ID ANSWER_FILE -> prints the HTTP status
  curl -s -o "$2" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \
    --data-binary "{\"version\":{\"major\":5,\"minor\":3},\"checkouts\":[{\"id\":\"$1\",\"origin\":\"faults\",\"comment\":\"$PAD\"}]}" \
    "$URL/submit" || true
}
writer() {  # PHASE W N
  local i id
  for i in $(seq "$3"); do
    id="faults:$1-w$2-$i"
    echo "$id $(submit "$id" "$T/answers/$1-$2-$i") $1-$2-$i" >>"$T/results.$1.$2"
  done
}
drain() {
  local depth=""
  for _ in $(seq 300); do
    depth=$(metric kci_spool_depth)
    [ "$depth" = 0 ] && return
    sleep 0.1
  done
  fail "the spool did not drain (depth $depth)"
}
loaded_ids() {
  "$KCI" db dump -d "$DB" --indent 0 | grep -o '"id":"faults:[^"]*"' | sed 's/"id":"\(.*\)"/\1/' | sort
}

# 1. With space: accepted.
writer before 0 5
[ "$(awk '$2 == 200' "$T/results.before.0" | wc -l)" = 5 ] || fail "refused with space: $(cat "$T/results.before.0")"

# 2. The disk fills up: a filler takes all but 16 KiB, 4 writers go on.
dd if=/dev/zero of="$SPOOL/filler" bs=16k 2>/dev/null || true
truncate -s -16K "$SPOOL/filler"
for w in $(seq "$WRITERS"); do
  : >"$T/results.full.$w"
  writer full "$w" "$PER_WRITER" &
  WRITER_PIDS="$WRITER_PIDS $!"
done
for p in $WRITER_PIDS; do wait "$p"; done
WRITER_PIDS=""
kill -0 "$SERVER" 2>/dev/null || fail "kci serve died when its disk filled up"
drain
cat "$T"/results.before.* "$T"/results.full.* >"$T/results"
awk '$2 == 200 {print $1}' "$T/results" | sort >"$T/acked"
awk '$2 != 200 {print $1}' "$T/results" | sort >"$T/refused"
while read -r id code answer; do
  if [ "$code" = 200 ]; then
    grep -q '"status":"ok"' "$T/answers/$answer" || fail "$id: 200 without ok: $(cat "$T/answers/$answer")"
    continue
  fi
  [ "$code" = 507 ] || fail "$id: refused with $code (want 507): $(cat "$T/answers/$answer")"
  grep -q '"message":"The server.s spool is full' "$T/answers/$answer" \
    || fail "$id: 507 without saying why: $(cat "$T/answers/$answer")"
done <"$T/results"
loaded_ids >"$T/loaded"
ACKED=$(wc -l <"$T/acked")
REFUSED=$(wc -l <"$T/refused")
MISSING=$(comm -23 "$T/acked" "$T/loaded" | wc -l)
REFUSED_LOADED=$(comm -12 "$T/refused" "$T/loaded" | wc -l)
printf 'disk full: %d reports of ~1.6 KB into 16 KiB left: acknowledged %d, refused %d (507), loaded %d, missing %d\n' \
  "$(wc -l <"$T/results")" "$ACKED" "$REFUSED" "$(wc -l <"$T/loaded")" "$MISSING"
[ "$MISSING" = 0 ] || fail "$MISSING acknowledged submission(s) not loaded: $(comm -23 "$T/acked" "$T/loaded" | head -5)"
[ "$REFUSED_LOADED" = 0 ] || fail "$REFUSED_LOADED refused submission(s) were loaded"
[ "$REFUSED" -gt 0 ] || fail "nothing was refused: the disk did not fill up"
[ "$(metric kci_submissions_failed_total)" = 0 ] || fail "submissions moved to failed/"
# A failed journal flush is cut off its segment, which goes on: the
# refusals leave no trail of new segment files.
SEGMENTS=$(find "$SPOOL/journal" -name 'segment-*.log' | wc -l)
echo "journal segments after the refusals: $SEGMENTS"
[ "$SEGMENTS" -le 2 ] || fail "$SEGMENTS journal segments: each refusal started a new one"

# 3. Space returns: accepted and loaded again, by the same process.
rm -f "$SPOOL/filler"
: >"$T/results.after.0"
writer after 0 10
AFTER=$(awk '$2 == 200' "$T/results.after.0" | wc -l)
[ "$AFTER" = 10 ] || fail "after the space returned: $(awk '{print $2}' "$T/results.after.0" | sort | uniq -c | tr '\n' ' ')"
drain
loaded_ids >"$T/loaded2"
awk '{print $1}' "$T/results.after.0" | sort | comm -23 - "$T/loaded2" >"$T/missing2"
[ ! -s "$T/missing2" ] || fail "accepted after the space returned but not loaded: $(head -3 "$T/missing2")"
kill -0 "$SERVER" 2>/dev/null || fail "kci serve died"
printf 'space returned: %d of 10 accepted and loaded\n' "$AFTER"
echo "PASS: the spool's disk filled up: refusals were 507, nothing acknowledged lost, accepted again after"
