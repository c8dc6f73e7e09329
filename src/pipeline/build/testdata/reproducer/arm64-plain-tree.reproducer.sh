#!/bin/sh
# Rebuilds defconfig for arm64 with clang-14 the way kci build did.
# Usage: reproducer.sh [SOURCE_DIR [BUILD_DIR]]
set -eu
SRC=${1:-'/home/dev/my linux'\''s tree'}
B=${2:-$PWD/build}
mkdir -p "$B"
B=$(cd "$B" && pwd)
cd "$SRC"
export LC_ALL=C
make O="$B" ARCH=arm64 LLVM=-14 CROSS_COMPILE=aarch64-linux-gnu- defconfig
make O="$B" -j8 ARCH=arm64 LLVM=-14 CROSS_COMPILE=aarch64-linux-gnu- Image
make O="$B" -j8 ARCH=arm64 LLVM=-14 CROSS_COMPILE=aarch64-linux-gnu- modules
make O="$B" -j8 ARCH=arm64 LLVM=-14 CROSS_COMPILE=aarch64-linux-gnu- dtbs
