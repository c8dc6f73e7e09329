#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kci bisect killed -9 at random moments (issue 18). A throw-away repository
# of 64 commits (commit 41 adds the file the test fails on, commits 30-33
# are untestable: exit 125) on the user's branch `work`, bisected with
# `kci bisect --run` and a command that sleeps 30 ms; each round starts it
# (the restart of the round before) and kills it -9 after a random delay,
# wherever it is: resolving the endpoints, mid `git bisect`, in the checks,
# in the revert. Then one run is let finish. The promise tested
# (docs/operations.md, "Automatic bisection"; bisect/bisector.h): a
# restarted run puts the tree back first (kills the dead run's commands
# still running, resets the tree, ends git bisect, checks the user's branch
# out) and finds the right culprit; no two step commands ever run at once in
# the tree; at the end the user's branch and HEAD are back, the tree is clean
# (an untracked file of the user's kept), nothing is left of the bisection
# and no process of a killed run is alive.
#   bisect_kill.sh KCI SOURCE_DIR
set -u
kci=$1
src=$2
. "$src/tests/faults/kill/lib.sh"
work=$(mktemp -d /tmp/kci-fault-bisect-XXXXXX)
bisect_pid=
cleanup() {
  [ -n "$bisect_pid" ] && kill -9 "$bisect_pid" 2>/dev/null && wait "$bisect_pid" 2>/dev/null
  # Commands of a killed run that no restart killed (only on failure).
  for p in /proc/[0-9]*; do
    case $(readlink "$p/cwd" 2>/dev/null) in "$work"/*) kill -9 "${p#/proc/}" 2>/dev/null ;; esac
  done
  [ -n "${KCI_FAULT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; tail -n 20 "$work/bisect.log"; exit 1; }

fault_init "bisect_kill" 18005
tree="$work/tree"
g() { git -C "$tree" -c user.name=Fault -c user.email=fault@example.org "$@"; }
mkdir -p "$tree"
g init -q -b work || fail "git init"
# One git fast-import (a commit per `git commit` is slow on a loaded
# machine). Commit i adds file<i>.txt, so the culprit reverts cleanly.
for i in $(seq 0 63); do
  echo "commit refs/heads/work"
  echo "committer Fault <fault@example.org> $((1764547200 + i)) +0000"
  echo "data <<EOM"
  echo "commit $i"
  echo "EOM"
  echo "M 100644 inline file$i.txt"
  echo "data <<EOM"
  echo "$i"
  echo "EOM"
  [ "$i" = 41 ] && printf 'M 100644 inline bad.txt\ndata <<EOM\nbroken\nEOM\n'
  [ "$i" = 30 ] && printf 'M 100644 inline untestable.txt\ndata <<EOM\ncannot test\nEOM\n'
  [ "$i" = 34 ] && echo "D untestable.txt"
  echo
done | g fast-import --quiet || fail "git fast-import"
g checkout -q -f work || fail "git checkout work"
good=$(g rev-parse HEAD~63)
culprit=$(g rev-parse HEAD~22)
tip=$(g rev-parse HEAD)
echo "the user's own notes" >"$tree/notes.txt"  # untracked: must survive

# The step: sleeps 30 ms (300 ms at the tip); exit 125 untestable, 1 bad, 0 good. It records
# itself in `owner` while it runs: finding another live step there means
# two steps ran at once in the tree (a killed run's command not stopped).
cat >"$work/step.sh" <<STEP
o=\$(cat "$work/owner" 2>/dev/null)
if [ -n "\$o" ] && [ "\$o" != \$\$ ] && [ -r /proc/\$o/stat ] && ! grep -q ') Z' /proc/\$o/stat; then
  echo "step \$\$ at \$(git rev-parse --short HEAD) while step \$o still runs" >>"$work/violations"
fi
echo \$\$ >"$work/owner"
# 30 ms; 300 ms at the tip (the bad endpoint, the revert on top of it), so
# that some kills leave a step running for the restart to kill.
if [ -e file63.txt ]; then sleep 0.3; else sleep 0.03; fi
verdict=0
if [ -e untestable.txt ]; then verdict=125; elif [ -e bad.txt ]; then verdict=1; fi
rm -f "$work/owner"
exit \$verdict
STEP
bisect() {  # in the background: `bisect &`, so that $! is kci
  exec "$kci" bisect --good "$good" --bad work --source "$tree" --run "sh $work/step.sh" \
    --runs 1 --check-runs 1 --retries 1 --indent 0
}
culprit_of() { python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(r["status"], (r["culprit"] or {}).get("commit", ""), r["checks"]["verify"]["result"],
      r["checks"]["revert"]["result"])' "$1"; }
expected="found $culprit PASS PASS"

# The reference: never interrupted.
ref_start=$(date +%s%N)
(bisect) >"$work/ref.json" 2>"$work/bisect.log" || fail "reference run exited $?"
ref_ms=$((($(date +%s%N) - ref_start) / 1000000))
[ "$(culprit_of "$work/ref.json")" = "$expected" ] || fail "reference: $(culprit_of "$work/ref.json")"

dirty=0 bisecting=0 finished=0 step_kills=0
one_round() {  # ROUND
  local round=$1
  # A point of the run: 0.5-100 % of the uninterrupted run's time, so that
  # the kills fall all over it however fast the machine is.
  delay=$((ref_ms * $(random_ms 5 1000) / 1000))
  had_state=0
  [ -e "$tree/.git/kci-bisect.state" ] && had_state=1
  bisect >"$work/out.json" 2>"$work/bisect.log" &
  bisect_pid=$!
  sleep_ms "$delay"
  kill -9 "$bisect_pid" 2>/dev/null
  wait "$bisect_pid" 2>/dev/null
  status=$?
  bisect_pid=
  cat "$work/bisect.log" >>"$work/all.log"
  if [ "$status" = 0 ]; then
    # It finished first: the whole promise, at once.
    finished=$((finished + 1))
    [ "$(culprit_of "$work/out.json")" = "$expected" ] ||
      fail "round $round: $(culprit_of "$work/out.json")"
    [ "$(g symbolic-ref HEAD)" = refs/heads/work ] || fail "round $round: HEAD not restored"
  elif [ "$status" != 137 ]; then
    fail "round $round: kci bisect exited $status (a restart could not cope?)"
  fi
  # A restart that got as far as running a step put the tree back first.
  if [ "$had_state" = 1 ] && grep -q "kci bisect: run " "$work/bisect.log" &&
    ! grep -q "after an interrupted kci bisect" "$work/bisect.log"; then
    fail "round $round: ran steps in a tree left by a killed run without putting it back"
  fi
  [ "$(g symbolic-ref -q HEAD)" = refs/heads/work ] || dirty=$((dirty + 1))
  [ -e "$tree/.git/BISECT_START" ] && bisecting=$((bisecting + 1))
  grep -q "processes killed" "$work/bisect.log" && step_kills=$((step_kills + 1))
  return 0
}
for round in $(seq 1 "$fault_rounds"); do one_round "$round"; done
# Whether a kill leaves a step running for the restart to kill depends on
# timing (a step is 30-300 ms of a run of a few seconds): should none of
# the rounds have done it, up to 50 more rounds try, so that the path is
# tested on a fast or a slow machine alike, rather than failing the test.
extra=0
while [ "$step_kills" = 0 ] && [ "$extra" -lt 50 ]; do
  extra=$((extra + 1))
  one_round "$((fault_rounds + extra))"
done

# Finish: one run, not killed.
(bisect) >"$work/final.json" 2>"$work/bisect.log" || fail "final run exited $?"
cat "$work/bisect.log" >>"$work/all.log"
failures=0
check() {  # WHAT TEST...
  local what=$1
  shift
  "$@" || { echo "FAIL: $what"; failures=$((failures + 1)); }
}
got=$(culprit_of "$work/final.json")
check "final run: $got, expected $expected" [ "$got" = "$expected" ]
check "HEAD is $(g symbolic-ref -q HEAD || g rev-parse HEAD), not the user's branch" \
  [ "$(g symbolic-ref -q HEAD)" = refs/heads/work ]
check "branch work moved" [ "$(g rev-parse work)" = "$tip" ]
check "tree not clean: $(g status --porcelain | head -3)" [ -z "$(g status --porcelain -uno)" ]
check "the user's untracked file is gone" [ "$(cat "$tree/notes.txt")" = "the user's own notes" ]
check "git bisect state left" [ ! -e "$tree/.git/BISECT_START" ]
check "kci's state file left" [ ! -e "$tree/.git/kci-bisect.state" ]
check "a revert left in progress" [ ! -e "$tree/.git/REVERT_HEAD" ]
check "two steps ran at once: $(head -3 "$work/violations" 2>/dev/null)" [ ! -s "$work/violations" ]
alive=0
for p in /proc/[0-9]*; do
  case $(readlink "$p/cwd" 2>/dev/null) in
    "$tree" | "$tree"/*) grep -q ') Z' "$p/stat" 2>/dev/null || alive=$((alive + 1)) ;;
  esac
done
check "$alive process(es) of killed runs still alive in the tree" [ "$alive" = 0 ]
recovered=$(grep -c "after an interrupted kci bisect" "$work/all.log")
killed=$(grep "after an interrupted kci bisect" "$work/all.log" | grep -c "processes killed")
# Guards against kills that test nothing (a loaded machine, a run too fast).
check "only $dirty kill(s) left the tree off the user's branch" [ "$dirty" -ge 10 ]
check "only $bisecting kill(s) left git bisect started" [ "$bisecting" -ge 5 ]
check "only $recovered restart(s) recovered a tree" [ "$recovered" -ge 10 ]
check "no restart killed a step of a dead run" [ "$killed" -ge 1 ]
fault_done "reference run ${ref_ms} ms; $extra extra round(s); $dirty kills left the tree off the branch" \
  "($bisecting mid git bisect), $finished run(s) finished first, $recovered recoveries" \
  "($killed killed a dead run's processes)"
[ "$failures" = 0 ] && echo "PASS"
exit $((failures > 0))
