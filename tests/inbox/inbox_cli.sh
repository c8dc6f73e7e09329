#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#   inbox_cli.sh KCI SOURCE_DIR
set -u
kci=$1
src=$2
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
expect() {  # expect NAME PATTERN FILE
  if grep -q -- "$2" "$3"; then echo "ok: $1"; else
    echo "FAIL: $1: no '$2' in:"; cat "$3"; failures=$((failures + 1)); fi
}
td="$src/src/inbox/testdata"

# The tree the fixture series apply to (base 8714c550..., fixed dates).
repo="$work/net-next"
mkdir -p "$repo/net" "$repo/drivers"
printf 'kci inbox test tree\n' > "$repo/README"
printf 'int net_core(void)\n{\n\treturn 0;\n}\n' > "$repo/net/core.c"
printf 'int foo(void)\n{\n\treturn 1;\n}\n' > "$repo/drivers/foo.c"
(cd "$repo" && git init -q -b main . && git add . &&
  GIT_AUTHOR_NAME=kci GIT_AUTHOR_EMAIL=kci@localhost GIT_COMMITTER_NAME=kci \
  GIT_COMMITTER_EMAIL=kci@localhost GIT_AUTHOR_DATE=2026-12-01T00:00:00Z \
  GIT_COMMITTER_DATE=2026-12-01T00:00:00Z git commit -q -m base)

"$kci" inbox import --archive "$work/netdev" "$td/series-v1.mbox" "$td/series-v2.mbox" \
  "$td/replies.mbox" "$td/does-not-apply.mbox" "$td/missing-part.mbox" "$td/unrelated.mbox" 2> "$work/import"
check "import" 0 $?
expect "import counts the messages" "18 messages appended" "$work/import"

"$kci" inbox scan "$work/netdev" > "$work/scan" 2> "$work/scan.err"
check "scan" 0 $?
expect "scan: v2 complete" "^complete     v2  3/3+cover v2-cover@alice.example.org  net: tidy the core" "$work/scan"
expect "scan: missing part" "^missing 2 .*m-cover@frank.example.org" "$work/scan"
expect "scan: v1 superseded" "^superseded   v1 .*v1-cover@alice.example.org" "$work/scan"
expect "scan: speed on stderr" "18 messages (18 commits)" "$work/scan.err"
"$kci" inbox scan --json "$work/netdev" > "$work/scan.json" 2> /dev/null
expect "scan --json: trailers" '"trailer": "Reviewed-by: Bob Roe <bob@example.org>"' "$work/scan.json"

cat > "$work/pipeline.yaml" <<YAML
kci:
  origin: kci_inbox
trees:
  net-next: {url: 'file://$repo'}
lists:
  netdev:
    archive: '$work/netdev'
    frequency: 1h
    timeout: 6h
    targets:
      - {tree: net-next, branch: main, prefixes: [net-next]}
      - {tree: net-next, branch: main}
YAML
export KCI_DATABASE="sqlite:$work/kci.db"
now=2026-12-03T12:00:00Z
"$kci" inbox poll -c "$work/pipeline.yaml" --state-dir "$work/state" --now $now > "$work/poll1" 2> "$work/poll1.err"
check "poll" 0 $?
expect "poll: v2 tested" "^netdev	tested	v2-cover@alice.example.org#v2	kci_inbox:8714c550d713985dc7e1ee445e5dc699a4178995+" "$work/poll1"
expect "poll: refused" "^netdev	does not apply	bad-1@erin.example.org#v1	kci_inbox:" "$work/poll1"
expect "poll: superseded" "^netdev	superseded	v1-cover@alice.example.org#v1	-" "$work/poll1"
expect "poll: one waiting" "18 new messages, 3 series handled, 1 waiting" "$work/poll1.err"

"$kci" db dump > "$work/dump"
check "dump" 0 $?
expect "checkout loaded with its message_id" '"message_id": "v2-cover@alice.example.org"' "$work/dump"
expect "refused checkout loaded" '"valid": false' "$work/dump"
expect "patchset_hash" '"patchset_hash": "[0-9a-f]\{64\}"' "$work/dump"

"$kci" inbox poll -c "$work/pipeline.yaml" --state-dir "$work/state" --now $now --force > "$work/poll2" 2> "$work/poll2.err"
check "poll again" 0 $?
[ -s "$work/poll2" ] && { echo "FAIL: a series reported twice:"; cat "$work/poll2"; failures=$((failures + 1)); }
expect "poll again reads nothing" "0 new messages, 0 series handled, 1 waiting" "$work/poll2.err"
"$kci" inbox poll -c "$work/pipeline.yaml" --state-dir "$work/state" --now $now > /dev/null 2> "$work/poll3.err"
expect "not due before its frequency" "not due yet" "$work/poll3.err"

