#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The live notify path under kill -9 (issue 14, "Delivery"): `kci serve`
# with --smtp follows loads (kci db load -> change log -> analysis ->
# notify), queues one build report per checkout with a failed build, and
# delivers them to a real, slow SMTP server (python3-aiosmtpd). It is killed
# -9 while the mails go out and started again: every mail arrives at least
# once, none with two Message-IDs, and the outbox ends with all of them sent.
#   notify_serve_kill.sh KCI SOURCE_DIR
set -u
kci=$1
src=$2
. "$src/tests/lib/real-part.sh"
. "$src/tests/lib/smtp-sink.sh"
work=$(mktemp -d)
serve_pid=
cleanup() {
  [ -n "$serve_pid" ] && kill -9 "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  stop_smtp_sink
  rm -rf "$work"
}
trap cleanup EXIT
smtp_sink_available || missing_real_part "python3-aiosmtpd is not installed"

n=30
db="sqlite:$work/kci.db"
cat > "$work/subs.yaml" <<'YAML'
subscriptions:
  - name: builds
    tree: mainline
    kinds: [build]
    to: ["Build Watchers <builds@example.org>"]
YAML

# n checkouts, each with one failed build (an error in its log excerpt).
/usr/bin/python3 - "$n" > "$work/report.json" <<'PY'
import json, sys
n = int(sys.argv[1])
r = {"version": {"major": 5, "minor": 3}, "checkouts": [], "builds": []}
for i in range(1, n + 1):
    t = "2026-12-%02dT10:%02d:00+00:00" % (1 + i // 60, i % 60)
    r["checkouts"].append({"id": "lab:c%d" % i, "origin": "lab", "tree_name": "mainline",
        "git_repository_url": "https://git.example.org/linux.git",
        "git_repository_branch": "master", "git_commit_hash": "%040x" % i,
        "git_commit_name": "v6.1-rc%d" % i, "start_time": t})
    r["builds"].append({"id": "lab:b%d" % i, "checkout_id": "lab:c%d" % i, "origin": "lab",
        "architecture": "arm", "config_name": "allmodconfig", "compiler": "gcc-12",
        "status": "FAIL", "start_time": t,
        "log_excerpt": "drivers/net/bar%d.c:88:3: error: 'x' undeclared\n" % i})
print(json.dumps(r))
PY

# 0.1 s per mail: the 30 mails take 3 s to go out.
start_smtp_sink "$src" "$work/received" 0.1 || exit 1

start_serve() {
  "$kci" serve -d "$db" --listen 127.0.0.1:0 -q --no-dashboard --subscriptions "$work/subs.yaml" \
    --notify-quiet 0 --live-poll 0.2 --no-log-fetch --from "kci <bot@kci.example.org>" \
    --domain kci.example.org --smtp "smtp://127.0.0.1:$smtp_port" 2>> "$work/serve.log" &
  serve_pid=$!
}
received() { ls "$work/received" | wc -l; }
cursor() {  # the notify consumer's cursor exists (its first round ran)
  /usr/bin/python3 - "$work/kci.db" <<'PY'
import sqlite3, sys
try:
    c = sqlite3.connect(sys.argv[1], timeout=5)
    rows = c.execute("SELECT * FROM kci_change_cursors").fetchall()
    print(1 if any("notify" in map(str, r) for r in rows) else 0)
except Exception:
    print(0)
PY
}

start_serve
for _ in $(seq 1 300); do [ "$(cursor)" = 1 ] && break; sleep 0.1; done
[ "$(cursor)" = 1 ] || { echo "FAIL: kci serve's notify service did not start"; cat "$work/serve.log"; exit 1; }
"$kci" db load -d "$db" "$work/report.json" || { echo "FAIL: kci db load"; exit 1; }

# Kill -9 while the mails go out.
for _ in $(seq 1 600); do [ "$(received)" -ge 5 ] && break; sleep 0.05; done
kill -9 "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=
before=$(received)
[ "$before" -ge 5 ] || { echo "FAIL: no mail went out before the kill"; cat "$work/serve.log"; exit 1; }
[ "$before" -lt "$n" ] || { echo "FAIL: every mail was out before the kill (too fast to test)"; exit 1; }

start_serve
for _ in $(seq 1 600); do
  [ "$(ls "$work"/received | wc -l)" -ge "$n" ] && break
  sleep 0.1
done
sleep 1  # a duplicate, if any, has time to arrive
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null; serve_pid=

failures=0
total=$(received)
for f in "$work"/received/*; do
  echo "$(grep -m1 "^X-Kci-Object:" "$f" | tr -d '\r') $(grep -m1 "^Message-ID:" "$f" | tr -d '\r')"
done | sort -u > "$work/pairs"
objects=$(cut -d' ' -f2 "$work/pairs" | sort -u | wc -l)
pairs=$(wc -l < "$work/pairs")
echo "killed after $before of $n mails; $total received, $objects distinct mails, $pairs (mail, Message-ID) pairs"
[ "$objects" -eq "$n" ] || { echo "FAIL: expected $n distinct mails"; failures=$((failures + 1)); }
[ "$pairs" -eq "$n" ] || { echo "FAIL: a mail arrived with two Message-IDs"; failures=$((failures + 1)); }
# The body's first line is the subject, unfolded.
grep -q "^mainline/master build: 1 build: 1 failed, 0 passed, 1 error (v6.1-rc7)" "$work"/received/* \
  || { echo "FAIL: no build report of lab:c7:"; sed -n '1,40p' "$(ls "$work"/received/* | head -n 1)"; failures=$((failures + 1)); }
due=$("$kci" notify send -d "$db" --dry-run | grep -c "^Message-ID:")
[ "$due" -eq 0 ] || { echo "FAIL: $due mail(s) still due in the outbox"; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] && echo "all ok"
exit $((failures > 0))
