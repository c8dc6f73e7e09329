#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
usage() {
  cat <<'USAGE'
usage: scripts/tsan.sh [TEST_BINARY...]

Configures and builds the ThreadSanitizer build directory ($KCI_TSAN_DIR,
default build-tsan: clang, -DKCI_TSAN=ON) with the test binaries named
(default $KCI_TSAN_TESTS or the concurrent ones: store_test ingest_test
notify_test orchestrator_test server_test server_service_test), then runs
each binary (any data race, lock-order inversion or other TSan report fails
it; the logs stay in BUILD/tsan-logs/). Not part of CI (see docs/fuzzing.md, "Sanitizers").
The PostgreSQL tests start their own throw-away cluster.
Exit status: non-zero when the build or a test fails.
USAGE
}
set -euo pipefail
case "${1:-}" in
  -h | --help) usage; exit 0 ;;
esac
cd "$(dirname "$0")/.."
dir=${KCI_TSAN_DIR:-build-tsan}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
export CCACHE_COMPILERCHECK=${CCACHE_COMPILERCHECK:-content}
jobs=${KCI_JOBS:-$(nproc)}
if [ $# -gt 0 ]; then
  tests=("$@")
else
  # shellcheck disable=SC2206
  tests=(${KCI_TSAN_TESTS:-store_test ingest_test notify_test orchestrator_test server_test
    server_service_test})
fi

start=$SECONDS
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=clang++ \
  -DKCI_TSAN=ON -DKCI_WERROR=OFF >/dev/null
cmake --build "$dir" -j "$jobs" --target "${tests[@]}"
echo "tsan: build took $((SECONDS - start)) s"

# Each binary runs on its own (its log in $dir/tsan-logs/): a data race,
# lock-order inversion or other TSan report makes it exit 66 at the end.
# second_deadlock_stack: both stacks of a lock-order inversion.
# log_path: the kci processes the service tests start write their stderr
# into the tests' temporary directories; every process's reports go to
# $dir/tsan-logs/report.PID instead, and any such file fails the run.
mkdir -p "$dir/tsan-logs"
rm -f "$dir"/tsan-logs/report.*
logs=$(cd "$dir/tsan-logs" && pwd)
export TSAN_OPTIONS=${TSAN_OPTIONS:-second_deadlock_stack=1 log_path=$logs/report}
failed=()
for t in "${tests[@]}"; do
  bin=$(find "$dir" -name "$t" -type f -perm -u+x | head -n 1)
  # Like ctest: in the binary's directory.
  start=$SECONDS
  rc=0
  (cd "$(dirname "$bin")" && "./$t") >"$dir/tsan-logs/$t.log" 2>&1 || rc=$?
  echo "tsan: $t: exit $rc, $(grep -m1 -o '\[  PASSED  \] [0-9]* tests\?' "$dir/tsan-logs/$t.log" || echo 'no PASSED line'), $((SECONDS - start)) s"
  [ "$rc" = 0 ] || failed+=("$t")
done
reports=$(find "$dir/tsan-logs" -name 'report.*' | wc -l)
if [ "$reports" -gt 0 ]; then
  echo "tsan: $reports process(es) wrote TSan reports: $dir/tsan-logs/report.*" >&2
  failed+=(reports)
fi
if [ ${#failed[@]} -gt 0 ]; then
  echo "tsan: failed: ${failed[*]} (logs in $dir/tsan-logs/)" >&2
  exit 1
fi