"$kci" inbox import --archive "$work/netdev" "$td/missing-part-late.mbox" 2> /dev/null
"$kci" inbox poll -c "$work/pipeline.yaml" --state-dir "$work/state" --now 2026-12-03T16:00:00Z > "$work/poll4" 2> /dev/null
check "poll after the missing part" 0 $?
expect "the completed series is tested" "^netdev	tested	m-cover@frank.example.org#v1" "$work/poll4"
"$kci" inbox series > "$work/series"
[ "$(wc -l < "$work/series")" -eq 4 ] || { echo "FAIL: expected 4 series:"; cat "$work/series"; failures=$((failures + 1)); }

# Replies: the refused series is answered at once, the applied ones wait
# for results (kci run); --without-results answers them too. Delivered by
# kci notify send to a real SMTP server on loopback (python3-aiosmtpd).
"$kci" inbox reply --from "kci <bot@kci.example.org>" --domain kci.example.org > "$work/reply1"
check "reply" 0 $?
expect "reply: refused series answered, applied ones wait" "queued 1 reply, 2 series waiting" "$work/reply1"
"$kci" inbox reply --from "kci <bot@kci.example.org>" --domain kci.example.org --without-results > "$work/reply2"
expect "reply --without-results" "queued 2 replies, 0 series waiting" "$work/reply2"
"$kci" inbox reply --from "kci <bot@kci.example.org>" --domain kci.example.org --without-results > "$work/reply3"
expect "each series answered once" "queued 0 replies" "$work/reply3"
if smtp_sink_available; then
  start_smtp_sink "$src" "$work/received" || exit 1
  "$kci" notify send --once --smtp "smtp://127.0.0.1:$smtp_port" > /dev/null 2> "$work/send.err"
  check "notify send" 0 $?
  stop_smtp_sink
  [ "$(ls "$work/received" | wc -l)" -eq 3 ] || { echo "FAIL: expected 3 replies received:"; ls "$work/received"; failures=$((failures + 1)); }
  cat "$work"/received/* > "$work/all-mail"
  expect "reply threaded to the cover letter" "^In-Reply-To: <v2-cover@alice.example.org>" "$work/all-mail"
  expect "reply subject" "^Subject: Re: \[PATCH net-next v2 0/3\] net: tidy the core" "$work/all-mail"
  expect "refusal quotes git am" "kci could not apply this series" "$work/all-mail"
  expect "refusal threaded" "^In-Reply-To: <bad-1@erin.example.org>" "$work/all-mail"
elif [ "${CI:-}" = true ]; then
  echo "FAIL: python3-aiosmtpd is missing (needed under CI)"; failures=$((failures + 1))
else
  echo "SKIP: python3-aiosmtpd is not installed: replies not delivered"
fi

# kci run with lists: (instant runtime: nothing is built for real): each
# series that applies is a checkout node; its kbuild results then fill
# the reply.
cat > "$work/run.yaml" <<YAML
kci:
  origin: kci_inbox
trees:
  net-next: {url: 'file://$repo'}
build_environments:
  gcc-12: {cc: gcc, cc_version: 12}
build_configs:
  net-next: {tree: net-next, branch: main}
runtimes:
  local: {lab_type: shell}
jobs:
  kbuild-gcc-12-x86:
    kind: kbuild
    params: {arch: x86_64, compiler: gcc-12, defconfig: defconfig}
scheduler:
  - job: kbuild-gcc-12-x86
    event: {channel: node, kind: checkout, state: available}
    runtime: {name: local}
lists:
  netdev:
    archive: '$work/netdev'
    targets: [{tree: net-next, branch: main}]
YAML
"$kci" run --config "$work/run.yaml" --db "sqlite:$work/run.db" --runtime instant --retry-holdoff 0 \
  --inbox-state "$work/run-state" > "$work/run.out" 2> "$work/run.err"
check "kci run with lists" 0 $?
expect "kci run: series submitted as checkouts" "lists: 4 new series, 2 checkouts submitted" "$work/run.err"
# kci run answers the threads itself once the series' work is analysed.
expect "kci run queues the replies" "lists: 3 replies to series queued" "$work/run.err"
"$kci" inbox reply -d "sqlite:$work/run.db" --from "kci <bot@kci.example.org>" > "$work/run-reply"
expect "nothing left to answer" "queued 0 replies, 0 series waiting" "$work/run-reply"
KCI_DATABASE="sqlite:$work/run.db" "$kci" notify send --dry-run > "$work/run-mail" 2> /dev/null
expect "the reply counts the builds" "^  builds: 1 PASS" "$work/run-mail"
expect "the reply compares nothing without base results" "No results of the base commit" "$work/run-mail"
"$kci" run --config "$work/run.yaml" --db "sqlite:$work/run.db" --runtime instant --retry-holdoff 0 \
  --inbox-state "$work/run-state" > /dev/null 2> "$work/run2.err"
check "kci run again" 0 $?
if grep -q "replies to series queued\|reply to series queued" "$work/run2.err"; then
  echo "FAIL: kci run answered a series twice:"; cat "$work/run2.err"; failures=$((failures + 1))
fi

# kci run --forever polls the lists at their frequency: a series posted
# while it runs is tested and answered, by the run's own delivery, at a
# real SMTP server; each thread gets one reply.
if /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
  mkdir "$work/forever-mail"
  "$kci" inbox import --archive "$work/forever-list" "$td/series-v2.mbox" 2> /dev/null
  sed -e "s|archive: '$work/netdev'|archive: '$work/forever-list'\n    frequency: 1s|" \
    "$work/run.yaml" > "$work/forever.yaml"
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  /usr/bin/python3 "$src/src/notify/testdata/smtp_sink.py" "$port" "$work/forever-mail" > "$work/sink2.out" &
  sink_pid=$!
  for _ in $(seq 1 100); do grep -q ready "$work/sink2.out" && break; sleep 0.1; done
  "$kci" run --config "$work/forever.yaml" --db "sqlite:$work/forever.db" --runtime instant \
    --retry-holdoff 0 --inbox-state "$work/forever-state" --forever --live-poll 0.2 \
    --smtp "smtp://127.0.0.1:$port" --from "kci <bot@kci.example.org>" \
    > "$work/forever.out" 2> "$work/forever.err" &
  run_pid=$!
  wait_mails() {  # N: until N mails arrived (30 s at most)
    for _ in $(seq 1 300); do
      [ "$(ls "$work/forever-mail" | wc -l)" -ge "$1" ] && return 0
      sleep 0.1
    done
    return 1
  }
  wait_mails 1 || { echo "FAIL: no reply from kci run --forever"; cat "$work/forever.err"; failures=$((failures + 1)); }
  # Posted after the start: found by a later poll.
  "$kci" inbox import --archive "$work/forever-list" "$td/does-not-apply.mbox" 2> /dev/null
  wait_mails 2 || { echo "FAIL: the series posted later got no reply"; cat "$work/forever.err"; failures=$((failures + 1)); }
  sleep 2  # time for a duplicate to show up
  kill -TERM "$run_pid"; wait "$run_pid"
  check "kci run --forever stops on SIGTERM" 0 $?
  kill "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; sink_pid=
  [ "$(ls "$work/forever-mail" | wc -l)" -eq 2 ] || { echo "FAIL: expected 2 replies:"; ls "$work/forever-mail"; failures=$((failures + 1)); }
  cat "$work"/forever-mail/* > "$work/forever-all"
  expect "forever: tested series answered on its thread" "^In-Reply-To: <v2-cover@alice.example.org>" "$work/forever-all"
  expect "forever: its builds counted" "^  builds: 1 PASS" "$work/forever-all"
  expect "forever: the later series refused on its thread" "^In-Reply-To: <bad-1@erin.example.org>" "$work/forever-all"
elif [ "${CI:-}" = true ]; then
  echo "FAIL: python3-aiosmtpd is missing (needed under CI)"; failures=$((failures + 1))
fi

# Bad input and usage.
"$kci" inbox scan "$work/nothing-here" > /dev/null 2>&1
check "scan of what is not an archive is exit 1" 1 $?
"$kci" inbox scan > /dev/null 2>&1
check "scan without an archive is exit 2" 2 $?
printf 'trees: {t: {url: https://x}}\n' > "$work/nolists.yaml"
"$kci" inbox poll -c "$work/nolists.yaml" > /dev/null 2>&1
check "poll without lists is exit 2" 2 $?
"$kci" inbox --help > /dev/null
check "--help" 0 $?

echo "inbox.cli: $failures failed"
[ "$failures" -eq 0 ]
