#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# SMTP down (issue 18): mails queued while nothing listens on the SMTP port.
# `kci notify send --once` says why they did not go and when they will be
# retried (exit 3), and keeps them in the outbox (queued, one attempt, the
# error stored); a send before the retry time does not hammer the server.
# Then a real SMTP server (python3-aiosmtpd) starts on that port and
# `kci notify send --once --retry-now` delivers each mail exactly once,
# with the bytes stored at queue time (nothing rendered again).
#   smtp_down.sh KCI SOURCE_DIR
set -u
kci=$1
src=$2
. "$src/tests/lib/real-part.sh"
. "$src/tests/lib/smtp-sink.sh"
work=$(mktemp -d /tmp/kci-fault-smtp-XXXXXX)
cleanup() {
  stop_smtp_sink
  [ -n "${KCI_FAULT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
smtp_sink_available || missing_real_part "python3-aiosmtpd is not installed"

n=5
export KCI_DATABASE="sqlite:$work/kci.db"
td="$src/src/notify/testdata"
for i in $(seq 1 "$n"); do
  sed "s/\"checkout_id\": \"kci:4f1c0d3e\"/\"checkout_id\": \"kci:c$i\"/" "$td/test_report.json" \
    >"$work/t$i.json"
done
"$kci" notify queue -s "$td/subscriptions/kci-rules.yaml" --origin kci --domain kci.example.org \
  "$work"/t*.json >"$work/queue.out" || { echo "FAIL: notify queue"; exit 1; }
q() { sqlite3 "$work/kci.db" "$1"; }
[ "$(q "SELECT COUNT(*) FROM notify_outbox WHERE state = 'queued'")" = "$n" ] \
  || { echo "FAIL: $n mails not queued"; exit 1; }
# The stored bytes, to compare with what arrives.
/usr/bin/python3 - "$work/kci.db" "$work/stored" <<'PY'
import os, sqlite3, sys
os.makedirs(sys.argv[2])
for mid, message in sqlite3.connect(sys.argv[1]).execute(
        "SELECT message_id, message FROM notify_outbox"):
    open(os.path.join(sys.argv[2], mid.strip("<>")), "wb").write(message.encode())
PY

# A port nothing listens on.
port=$(/usr/bin/python3 -c \
  'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
smtp="smtp://127.0.0.1:$port"

# 1. The server is down: exit 3, the error and the retry named, mails kept.
status=0
"$kci" notify send --once --smtp "$smtp" --timeout 5 2>"$work/down.err" || status=$?
[ "$status" = 3 ] || fail "send with the server down exited $status, expected 3"
grep -q "not delivered: .*127.0.0.1:$port" "$work/down.err" \
  || fail "the error does not name the server: $(cat "$work/down.err")"
grep -q "$n mail(s) kept in the outbox, next retry in 60 s" "$work/down.err" \
  || fail "the retry is not announced: $(cat "$work/down.err")"
[ "$(q "SELECT COUNT(*) FROM notify_outbox WHERE state = 'queued' AND attempts = 1
        AND last_error != ''")" = "$n" ] || { fail "the outbox does not keep the $n mails:"
  q "SELECT message_id, state, attempts, last_error FROM notify_outbox"; }
echo "down: $(tr '\n' ' ' <"$work/down.err")"

# 2. Again before the retry time: nothing is attempted, nothing lost.
status=0
"$kci" notify send --once --smtp "$smtp" 2>"$work/early.err" || status=$?
[ "$status" = 0 ] || fail "a send with nothing due exited $status"
[ "$(q "SELECT MAX(attempts) FROM notify_outbox")" = 1 ] || fail "a mail was attempted before its retry time"
[ "$("$kci" notify send --dry-run | grep -c '^Message-ID:')" = 0 ] || fail "--dry-run shows mails due"

# 3. The server comes up on that port; --retry-now delivers each mail once.
mkdir -p "$work/received"
/usr/bin/python3 "$src/src/notify/testdata/smtp_sink.py" "$port" "$work/received" \
  >"$work/sink.out" 2>&1 &
smtp_sink_pid=$!
for _ in $(seq 1 100); do grep -q ready "$work/sink.out" && break; sleep 0.1; done
grep -q ready "$work/sink.out" || { echo "FAIL: the SMTP server did not start"; cat "$work/sink.out"; exit 1; }
status=0
"$kci" notify send --once --retry-now --smtp "$smtp" 2>"$work/up.err" || status=$?
[ "$status" = 0 ] || fail "send --retry-now exited $status: $(cat "$work/up.err")"
grep -q "$n mail(s) waiting for a retry made due now" "$work/up.err" || fail "$(cat "$work/up.err")"
grep -q "sent $n, retry later 0, failed 0" "$work/up.err" || fail "$(cat "$work/up.err")"
"$kci" notify send --once --retry-now --smtp "$smtp" 2>"$work/again.err" \
  || fail "a last send exited $?"
sleep 0.3
[ "$(q "SELECT COUNT(*) FROM notify_outbox WHERE state = 'sent' AND attempts = 2")" = "$n" ] \
  || fail "not every mail is sent after 2 attempts"
/usr/bin/python3 - "$work/received" "$work/stored" <<'PY' || failures=$((failures + 1))
import os, re, sys
received, stored = sys.argv[1], sys.argv[2]
seen = {}
for name in sorted(os.listdir(received)):
    if name.startswith("."):
        continue
    data = open(os.path.join(received, name), "rb").read()
    mid = re.search(rb"^Message-ID: *<(\S+)>", data, re.M).group(1).decode()
    seen.setdefault(mid, []).append(data)
want = set(os.listdir(stored))
bad = 0
if set(seen) != want:
    print("FAIL: received Message-IDs %s, queued %s" % (sorted(seen), sorted(want)))
    bad += 1
for mid, copies in seen.items():
    if len(copies) != 1:
        print("FAIL: %s arrived %d times" % (mid, len(copies)))
        bad += 1
    if mid in want and copies[0] != open(os.path.join(stored, mid), "rb").read():
        print("FAIL: %s is not the stored message" % mid)
        bad += 1
print("up: %d mails received, each once, the stored bytes" % len(seen))
sys.exit(1 if bad else 0)
PY
[ "$failures" = 0 ] && echo "PASS"
exit $((failures > 0))
