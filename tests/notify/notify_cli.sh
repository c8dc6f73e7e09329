#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#   notify_cli.sh KCI SOURCE_DIR
set -u
kci=$1
src=$2
. "$src/tests/lib/real-part.sh"
. "$src/tests/lib/smtp-sink.sh"
work=$(mktemp -d)
cleanup() {
  stop_smtp_sink
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
check() {  # check NAME EXPECTED_STATUS ACTUAL_STATUS
  if [ "$2" -ne "$3" ]; then
    echo "FAIL: $1: exit $3, expected $2"; failures=$((failures + 1))
  else
    echo "ok: $1"
  fi
}
smtp_sink_available || missing_real_part "python3-aiosmtpd is not installed"

export KCI_DATABASE="sqlite:$work/kci.db"
td="$src/src/notify/testdata"

"$kci" notify send --once > /dev/null 2>&1
check "send without a target is a usage error" 2 $?
"$kci" notify queue -s "$work/missing.yaml" "$td/test_report.json" > /dev/null 2>&1
check "missing subscription file is exit 1" 1 $?

"$kci" notify queue -s "$td/subscriptions/kci-rules.yaml" --origin kci --from "kci <bot@kci.example.org>" \
  --domain kci.example.org "$td/test_report.json" "$td/build_report.json" > "$work/q1"
check "queue" 0 $?
grep -q "queued 2 mail" "$work/q1" || { echo "FAIL: expected 2 mails queued (test, build): $(cat "$work/q1")"; failures=$((failures + 1)); }
"$kci" notify queue -s "$td/subscriptions/kci-rules.yaml" --origin kci --from "kci <bot@kci.example.org>" \
  --domain kci.example.org "$td/test_report.json" > "$work/q2"
grep -q "queued 0 mail" "$work/q2" || { echo "FAIL: the same report was queued twice"; failures=$((failures + 1)); }

"$kci" notify send --dry-run > "$work/dry"
check "dry run" 0 $?
grep -q "^Subject: mainline/master baseline: 2 runs, 2 regressions (v6.13-rc1)" "$work/dry" \
  || { echo "FAIL: dry run does not print the mail"; failures=$((failures + 1)); }

# Many mails, to kill the sender while they go out.
for i in $(seq 1 40); do
  sed "s/\"checkout_id\": \"kci:4f1c0d3e\"/\"checkout_id\": \"kci:c$i\"/" "$td/test_report.json" > "$work/t$i.json"
done
"$kci" notify queue -s "$td/subscriptions/kci-rules.yaml" --origin kci --domain kci.example.org \
  "$work"/t*.json > /dev/null
check "queue 40 more" 0 $?

start_smtp_sink "$src" "$work/received" || exit 1

"$kci" notify send --smtp "smtp://127.0.0.1:$smtp_port" > /dev/null 2>&1 &
sender=$!
for _ in $(seq 1 300); do
  [ "$(ls "$work/received" | wc -l)" -ge 10 ] && break
  sleep 0.02
done
kill -9 "$sender"; wait "$sender" 2>/dev/null
before=$(ls "$work/received" | wc -l)
"$kci" notify send --once --smtp "smtp://127.0.0.1:$smtp_port" 2> "$work/send.err"
check "send after kill -9" 0 $?
total=$(ls "$work/received" | wc -l)
# Each mail is one (X-Kci-Object, Message-ID) pair: 42 objects, each
# with one Message-ID however often it arrived.
for f in "$work"/received/*; do
  echo "$(grep -m1 "^X-Kci-Object:" "$f" | tr -d '\r') $(grep -m1 "^Message-ID:" "$f" | tr -d '\r')"
done | sort -u > "$work/pairs"
objects=$(cut -d' ' -f2 "$work/pairs" | sort -u | wc -l)
pairs=$(wc -l < "$work/pairs")
echo "killed after $before mails; $total received, $objects distinct mails, $pairs (mail, Message-ID) pairs"
[ "$objects" -eq 42 ] || { echo "FAIL: expected 42 distinct mails"; failures=$((failures + 1)); }
[ "$pairs" -eq 42 ] || { echo "FAIL: a mail arrived with two Message-IDs"; failures=$((failures + 1)); }

[ "$failures" -eq 0 ] && echo "all ok"
exit $((failures > 0))
