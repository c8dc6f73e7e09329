#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs one bad-input case through one kci report command and checks the
# expectation: exit status, no crash, and a clear message on stderr.
#
#   run_case.sh KCI CASE.expect COMMAND
#
# CASE.expect holds "key: value" lines (# starts a comment):
#   status: N        expected exit status (default 1)
#   stderr: ERE      extended regex stderr must match (grep -E, whole text)
#   stdout: ERE      optional regex stdout must match
#   args: ...        extra arguments (e.g. --seq-in --indent 0)
#   stdin: yes       feed the input on stdin instead of naming the file
#   generate: CMD    shell command printing the input (instead of CASE.in)
#   commands: ...    which commands the case applies to (read by CMake)
# The input is CASE.in beside CASE.expect unless generate: is given.
set -u
kci=$1
expect=$2
command=$3
dir=$(dirname "$expect")
name=$(basename "$expect" .expect)

status=1
stderr_re=
stdout_re=
args=
stdin=no
generate=
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    '#'* | '') ;;
    status:*) status=${line#status:} ;;
    stderr:*) stderr_re=${line#stderr: } ;;
    stdout:*) stdout_re=${line#stdout: } ;;
    args:*) args=${line#args:} ;;
    stdin:*) stdin=${line#stdin: } ;;
    generate:*) generate=${line#generate: } ;;
    commands:*) ;;
    *) echo "$expect: unknown line: $line" >&2; exit 2 ;;
  esac
done < "$expect"
status=$((status))

# count prints numbers, not reports: it has no output options to pass.
if [ "$command" = count ]; then
  args=$(echo "$args" | sed -E 's/--indent +[0-9]+//; s/--seq-out//')
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
input=$dir/$name.in
if [ -n "$generate" ]; then
  input=$work/$name.in
  bash -c "$generate" > "$input" || { echo "generate failed: $generate" >&2; exit 2; }
fi

# shellcheck disable=SC2086  # args is a list of words on purpose
if [ "$stdin" = yes ]; then
  "$kci" "$command" $args < "$input" > "$work/out" 2> "$work/err"
else
  "$kci" "$command" $args "$input" > "$work/out" 2> "$work/err"
fi
rc=$?

fail() {
  echo "FAIL: kci $command $args ${input##*/}: $*"
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
if [ -n "$stdout_re" ]; then
  grep -aqE -- "$stdout_re" "$work/out" || fail "stdout does not match /$stdout_re/"
fi
echo "ok: kci $command $args ${input##*/} -> $rc: $(head -n 1 "$work/err" | cut -c1-200)"
