#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One real boot of a test kernel with `kci test`, checked against what it
# must give. Usage:
#   run-boot.sh KCI ARTIFACTS KERNEL PLATFORM PLAN EXPECT [TIMEOUT] [INIT]
# ARTIFACTS is the kernel_builds fixture's directory (index.json names the
# kernels); EXPECT is one of
#   pass   every test PASS or SKIP
#   panic  <plan>.login FAIL with the panic in log_excerpt, found long
#          before the timeout
#   hang   <plan>.login ERROR or MISS (never FAIL), ended by the timeout
#   kunit  kunit.* results equal to the KTAP "ok"/"not ok" lines on the console
set -euo pipefail
. "$(dirname "$0")/../lib/real-part.sh"
kci=$1 artifacts=$2 kernel=$3 platform=$4 plan=$5 expect=$6 timeout=${7:-120} init=${8:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

read -r dir build_id < <(python3 - "$artifacts/index.json" "$kernel" <<'PY'
import json, sys
index = json.load(open(sys.argv[1]))["kernels"]
k = index.get(sys.argv[2])
if not k or k.get("status") != "PASS":
    print("SKIP SKIP"); sys.exit()
report = json.load(open(k["report"]))
print(k["artifacts"], report["builds"][0]["id"])
PY
)
if [ "$dir" = SKIP ]; then
  missing_real_part "run-boot: kernel $kernel was not built"
fi
args=(test --kernel "$dir" --platform "$platform" --plan "$plan" --timeout "$timeout"
      --build-id "$build_id" --rootfs-cache "$artifacts/rootfs-cache")
[ -n "$init" ] && args+=(--init "$init")
start=$(date +%s.%N)
status=0
"$kci" "${args[@]}" >"$work/report.json" 2>"$work/stderr" || status=$?
end=$(date +%s.%N)
cat "$work/stderr" >&2
seconds=$(echo "$end - $start" | bc)
echo "run-boot: $kernel on $platform ($plan): exit $status after $seconds s" >&2
"$kci" validate "$work/report.json" >/dev/null
python3 - "$work/report.json" "$plan" "$expect" "$seconds" "$timeout" "$dir" "$platform" <<'PY'
import json, re, sys
report, plan, expect, seconds, timeout, dir, platform = sys.argv[1:]
seconds, timeout = float(seconds), float(timeout)
tests = {t["path"]: t for t in json.load(open(report))["tests"]}
def fail(message):
    print("run-boot: FAILED:", message)
    for path, t in tests.items():
        print("  ", path, t["status"], t.get("comment", ""))
    sys.exit(1)
for t in tests.values():
    for key in ("build_id", "start_time", "duration", "environment", "log_url", "misc"):
        if key not in t:
            fail(f"{t['path']} has no {key}")
    if "qemu_command" not in t["misc"]:
        fail("no QEMU command in misc")
if expect == "pass":
    if plan == "baseline" and set(tests) != {"baseline.login", "baseline.dmesg.emerg",
                                             "baseline.dmesg.alert", "baseline.dmesg.crit"}:
        fail("not the four baseline tests")
    bad = [p for p, t in tests.items() if t["status"] not in ("PASS", "SKIP")]
    if bad:
        fail(f"not PASS: {bad}")
elif expect == "panic":
    login = tests[plan + ".login"]
    if login["status"] != "FAIL":
        fail("login is not FAIL")
    if "Kernel panic - not syncing" not in login.get("log_excerpt", ""):
        fail("no panic in log_excerpt")
    if seconds > timeout / 2:
        fail(f"the panic took {seconds} s to find (timeout {timeout} s)")
elif expect == "hang":
    login = tests[plan + ".login"]
    if login["status"] not in ("ERROR", "MISS"):
        fail(f"login is {login['status']}, must be ERROR or MISS")
    if any(t["status"] == "FAIL" for t in tests.values()):
        fail("a hang gave FAIL")
    if seconds < timeout or seconds > timeout + 30:
        fail(f"ended after {seconds} s, timeout {timeout} s")
elif expect == "kunit":
    log = open(f"{dir}/test-{plan}-{platform}.log", errors="replace").read()
    # The cases as the console printed them ("    ok 1 name # SKIP ...").
    console = {}
    for m in re.finditer(r"^\[[ 0-9.]+\] {5}(not ok|ok) \d+ (\S+)(.*)$", log, re.M):
        status = "SKIP" if "# SKIP" in m.group(3) else ("PASS" if m.group(1) == "ok" else "FAIL")
        console[m.group(2)] = status
    if not console:
        fail("no KTAP cases on the console")
    got = {p.split(".")[-1]: t["status"] for p, t in tests.items() if p.count(".") == 2}
    if got != console:
        fail(f"cases {got} differ from the console {console}")
print(f"run-boot: OK ({len(tests)} tests, {seconds:.1f} s)")
PY
