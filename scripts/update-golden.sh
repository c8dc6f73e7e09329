#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Regenerates the golden files (the expected outputs under src/**/testdata/
# of every generated format: LAVA job YAML, bmeta.json, reproducer.sh, HTML
# logs, ...) from their inputs, by running the golden tests (GoogleTest
# names Golden.*) with KCI_UPDATE_GOLDEN=1. Review the result with
# `git diff`: a change there is a change of an output format.
#   scripts/update-golden.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-${KCI_BUILD_DIR:-build}}
cmake --build "$build" >/dev/null
KCI_UPDATE_GOLDEN=1 ctest --test-dir "$build" -R '^Golden\.' --output-on-failure
git status --short -- 'src/**/testdata/' 'src/*/testdata/'
