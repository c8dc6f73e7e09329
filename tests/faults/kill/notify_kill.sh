#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The mail sender (`kci notify send`) killed -9 at random moments while
# mails go out to a real, slow SMTP server (python3-aiosmtpd), round after
# round; after the rounds one more `send --once` delivers the rest. The
# promise tested (docs/operations.md, "Email (SMTP)"): at-least-once with a
# stable identity. Every queued mail arrives; a mail that arrives twice
# (the kill fell between the server's 250 and kci marking it sent) arrives
# with the same Message-ID and the same bytes, at most once more per kill;
# a restarted sender takes over the dead one's lease at once; the outbox
# ends with every mail sent.
#   notify_kill.sh KCI SOURCE_DIR
set -u
kci=$1
src=$2
. "$src/tests/lib/real-part.sh"
. "$src/tests/lib/smtp-sink.sh"
. "$src/tests/faults/kill/lib.sh"
work=$(mktemp -d /tmp/kci-fault-notify-XXXXXX)
sender_pid=
cleanup() {
  [ -n "$sender_pid" ] && kill -9 "$sender_pid" 2>/dev/null && wait "$sender_pid" 2>/dev/null
  stop_smtp_sink
  [ -n "${KCI_FAULT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$work/send.log"; exit 1; }
smtp_sink_available || missing_real_part "python3-aiosmtpd is not installed"

fault_init "notify_kill" 18004
n=100
export KCI_DATABASE="sqlite:$work/kci.db"
td="$src/src/notify/testdata"
for i in $(seq 1 "$n"); do
  sed "s/\"checkout_id\": \"kci:4f1c0d3e\"/\"checkout_id\": \"kci:c$i\"/" "$td/test_report.json" \
    >"$work/t$i.json"
done
"$kci" notify queue -s "$td/subscriptions/kci-rules.yaml" --origin kci --domain kci.example.org \
  "$work"/t*.json >"$work/queue.out" || fail "notify queue exited $?"
grep -q "queued $n mail" "$work/queue.out" || fail "expected $n mails queued: $(cat "$work/queue.out")"

# 0.1 s per mail: the mails take 10 s or more to go out, over many rounds.
start_smtp_sink "$src" "$work/received" 0.1 || exit 1
received() { find "$work/received" -maxdepth 1 -type f -name '[0-9]*.eml' | wc -l; }

# shellcheck disable=SC2120
send() {  # in the background: exec, so that $! is kci
  exec "$kci" notify send --smtp "smtp://127.0.0.1:$smtp_port" --interval 1 "$@" \
    2>>"$work/send.log"
}
kills_while_sending=0
for _ in $(seq 1 "$fault_rounds"); do
  delay=$(random_ms 200 1200)
  before=$(received)
  send &
  sender_pid=$!
  sleep_ms "$delay"
  kill -9 "$sender_pid" 2>/dev/null
  wait "$sender_pid" 2>/dev/null
  sender_pid=
  [ "$(received)" -gt "$before" ] && kills_while_sending=$((kills_while_sending + 1))
done
grep -q "another sender delivers" "$work/send.log" \
  && fail "a restarted sender waited for the lease of a killed one"
after_rounds=$(received)
"$kci" notify send --once --smtp "smtp://127.0.0.1:$smtp_port" 2>>"$work/send.log" \
  || fail "the last send --once exited $?"
sleep 0.5  # a mail in the sink's delay when the last sender ended

failures=0
q() { sqlite3 "$work/kci.db" "$1"; }
sent=$(q "SELECT COUNT(*) FROM notify_outbox WHERE state = 'sent'")
[ "$sent" = "$n" ] || { echo "FAIL: $sent of $n mails marked sent:"
  q "SELECT state, COUNT(*) FROM notify_outbox GROUP BY state"; failures=$((failures + 1)); }
q "SELECT message_id FROM notify_outbox" | sort >"$work/outbox-ids"
# One line per received file: "MESSAGE-ID MD5".
/usr/bin/python3 - "$work/received" >"$work/id-sums" <<'PY2'
import hashlib, os, re, sys
d = sys.argv[1]
for name in sorted(os.listdir(d)):
    if name.startswith("."):
        continue
    data = open(os.path.join(d, name), "rb").read()
    m = re.search(rb"^Message-ID: *(\S+)", data, re.M | re.I)
    print((m.group(1).decode() if m else "none"), hashlib.md5(data).hexdigest())
PY2
cut -d' ' -f1 "$work/id-sums" >"$work/received-ids"
total=$(wc -l <"$work/received-ids")
distinct=$(sort -u "$work/received-ids" | wc -l)
dups=$((total - distinct))
sort -u "$work/received-ids" >"$work/received-distinct"
missing=$(comm -23 "$work/outbox-ids" "$work/received-distinct" | wc -l)
unknown=$(comm -13 "$work/outbox-ids" "$work/received-distinct" | wc -l)
[ "$missing" = 0 ] || { echo "FAIL: $missing queued mail(s) never arrived"; failures=$((failures + 1)); }
[ "$unknown" = 0 ] || { echo "FAIL: $unknown Message-ID(s) not in the outbox"
  failures=$((failures + 1)); }
# A mail sent again is the same bytes (same Message-ID, nothing re-rendered).
differing=$(sort -u "$work/id-sums" | cut -d' ' -f1 | uniq -d | wc -l)
[ "$differing" = 0 ] || { echo "FAIL: $differing mail(s) arrived twice with different bytes"
  failures=$((failures + 1)); }
# At most one mail is in flight when a sender dies.
[ "$dups" -le "$fault_rounds" ] || { echo "FAIL: $dups duplicates for $fault_rounds kills"
  failures=$((failures + 1)); }
[ "$kills_while_sending" -ge 2 ] || { echo "FAIL: only $kills_while_sending rounds delivered" \
  "anything before the kill (nothing tested)"; failures=$((failures + 1)); }
fault_done "$n mails, $kills_while_sending rounds killed while delivering, $after_rounds" \
  "received during the rounds, $total received in all, $distinct distinct, $dups sent again" \
  "(same bytes), 0 lost"
[ "$failures" = 0 ] && echo "PASS"
exit $((failures > 0))
