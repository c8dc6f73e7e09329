#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs everything, builds kci and runs the whole test suite: unit tests,
# the KCIDB oracle tests, PostgreSQL, and the real kernel build/boot tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh all
bash scripts/build.sh
ctest --test-dir "${KCI_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
