#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `kci db load` announces every load in the change log, and `kci db changes`
# prints it as JSON lines, after a sequence or a consumer's cursor.
#   changes_test.sh KCI
set -euo pipefail
kci=$1
work=$(mktemp -d /tmp/kci-changes-XXXXXX)
trap 'rm -rf "$work"' EXIT
export KCI_DATABASE="sqlite:$work/db.sqlite"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$kci" db init
# No load yet: nothing to print.
[ -z "$("$kci" db changes)" ] || fail "events before any load"

report() {  # build id, build status
  printf '{"version":{"major":5,"minor":3},"checkouts":[{"id":"o:c","origin":"o"}],'
  printf '"builds":[{"id":"%s","origin":"o","checkout_id":"o:c","status":"%s"}]}\n' "$1" "$2"
}
report o:b1 PASS > "$work/1.json"
report o:b1 PASS > "$work/2.json"
report o:b1 FAIL > "$work/3.json"
"$kci" db load "$work/1.json" "$work/2.json"
"$kci" db load "$work/3.json"

"$kci" db changes > "$work/all"
[ "$(wc -l < "$work/all")" -eq 3 ] || fail "expected 3 events, got: $(cat "$work/all")"
python3 - "$work/all" <<'PY'
import json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
seqs = [e["sequence"] for e in events]
assert seqs == sorted(seqs) and len(set(seqs)) == 3, seqs
assert [e["builds"] for e in events] == [["o:b1"]] * 3, events
assert [e["builds_status_changed"] for e in events] == [["o:b1"], [], ["o:b1"]], events
assert events[0]["checkouts"] == ["o:c"] and events[0]["tests"] == [], events[0]
PY
first=$(head -1 "$work/all" | python3 -c 'import json,sys; print(json.load(sys.stdin)["sequence"])')
[ "$("$kci" db changes --after "$first" | wc -l)" -eq 2 ] || fail "--after"
[ "$("$kci" db changes --limit 1 | wc -l)" -eq 1 ] || fail "--limit"

# A consumer's cursor: each event once, then nothing until the next load.
[ "$("$kci" db changes --consumer t --limit 2 | wc -l)" -eq 2 ] || fail "consumer, first read"
[ "$("$kci" db changes --consumer t | wc -l)" -eq 1 ] || fail "consumer, second read"
[ -z "$("$kci" db changes --consumer t)" ] || fail "consumer, nothing new"
report o:b2 PASS | "$kci" db load
[ "$("$kci" db changes --consumer t | wc -l)" -eq 1 ] || fail "consumer, after a new load"

# --follow prints what is loaded while it waits.
"$kci" db changes --follow --interval 0.1 --after 4 > "$work/followed" &
follower=$!
report o:b3 FAIL | "$kci" db load
for _ in $(seq 50); do [ -s "$work/followed" ] && break; sleep 0.1; done
kill "$follower"; wait "$follower" 2>/dev/null || true
grep -q '"o:b3"' "$work/followed" || fail "--follow did not print the new load"

# Usage errors exit 2.
set +e
"$kci" db changes --interval 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad --interval"
set -e
echo PASS
