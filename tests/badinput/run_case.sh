#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs one bad-input case through one kci command and checks the
# expectation: exit status, no crash, a clear message on stderr and, for
# commands that write a store, no change to the store.
#
#   run_case.sh KCI CASE.expect COMMAND
#
# COMMAND is a report command (validate, upgrade, count, merge), db-load
# (kci db load into a seeded SQLite store, which must not change), submit
# (kci submit to a service that does not exist: the input must be refused
# before anything is sent) or run (the case's own run: line).
#
# CASE.expect holds "key: value" lines (# starts a comment):
#   status: N        expected exit status (default 1)
#   stderr: ERE      extended regex stderr must match (grep -E, whole text)
#   stdout: ERE      optional regex stdout must match
#   args: ...        extra arguments (e.g. --seq-in --indent 0)
#   stdin: yes       feed the input on stdin instead of naming the file
#   generate: CMD    shell command printing the input (instead of CASE.in)
#   commands: ...    which commands the case applies to (read by CMake)
#   run: ARGS        the whole kci command line (after "kci") of a case
#                    whose command is "run"; {in} is the input file,
#                    {store} a seeded SQLite store (checked unchanged),
#                    {work} a scratch directory, {cases} the cases folder
#   store: yes       run: checks {store} even if the line does not name it
#   setup: CMD       shell command run first in {work} (KCI, STORE, WORK and
#                    CASES are set), e.g. to make a token or a config
# The input is CASE.in beside CASE.expect unless generate: is given.
set -u
# The system's python3 (generate: lines) starts faster than a version
# manager's shim.
export PATH=/usr/bin:$PATH
kci=$1
expect=$2
command=$3
dir=$(cd "$(dirname "$expect")" && pwd)
name=$(basename "$expect" .expect)

status=1
stderr_re=
stdout_re=
args=
stdin=no
generate=
run=
check_store=no
setup=
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    '#'* | '') ;;
    status:*) status=${line#status:} ;;
    stderr:*) stderr_re=${line#stderr: } ;;
    stdout:*) stdout_re=${line#stdout: } ;;
    args:*) args=${line#args:} ;;
    stdin:*) stdin=${line#stdin: } ;;
    generate:*) generate=${line#generate: } ;;
    run:*) run=${line#run: } ;;
    store:*) check_store=${line#store: } ;;
    setup:*) setup=${line#setup: } ;;
    commands:*) ;;
    *) echo "$expect: unknown line: $line" >&2; exit 2 ;;
  esac
done < "$expect"
status=$((status))

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
input=$dir/$name.in
if [ -n "$generate" ]; then
  input=$work/$name.in
  (cd "$dir" && bash -c "$generate") > "$input" || { echo "generate failed: $generate" >&2; exit 2; }
fi
store=$work/store.db

# A store holding one valid report, so that "no change" means something.
# Made once per kci binary (beside it, under a lock) and copied: two kci
# runs less per case.
seed_store() {
  local template
  template=$(dirname "$kci")/badinput-seed.db
  (
    flock 9
    if [ ! -s "$template" ] || [ "$template" -ot "$kci" ] || [ "$template" -ot "$dir/../seed.json" ]; then
      rm -f "$template.tmp"
      "$kci" db init -d "sqlite:$template.tmp" > /dev/null 2>&1 || { echo "db init failed" >&2; exit 2; }
      "$kci" db load -d "sqlite:$template.tmp" "$dir/../seed.json" > /dev/null 2> "$work/seed.err" ||
        { cat "$work/seed.err" >&2; echo "seeding the store failed" >&2; exit 2; }
      mv "$template.tmp" "$template"
    fi
  ) 9> "$template.lock" || exit 2
  cp "$template" "$store"
}
# The store's content: every row of every table (sqlite3's .dump), sorted.
# Creating a component's tables on first use (a schema migration: empty
# tables and its row in kci_meta, store/schema.h) is not a change of data,
# so the after dump leaves out kci_meta rows of components the before dump
# did not have; any row in a new table shows as a difference.
dump_store() {
  local rows
  rows=$(sqlite3 "$store" .dump | grep -E '^INSERT INTO' | LC_ALL=C sort)
  if [ ! -e "$work/components" ]; then
    printf '%s\n' "$rows" | sed -nE "s/^INSERT INTO \"?kci_meta\"? VALUES\('([^']*)'.*/\1/p" \
      > "$work/components"
    printf '%s\n' "$rows"
    return
  fi
  printf '%s\n' "$rows" | while IFS= read -r row; do
    component=$(printf '%s' "$row" | sed -nE "s/^INSERT INTO \"?kci_meta\"? VALUES\('([^']*)'.*/\1/p")
    if [ -n "$component" ] && ! grep -qxF -- "$component" "$work/components"; then
      continue
    fi
    printf '%s\n' "$row"
  done
}

