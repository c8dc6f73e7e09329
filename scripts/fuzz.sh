#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Fuzzes kci's parsers with libFuzzer (fuzz/*_fuzz.cpp, ASan + UBSan).
usage() {
  cat <<'USAGE'
usage: scripts/fuzz.sh [--list] [--runs FILE] [TARGET|all] [SECONDS] [-- LIBFUZZER_ARGS...]

Builds the sanitizer build directory if needed (clang, -DKCI_SANITIZE=ON;
$KCI_SANITIZE_DIR, default build-san) and fuzzes TARGET (default: all, one
after the other) for SECONDS each (default 60), starting from the seeds that
fuzz/corpus.txt names plus the corpus kept in BUILD/fuzz/corpus/TARGET.
Prints the executions and executions per second of each target.

A crash, a leak, a sanitizer report or a timeout (-timeout=10 s per input)
stops that target: the input is kept as BUILD/fuzz/crashes/TARGET/*, the
others still run, and the exit status is 1. Replay a kept input with
  BUILD/fuzz/TARGET_fuzz FILE
and, once fixed, add it to fuzz/regressions/TARGET/ (CTest replays those).

  --list       print the targets and exit
  --runs FILE  a fixed number of executions per target ("TARGET RUNS"
               lines, # comments; fuzz/ci-runs.txt): the same amount of
               fuzzing on any machine, however fast; SECONDS stays a cap
               (a slower machine that reaches it has explored less)
  -h, --help
Exit status: 0 no finding, 1 a finding, 2 usage, 3 build failure.
USAGE
}
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${KCI_SANITIZE_DIR:-build-san}

target=all
seconds=60
list=0
runs_file=
positional=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --list) list=1 ;;
    --runs)
      [ $# -ge 2 ] || { echo "fuzz.sh: --runs needs a file" >&2; exit 2; }
      runs_file=$2; shift
      [ -r "$runs_file" ] || { echo "fuzz.sh: --runs: cannot read $runs_file" >&2; exit 2; } ;;
    --) shift; extra=("$@"); break ;;
    -*) echo "fuzz.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) positional+=("$1") ;;
  esac
  shift
done
[ ${#positional[@]} -ge 1 ] && target=${positional[0]}
[ ${#positional[@]} -ge 2 ] && seconds=${positional[1]}
if [ ${#positional[@]} -gt 2 ]; then
  echo "fuzz.sh: too many arguments" >&2; exit 2
fi
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "fuzz.sh: SECONDS must be a positive integer, got '$seconds'" >&2; exit 2
fi

if [ ! -f "$dir/build.ninja" ]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
    -DKCI_SANITIZE=ON -DKCI_WERROR=OFF >/dev/null || exit 3
fi
# Configuring writes the target list and the seed lists.
cmake "$dir" >/dev/null || exit 3
mapfile -t all_targets < <(grep -v '^$' "$dir/fuzz/targets.txt")
if [ "$list" = 1 ]; then
  printf '%s\n' "${all_targets[@]}"
  exit 0
fi
if [ "$target" = all ]; then
  targets=("${all_targets[@]}")
else
  found=0
  for t in "${all_targets[@]}"; do [ "$t" = "$target" ] && found=1; done
  if [ "$found" = 0 ]; then
    echo "fuzz.sh: unknown target '$target' (known: ${all_targets[*]})" >&2
    exit 2
  fi
  targets=("$target")
fi

build_targets=()
for t in "${targets[@]}"; do build_targets+=("${t}_fuzz"); done
cmake --build "$dir" -j "${KCI_JOBS:-$(nproc)}" --target "${build_targets[@]}" >/dev/null || {
  echo "fuzz.sh: build failed; run: cmake --build $dir --target ${build_targets[*]}" >&2
  exit 3
}

# Stack traces for UBSan reports; a leak is a finding too.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
status=0
printf '%-14s %12s %10s %8s  %s\n' target execs exec/s corpus result
for t in "${targets[@]}"; do
  corpus=$dir/fuzz/corpus/$t
  crashes=$dir/fuzz/crashes/$t
  log=$dir/fuzz/$t.log
  mkdir -p "$corpus" "$crashes"
  seeds=()
  if grep -q . "$dir/fuzz/$t.seeds"; then
    seeds=(-seed_inputs=@"$dir/fuzz/$t.seeds")
  fi
  runs=()
  if [ -n "$runs_file" ]; then
    n=$(awk -v t="$t" '$1 == t { print $2 }' "$runs_file")
    [ -n "$n" ] && runs=(-runs="$n")
  fi
  rc=0
  "$dir/fuzz/${t}_fuzz" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$crashes/" "${runs[@]}" "${seeds[@]}" "${extra[@]}" "$corpus" >"$log" 2>&1 ||
    rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  size=$(find "$corpus" -type f | wc -l)
  if [ "$rc" = 0 ]; then
    result=ok
  else
    status=1
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    result="FINDING (exit $rc): ${artifact:-see $log}"
  fi
  printf '%-14s %12s %10s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$size" "$result"
  if [ "$rc" != 0 ]; then
    grep -m 1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant failed|ALARM' \
      "$log" >&2 || tail -n 20 "$log" >&2
  fi
done
exit "$status"
