#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Configures and builds kci into build/ (or $KCI_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${KCI_BUILD_DIR:-build}
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=${KCI_BUILD_TYPE:-RelWithDebInfo} >/dev/null
cmake --build "$dir" -j "$(nproc)"