# count prints numbers, not reports: it has no output options to pass.
# db-load and submit take --seq-in only.
case "$command" in
  count) args=$(echo "$args" | sed -E 's/--indent +[0-9]+//; s/--seq-out//') ;;
  db-load | submit) args=$(echo "$args" | grep -oE -- '--seq-in' || true) ;;
esac

declare -a cmdline
case "$command" in
  db-load)
    check_store=yes
    cmdline=(db load -d "sqlite:$store")
    ;;
  submit)
    # Nothing listens on port 1: a case that got past validation would
    # fail to connect (exit 3), which the checks below refuse.
    cmdline=(submit --retries 1 --url "http://badinput@127.0.0.1:1")
    ;;
  run)
    [ -n "$run" ] || { echo "$expect: command run needs a run: line" >&2; exit 2; }
    case "$run" in *'{store}'*) check_store=yes ;; esac
    run=${run//\{in\}/$input}
    run=${run//\{store\}/$store}
    run=${run//\{work\}/$work}
    run=${run//\{cases\}/$dir}
    # shellcheck disable=SC2206  # word splitting of the run: line on purpose
    cmdline=($run)
    ;;
  *) cmdline=("$command") ;;
esac

[ "$check_store" = yes ] && seed_store
if [ -n "$setup" ]; then
  (cd "$work" && KCI=$kci STORE=$store WORK=$work CASES=$dir bash -c "$setup") > "$work/setup.out" 2>&1 ||
    { cat "$work/setup.out" >&2; echo "setup failed: $setup" >&2; exit 2; }
fi
[ "$check_store" = yes ] && dump_store > "$work/before"

# shellcheck disable=SC2086  # args is a list of words on purpose
if [ "$command" = run ]; then
  if [ "$stdin" = yes ]; then
    "$kci" "${cmdline[@]}" < "$input" > "$work/out" 2> "$work/err"
  else
    "$kci" "${cmdline[@]}" < /dev/null > "$work/out" 2> "$work/err"
  fi
elif [ "$stdin" = yes ]; then
  "$kci" "${cmdline[@]}" $args < "$input" > "$work/out" 2> "$work/err"
else
  "$kci" "${cmdline[@]}" $args "$input" > "$work/out" 2> "$work/err"
fi
rc=$?
shown="kci ${cmdline[*]} $args ${input##*/}"
[ "$command" = run ] && shown="kci ${cmdline[*]}"

fail() {
  echo "FAIL: $shown: $*"
  echo "--- exit status: $rc (expected $status)"
  echo "--- stderr (first 20 lines):"
  head -n 20 "$work/err" | cut -c1-300
  echo "--- stdout (first 5 lines):"
  head -n 5 "$work/out" | cut -c1-300
  exit 1
}

[ "$rc" -lt 128 ] || fail "killed by signal $((rc - 128))"
[ "$rc" -ne 3 ] || fail "exit 3 (internal/environment failure) on bad input"
[ "$rc" -eq "$status" ] || fail "wrong exit status"
if [ "$status" -ne 0 ]; then
  [ -s "$work/err" ] || fail "no message on stderr"
fi
if [ -n "$stderr_re" ]; then
  grep -aqE -- "$stderr_re" "$work/err" || fail "stderr does not match /$stderr_re/"
fi
if [ -n "$stdout_re" ] && [ "$command" != db-load ] && [ "$command" != submit ]; then
  grep -aqE -- "$stdout_re" "$work/out" || fail "stdout does not match /$stdout_re/"
fi
if [ "$check_store" = yes ]; then
  dump_store > "$work/after"
  [ -s "$work/before" ] || fail "the seeded store is empty (cannot check it)"
  if ! cmp -s "$work/before" "$work/after"; then
    diff "$work/before" "$work/after" | head -n 10 | cut -c1-200
    fail "the store changed"
  fi
fi
echo "ok: $shown -> $rc: $(head -n 1 "$work/err" | cut -c1-200)"
