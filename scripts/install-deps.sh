#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs the Debian 12 packages kci needs. Idempotent: only missing packages
# are installed. Groups: build (compile kci), test (the test suite's real
# parts: PostgreSQL, kernels, QEMU, LAVA), all (default).
#   scripts/install-deps.sh [build|test|all]
set -euo pipefail

group=${1:-all}

build_pkgs=(
  build-essential cmake ninja-build pkg-config ccache git ca-certificates
  rapidjson-dev libyaml-cpp-dev libcli11-dev libsqlite3-dev sqlite3
  libpq-dev libcpp-httplib-dev libcurl4-openssl-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libvalijson-dev
  # the dashboard's templates (header-only)
  libkainjow-mustache-dev
  libvectorscan-dev libre2-dev
)
test_pkgs=(
  postgresql-15 postgresql-client-15
  linux-source-6.1 bc bison flex libelf-dev cpio dwarves rsync kmod xz-utils
  gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
  clang lld llvm
  qemu-system-x86 qemu-system-arm qemu-system-misc opensbi busybox-static
  curl python3
  # lava-run for the LAVA end-to-end test (tests/runtime/run-lava.sh);
  # about 3 minutes to install.
  lava-dispatcher
  # the dashboard's browser test (tests/web): Playwright from npm drives chromium
  chromium
)
# Node.js and npm for the browser test: Debian's, unless the machine already
# has a node and npm (NodeSource's nodejs package ships npm and conflicts with
# Debian's npm package, so asking apt for both fails with "held broken
# packages").
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  test_pkgs+=(nodejs npm)
fi

case "$group" in
  build) pkgs=("${build_pkgs[@]}") ;;
  test | all) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#pkgs[@]} packages present"
  exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
