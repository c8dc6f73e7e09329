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
  libpq-dev libcpp-httplib-dev libcurl4-openssl-dev libssl-dev libarchive-dev
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
  # libFuzzer and the sanitizer runtimes for the sanitizer build
  # (scripts/sanitize.sh, fuzz/): only recommended by clang-14
  libclang-rt-14-dev
  # the format check of the whole tree (tests/format)
  clang-format
  qemu-system-x86 qemu-system-arm qemu-system-misc opensbi busybox-static
  curl python3
  # the SMTP server of the mail tests and of the main job
  python3-aiosmtpd
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
# kubectl for the offline check of the Kubernetes Jobs: Debian's
# kubernetes-client, unless the machine has a kubectl of another package
# (both own /usr/bin/kubectl).
if ! command -v kubectl >/dev/null; then
  test_pkgs+=(kubernetes-client)
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
fi

# busybox-static:arm64 for the arm64 initramfs (kci test on qemu-arm64),
# downloaded with an apt state of its own into the kci cache, as the user
# who runs kci: the machine's dpkg architectures stay untouched. kci itself
# never runs apt-get; it looks for the binary here (or $KCI_BUSYBOX_ARM64).
fetch_arm64_busybox() {
  local cache=${KCI_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/kci}
  local target=$cache/busybox-arm64
  [ -s "$target" ] && return 0
  local apt=$cache/apt-arm64
  mkdir -p "$apt/lists/partial" "$apt/archives/partial"
  local opts=(-q -o APT::Architecture=arm64 -o APT::Architectures::=arm64
              -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt"
              -o Dir::State::Status=/dev/null -o Debug::NoLocking=1)
  echo "install-deps: fetching busybox-static:arm64 into $target"
  (cd "$apt" && apt-get "${opts[@]}" update >/dev/null &&
     apt-get "${opts[@]}" download busybox-static:arm64 >/dev/null)
  local deb
  deb=$(ls "$apt"/busybox-static_*_arm64.deb | tail -n 1)
  rm -rf "$apt/unpacked"
  dpkg-deb -x "$deb" "$apt/unpacked"
  install -m 0755 "$apt/unpacked/bin/busybox" "$target.tmp"
  mv "$target.tmp" "$target"
}

if [ ${#missing[@]} -ne 0 ]; then
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$group" != build ]; then
  fetch_arm64_busybox
fi
echo "install-deps: done"
