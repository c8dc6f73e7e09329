#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# End-to-end LAVA runtime: a job from `kci lava job` run for real by Debian's
# lava-run (package lava-dispatcher, no LAVA server) on the qemu device
# dictionary in lava/, its log turned into KCIDB tests by `kci lava results`,
# which must equal the native runtime's (`kci test`) for the same kernel.
# Usage: run-lava.sh KCI ARTIFACTS KERNEL PLATFORM DEVICE_YAML
# Skips (77) when the kernel was not built or lava-run is not usable; fails
# instead under CI=true (tests/lib/real-part.sh).
set -euo pipefail
. "$(dirname "$0")/../lib/real-part.sh"
kci=$1 artifacts=$2 kernel=$3 platform=$4 device=$5
plan=baseline

if ! command -v lava-run >/dev/null; then
  missing_real_part "run-lava: lava-run not installed (apt-get install lava-dispatcher)"
fi
# lava-run keeps its downloads under this fixed directory (lava_common's
# DISPATCHER_DOWNLOAD_DIR), which the package creates owned by root.
if [ "$(id -u)" != 0 ] && [ ! -w /var/lib/lava/dispatcher/tmp ]; then
  missing_real_part "run-lava: /var/lib/lava/dispatcher/tmp is not writable"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

read -r dir image build_id < <(python3 - "$artifacts/index.json" "$kernel" <<'PY'
import json, sys
index = json.load(open(sys.argv[1]))["kernels"]
k = index.get(sys.argv[2])
if not k or k.get("status") != "PASS":
    print("SKIP SKIP SKIP"); sys.exit()
report = json.load(open(k["report"]))
print(k["artifacts"], k["image"], report["builds"][0]["id"])
PY
)
if [ "$dir" = SKIP ]; then
  missing_real_part "run-lava: kernel $kernel was not built"
fi

# The native run first; with a private rootfs cache it leaves exactly one
# initramfs there, the one the LAVA job boots too.
start=$(date +%s.%N)
status=0
"$kci" test --kernel "$dir" --platform "$platform" --plan "$plan" --timeout 120 \
  --build-id "$build_id" --rootfs-cache "$work/rootfs" >"$work/native.json" 2>"$work/native.err" ||
  status=$?
end=$(date +%s.%N)
echo "run-lava: native kci test: exit $status after $(echo "$end - $start" | bc) s" >&2
[ "$status" = 0 ] || { cat "$work/native.err" >&2; exit 1; }
ramdisk=$(ls "$work"/rootfs/initramfs-*-"$plan"-*.cpio.gz)

# Copies under $work: plain paths for the file:// URLs, and the artifacts
# stay as they are while lava-run reads them.
cp "$image" "$work/bzImage"
cp "$ramdisk" "$work/ramdisk.cpio.gz"
"$kci" lava job --platform "$platform" --plan "$plan" --build-id "$build_id" \
  --kernel-url "file://$work/bzImage" --ramdisk-url "file://$work/ramdisk.cpio.gz" \
  --timeout 5 >"$work/job.yaml"

# The job id names lava-run's directory under /var/lib/lava/dispatcher/tmp:
# the PID keeps concurrent runs apart.
start=$(date +%s.%N)
status=0
timeout 300 lava-run --device "$device" --job-id "$$" --output-dir "$work/out" \
  "$work/job.yaml" >"$work/lava.log" 2>&1 || status=$?
end=$(date +%s.%N)
seconds=$(echo "$end - $start" | bc)
echo "run-lava: lava-run: exit $status after $seconds s" >&2
if [ "$status" != 0 ]; then
  tail -n 40 "$work/lava.log" >&2
  exit 1
fi
# lava-run prints its log on stderr, one JSON object a line (a LAVA server
# keeps the same entries as output.yaml); `kci lava results` reads either.
"$kci" lava results "$work/lava.log" --definition "$work/job.yaml" \
  >"$work/lava.json" 2>"$work/results.err" || { cat "$work/results.err" >&2; exit 1; }
"$kci" validate "$work/lava.json" >/dev/null

python3 - "$work/native.json" "$work/lava.json" "$build_id" <<'PY'
import json, sys
native, lava, build_id = sys.argv[1:]
def tests(path):
    return {t["path"]: t for t in json.load(open(path))["tests"]}
n, l = tests(native), tests(lava)
def fail(message):
    print("run-lava: FAILED:", message)
    for name, got in (("native", n), ("lava-run", l)):
        for path, t in sorted(got.items()):
            print("  ", name, path, t["status"], t.get("comment", ""))
    sys.exit(1)
baseline = {"baseline.login", "baseline.dmesg.emerg", "baseline.dmesg.alert",
            "baseline.dmesg.crit"}
if set(n) != baseline:
    fail("the native run did not give the four baseline tests")
if {p: t["status"] for p, t in l.items()} != {p: t["status"] for p, t in n.items()}:
    fail("lava-run's tests differ from the native run's")
if any(t["status"] != "PASS" for t in l.values()):
    fail("not all PASS")
if any(t.get("build_id") != build_id for t in l.values()):
    fail("lava-run's tests do not carry the build id")
print(f"run-lava: OK ({len(l)} tests equal to the native run's)")
PY
