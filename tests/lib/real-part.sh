# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by the shell tests: the one way a test says that a real part it
# needs is missing (a kernel build, QEMU, lava-run, PostgreSQL, the
# ../shared data). Outside CI it skips (exit 77, the tests' SKIP_RETURN_CODE);
# under CI=true it fails (exit 1), so that a green CI means the real parts
# ran. The C++ tests use src/util/test_support.h, which follows the same rule.

ci_requires_real_parts() {
  case "${CI:-}" in
    "" | 0 | false) return 1 ;;
    *) return 0 ;;
  esac
}

# missing_real_part MESSAGE...: skips or fails the test; never returns.
missing_real_part() {
  if ci_requires_real_parts; then
    echo "FAIL: missing real part under CI=true (a CI run must use it): $*" >&2
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}
