#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
usage() {
  cat <<'USAGE'
usage: scripts/sanitize.sh [FUZZ_SECONDS]

Configures and builds the sanitizer build directory ($KCI_SANITIZE_DIR,
default build-san: clang, -DKCI_SANITIZE=ON, i.e. ASan + UBSan with any
UBSan finding fatal, and the libFuzzer targets of fuzz/), runs the unit
test binaries named by $KCI_SANITIZE_TESTS there (default "util_test
report_test store_test ingest_test"; "all" builds and runs every unit test binary), replays every
fuzz seed and regression file (ctest -L fuzz), then fuzzes every target
with scripts/fuzz.sh for the fixed number of executions fuzz/ci-runs.txt
gives it (about 12 s each on CI's machine), from libFuzzer seed
$KCI_FUZZ_SEED (default 1), at most FUZZ_SECONDS each (default
$KCI_FUZZ_SECONDS or 40; 0 leaves fuzzing out).
Called by scripts/run-tests.sh (CI) after the main test suite.
Exit status: non-zero when a build, a test or a fuzz target fails.
USAGE
}
set -euo pipefail
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
esac
cd "$(dirname "$0")/.."
seconds=${1:-${KCI_FUZZ_SECONDS:-40}}
dir=${KCI_SANITIZE_DIR:-build-san}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
export CCACHE_COMPILERCHECK=${CCACHE_COMPILERCHECK:-content}
jobs=${KCI_JOBS:-$(nproc)}

tests=${KCI_SANITIZE_TESTS:-util_test report_test store_test ingest_test}

start=$SECONDS
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DKCI_SANITIZE=ON -DKCI_WERROR=OFF >/dev/null
targets=()
while read -r t; do [ -n "$t" ] && targets+=("${t}_fuzz"); done <"$dir/fuzz/targets.txt"
if [ "$tests" = all ]; then
  cmake --build "$dir" -j "$jobs"
else
  # shellcheck disable=SC2086
  cmake --build "$dir" -j "$jobs" --target "${targets[@]}" $tests
fi
echo "sanitize: build took $((SECONDS - start)) s"

start=$SECONDS
# print_stacktrace: where a UBSan finding happened; detect_leaks is on by
# default under ASan on Linux (a leak fails the test). Unit test binaries
# that were not built are left out (their *_NOT_BUILT placeholders).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
ctest --test-dir "$dir" --output-on-failure -j "$jobs" -L 'unit|fuzz' \
  -LE 'kernel|runtime|browser' -E '_NOT_BUILT'
echo "sanitize: unit tests and fuzz replays took $((SECONDS - start)) s"

if [ "$seconds" = 0 ]; then
  echo "sanitize: fuzzing left out (FUZZ_SECONDS 0)"
  exit 0
fi
start=$SECONDS
# A fixed libFuzzer seed and a fixed number of executions per target: CI
# does the same amount of fuzzing on every machine, however fast or loaded
# (a time limit alone let a fast machine go further). The path is still
# not bit-identical between machines (ASLR changes the order of
# pointer-keyed containers, hence coverage and the corpus), so CI can find
# what a local run did not: such a finding is a bug like any other. The
# campaigns run by hand (scripts/fuzz.sh) use random seeds. KCI_FUZZ_SEED=0
# makes CI random too.
KCI_SANITIZE_DIR=$dir bash scripts/fuzz.sh --runs fuzz/ci-runs.txt all "$seconds" -- \
  -seed="${KCI_FUZZ_SEED:-1}"
echo "sanitize: fuzzing took $((SECONDS - start)) s"
