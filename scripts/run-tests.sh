#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs everything, builds kci and runs the whole test suite: unit tests,
# the KCIDB oracle tests, PostgreSQL, and the real kernel build/boot tests.
# Then the sanitizer build (scripts/sanitize.sh): the unit tests again under
# AddressSanitizer + UndefinedBehaviorSanitizer, and every fuzz target
# briefly. KCI_SKIP_SANITIZE=1 leaves that part out.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh all
bash scripts/build.sh
ctest --test-dir "${KCI_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
if [ "${KCI_SKIP_SANITIZE:-0}" != 1 ]; then
  bash scripts/sanitize.sh
fi
