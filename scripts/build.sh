#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Configures and builds kci into build/ (or $KCI_BUILD_DIR).
#
# CMake compiles through ccache when it is installed. The settings below let
# checkouts in different directories (worktrees, CI runners, a fresh clone)
# share cache entries: paths under the checkout are rewritten relative
# (CCACHE_BASEDIR), and the working directory is left out of the hash
# (CCACHE_NOHASHDIR), which -g would otherwise put in every entry. Any of
# them can be overridden from the environment; `ccache -s` shows the hits.
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
export CCACHE_COMPILERCHECK=${CCACHE_COMPILERCHECK:-content}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
dir=${KCI_BUILD_DIR:-build}
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=${KCI_BUILD_TYPE:-RelWithDebInfo} >/dev/null
cmake --build "$dir" -j "$(nproc)"
