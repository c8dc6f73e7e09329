#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kci bisect on real kernels (issue 16's CI test). 30 commits on top of
# Debian's Linux 6.1, most of them adding a file no build compiles
# (Documentation/), three of them culprits:
#   c3  a late initcall prints an alert when the guest's clock is in an odd
#       minute: baseline.dmesg.alert fails in about half of the boots
#   c11 kernel_init() prints a critical message: baseline.dmesg.crit fails
#       on every x86_64 boot
#   c23 arch/arm64/kernel/setup.c does not compile: the arm64 build fails,
#       x86_64 is untouched
# and five bisections, each checked against the known answer:
#   boot     x86_64 dmesg.crit, one QEMU killed at the first bisection step
#            (an infrastructure failure: retried, never counted): c11
#   build    arm64 --build: c23
#   flaky    x86_64 dmesg.alert with 8 runs per step: c3, flaky, and the
#            confidence kci reports
#   good-fails, bad-passes   endpoints that do not show the regression:
#            stopped after the endpoint builds, tree restored
# Every culprit must be found with verify and revert PASS in at most
# ceil(log2 N) bisection steps. The per-step times and kci's own share of
# the wall time are printed (the issue's speed figures).
#
# Cheap by design (CI budget): it runs after the kernel_builds fixture and
# builds in its O= directories (x86_64-gcc, arm64-gcc; a copy would not
# do: kbuild records absolute paths, objtool's among them, and rebuilds
# everything) with its ccache, so every step is an incremental build of
# at most init/main.c or setup.c and a relink; every step after the first
# of the first bisection keeps the .config (no Kconfig change in between;
# kci bisect's config stamp carries it to the next bisection in the same
# directory); a commit built earlier in a bisection is not built again by
# its checks. The flaky failure's pseudo-random clock and the
# killed QEMU come from tests/bisect/qemu-env.sh standing in for
# qemu-system-x86_64, so every run replays the same boots.
# CTest's bisect_kernel runs all but flaky (tests/bisect/CMakeLists.txt);
# by hand, after `ctest -R kernel_builds_setup`, under the kernel CPU lock:
#   tests/bisect/run-bisect.sh KCI ARTIFACTS_DIR [SCENARIO...]
# SCENARIO: boot, good-fails, bad-passes, flaky, build (default: all).
# Exit 77 (skip) when a real part is missing, or 1 under CI=true.
set -euo pipefail

kci=$(realpath "$1")
fixture=$(realpath "$2")
shift 2
scenarios=" ${*:-boot good-fails bad-passes flaky build} "
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/../.." && pwd)
cache=${KCI_TEST_CACHE:-$HOME/.cache/kci-test}
export CCACHE_DIR=$cache/ccache
# As the fixture: paths under it are rewritten, so its cache entries hit.
export CCACHE_BASEDIR=$fixture CCACHE_NOHASHDIR=1
base=v6.1-debian-import
frag=$here/../kernel/fragments
started=$(date +%s.%N)

missing() {
  echo "run-bisect: $1" >&2
  [ "${CI:-}" = true ] && exit 1
  exit 77
}
for tool in qemu-system-x86_64 aarch64-linux-gnu-gcc python3 git; do
  command -v "$tool" >/dev/null || missing "$tool is missing (scripts/install-deps.sh test)"
done
for dir in x86_64-gcc arm64-gcc; do
  [ -f "$fixture/build/$dir/.config" ] ||
    missing "$fixture/build/$dir has no .config: the kernel_builds fixture did not build it"
done
linux=$("$here/../kernel/prepare-linux.sh")
work=$(mktemp -d /tmp/kci-bisect-XXXXXX)
trap 'rm -rf "$work"' EXIT

# The stand-in QEMU (see qemu-env.sh).
mkdir -p "$work/bin" "$work/qemu"
export KCI_TEST_QEMU_REAL KCI_TEST_QEMU_STATE=$work/qemu
KCI_TEST_QEMU_REAL=$(command -v qemu-system-x86_64)
ln -s "$here/qemu-env.sh" "$work/bin/qemu-system-x86_64"
qemu_state() {  # a fresh boot counter, and the environment of the next bisection
  rm -f "$work/qemu/boots" "$work/qemu/killed"
  export KCI_TEST_QEMU_KILL_AT=${1:-0} KCI_TEST_QEMU_CLOCK=${2:-}
}

# The source tree is the fixture's: hold its lock while checking out.
exec 8>"$cache/linux-6.1.build.lock"
flock -w 3600 8
# A run killed mid-bisection (a CTest timeout) leaves git bisecting.
git -C "$linux" bisect reset >/dev/null 2>&1 || true

export GIT_AUTHOR_NAME="kci test" GIT_AUTHOR_EMAIL="kci-test@localhost"
export GIT_COMMITTER_NAME="kci test" GIT_COMMITTER_EMAIL="kci-test@localhost"
export GIT_AUTHOR_DATE="2026-01-03T00:00:00Z" GIT_COMMITTER_DATE="2026-01-03T00:00:00Z"

# commit PARENT MESSAGE FILE < CONTENT: a commit that sets FILE, printed.
# Plumbing only: the checked-out tree is not touched. One index for the
# whole series (each commit's parent is the one before): reading the
# 70,000-file tree into a fresh index per commit cost seconds each.
index=$work/series.index
commit() {
  local parent=$1 message=$2 file=$3 blob tree
  blob=$(git -C "$linux" hash-object -w --stdin)
  GIT_INDEX_FILE=$index git -C "$linux" update-index --add --cacheinfo "100644,$blob,$file"
  tree=$(GIT_INDEX_FILE=$index git -C "$linux" write-tree)
  git -C "$linux" commit-tree "$tree" -p "$parent" -m "$message"
}

good=$(git -C "$linux" rev-parse "$base^{commit}")
GIT_INDEX_FILE=$index git -C "$linux" read-tree "$good"
commits=("$good")
head=$good
for i in $(seq 1 30); do
  case $i in
    3)
      head=$({ git -C "$linux" show "$head:init/main.c"
               cat <<'EOF'

/* kci test: misbehaves in about half of the boots (odd minutes). */
#include <linux/timekeeping.h>

static int __init kci_test_flaky(void)
{
	if ((ktime_get_real_seconds() / 60) & 1)
		pr_alert("kci test: injected flaky failure\n");
	return 0;
}
late_initcall(kci_test_flaky);
EOF
             } | commit "$head" "init: an alert in odd minutes

Signed-off-by: Flaky Developer <flaky@example.org>" init/main.c) ;;
    11)
      head=$(git -C "$linux" show "$head:init/main.c" |
        awk '{ print } /^static int __ref kernel_init\(void \*unused\)$/ { armed = 1 }
             armed && /^\tint ret;$/ { print "\n\tpr_crit(\"kci test: injected boot regression\\n\");"; armed = 0 }' |
        commit "$head" "init: report a critical condition at boot

Signed-off-by: Culprit Developer <culprit@example.org>
Reviewed-by: Careful Reviewer <reviewer@example.org>" init/main.c) ;;
    23)
      head=$({ git -C "$linux" show "$head:arch/arm64/kernel/setup.c"
               printf '\nstatic int kci_test_arm64_only(void) { return kci_undeclared; }\n'; } |
        commit "$head" "arm64: setup: a change that breaks the arm64 build" arch/arm64/kernel/setup.c) ;;
    *)
      head=$(printf 'kci bisect test note %s\n' "$i" |
        commit "$head" "Documentation: kci bisect test note $i" "Documentation/kci-bisect/note-$i.txt") ;;
  esac
  commits+=("$head")
done
bad=$head
git -C "$linux" update-ref refs/heads/kci-test/bisect "$bad"
git -C "$linux" checkout -q --detach "$good"
n=$(git -C "$linux" rev-list --count "$good..$bad")
max_steps=$(python3 -c "import math; print(math.ceil(math.log2($n)))")
printf '%s\n' "${commits[@]}" >"$work/commits"
echo "run-bisect: $n commits; culprits: flaky ${commits[3]:0:12}, boot ${commits[11]:0:12}," \
  "arm64 build ${commits[23]:0:12}; at most $max_steps bisection steps"

# check NAME EXPECTATION RESULT_JSON EXIT_STATUS: prints the bisection's
# figures and step table, fails on any difference from the expectation
# (found:INDEX, good-fails, bad-passes).
check() {
  python3 - "$@" "$max_steps" "$work/commits" "$work/qemu" <<'PY'
import json, os, sys
name, expected, path, exit_status, max_steps, commits_file, qemu = sys.argv[1:8]
max_steps, exit_status = int(max_steps), int(exit_status)
commits = open(commits_file).read().split()
r = json.load(open(path))
errors = []
def index(commit):
    return commits.index(commit) if commit in commits else None
culprit = (r.get("culprit") or {}).get("commit")
infra = [(s, run) for s in r["steps"] for run in s["runs"] if run not in ("PASS", "FAIL")]
if expected.startswith("found:"):
    want = commits[int(expected[6:])]
    if r["status"] != "found": errors.append(f"status {r['status']}")
    if culprit != want: errors.append(f"culprit {culprit}, expected {want}")
    if exit_status != 0: errors.append(f"exit status {exit_status}")
    for c in ("verify", "revert"):
        if r["checks"][c]["result"] != "PASS": errors.append(f"{c} {r['checks'][c]}")
    if r["checks"]["identical_image"]: errors.append("identical image flagged")
    if r["bisect_steps"] > max_steps:
        errors.append(f"{r['bisect_steps']} bisection steps > ceil(log2 N) = {max_steps}")
    # Every verdict agrees with where the culprit is (the reverted commit
    # is good): no step was misled, by a flaky run or by the killed QEMU.
    for s in r["steps"]:
        i = index(s["commit"])
        if s["verdict"] == "skip" or i is None: continue
        truth = "bad" if i >= int(expected[6:]) else "good"
        if s["verdict"] != truth:
            errors.append(f"{s['stage']} {s['commit'][:12]} judged {s['verdict']}, is {truth}")
else:
    if r["status"] != expected: errors.append(f"status {r['status']}, expected {expected}")
    if exit_status != 1: errors.append(f"exit status {exit_status}, expected 1")
    if culprit: errors.append(f"a culprit {culprit}")
    stages = [s["stage"] for s in r["steps"]]
    want = ["verify-good"] if expected == "good-fails" else ["verify-good", "verify-bad"]
    if stages != want: errors.append(f"steps {stages}, expected {want}")
if name == "boot":
    killed = open(os.path.join(qemu, "killed")).read().split() if os.path.exists(
        os.path.join(qemu, "killed")) else []
    if len(killed) != 1: errors.append(f"QEMU killed at boots {killed}, expected one")
    if len(infra) != 1:
        errors.append(f"{len(infra)} infrastructure failures recorded, expected the killed boot")
    elif infra[0][0]["stage"] != "bisect" or len(infra[0][0]["runs"]) < 2:
        errors.append(f"the killed boot was not retried within its bisection step")
elif infra:
    errors.append(f"infrastructure failures: {[(s['commit'][:12], run) for s, run in infra]}")
if name == "flaky":
    if not r["flaky"]: errors.append("not recognised as flaky")
    if not 0.2 <= r["reproduce_chance"] <= 0.8:
        errors.append(f"reproduce chance {r['reproduce_chance']}")
s = r["seconds"]
built = [st for st in r["steps"] if not st.get("build_reused")]
boots = sum(len(st["runs"]) for st in r["steps"])
print(f"run-bisect: {name}: {r['status']} {culprit[:12] if culprit else '-'} in "
      f"{r['bisect_steps']} steps (+{len(r['steps']) - r['bisect_steps']} verify/check), "
      f"{len(built)} builds, {boots} boots; confidence {r['confidence']}"
      f"{', flaky, chance %.2f, %d runs per step' % (r['reproduce_chance'], r['runs_per_step']) if r['flaky'] else ''}")
print(f"run-bisect: {name}: wall {s['total']:.1f} s = make {s['build']:.1f} s + QEMU "
      f"{s['test']:.1f} s + kci {s['kci']:.1f} s ({100 * s['kci'] / max(s['total'], 1e-9):.1f}%, "
      f"git {s.get('git', 0):.1f} s)")
for st in r["steps"]:
    i = index(st["commit"])
    made = "reused" if st.get("build_reused") else "%.1f s" % st.get("build_seconds", 0)
    own = st["seconds"] - st.get("build_seconds", 0) - st.get("test_seconds", 0)
    print(f"   {st['stage']:<14} c{'-' if i is None else i:<3} {st['commit'][:12]} "
          f"build {st['build']:<5} {made:>8}  runs {','.join(st['runs']) or '-':<24} "
          f"{st['verdict']:<5} {st['seconds']:6.1f} s (kci {own:.1f} s)")
if errors:
    print(f"run-bisect: {name}: FAILED: " + "; ".join(errors), file=sys.stderr)
    sys.exit(1)
PY
}

status=0
# bisect NAME EXPECTATION KCI_BISECT_ARGS...: one bisection, checked.
bisect() {
  local name=$1 expected=$2 rc=0 t0
  shift 2
  [[ $scenarios == *" $name "* ]] || return 0
  t0=$(date +%s.%N)
  echo "run-bisect: $name ($expected)"
  PATH=$work/bin:$PATH "$kci" bisect --source "$linux" --artifacts "$work/store" \
    --pipeline-config "$project/config/kci.yaml" --json "$work/$name.json" "$@" \
    >/dev/null 2>"$work/$name.stderr" || rc=$?
  if [ ! -s "$work/$name.json" ] || ! check "$name" "$expected" "$work/$name.json" "$rc"; then
    echo "run-bisect: $name: kci bisect exit status $rc; its stderr ends:" >&2
    tail -n 40 "$work/$name.stderr" >&2
    status=1
  fi
  # Left as it was: detached at the good commit, clean, no bisection.
  if [ "$(git -C "$linux" rev-parse HEAD)" != "$good" ] ||
     [ -n "$(git -C "$linux" status --porcelain --untracked-files=no)" ] ||
     git -C "$linux" bisect log >/dev/null 2>&1; then
    echo "run-bisect: $name: the source tree was not restored" >&2
    git -C "$linux" bisect reset >/dev/null 2>&1 || true
    git -C "$linux" checkout -q -f --detach "$good"
    status=1
  fi
  printf 'run-bisect: %s took %.1f s\n' "$name" "$(echo "$(date +%s.%N) - $t0" | bc)"
}

x86=(--arch x86_64 --toolchain gcc --config "tinyconfig+x86_64-boot+$frag/kunit.config"
     --build-dir "$fixture/build/x86_64-gcc" --plan baseline --platform qemu-x86_64
     --boot-timeout 60)

# Boots 1-3 verify the good commit, 4-6 the bad one: the 7th is the first
# run of the first bisection step (a commit after the culprit: counting the
# killed boot as a pass would mislead the bisection).
qemu_state 7
bisect boot found:11 "${x86[@]}" --good "$good" --bad "$bad" --test baseline.dmesg.crit \
  --kcidb "$work/boot-culprit.json" --incident-test kci:test-under-bisection
if [[ $scenarios != *" boot "* ]]; then
  :
elif [ -s "$work/boot-culprit.json" ]; then
  "$kci" validate "$work/boot-culprit.json" >/dev/null || status=1
  # KCIDB nests it: issues[].culprit.code (culprit_code is the column).
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(i.get("culprit",{}).get("code") is True for i in d.get("issues",[])) else 1)' \
    "$work/boot-culprit.json" || {
    echo "run-bisect: boot: the culprit issue is not culprit code" >&2
    status=1
  }
else
  echo "run-bisect: boot: no KCIDB culprit report" >&2
  status=1
fi

# One run per endpoint: no more is needed to see they do not regress.
qemu_state
bisect good-fails good-fails "${x86[@]}" --good "${commits[12]}" --bad "$bad" \
  --test baseline.dmesg.crit --check-runs 1
# c4..c10 differ in Documentation/ only: one build serves both endpoints.
qemu_state
bisect bad-passes bad-passes "${x86[@]}" --good "${commits[4]}" --bad "${commits[10]}" \
  --test baseline.dmesg.crit --check-runs 1

# The flaky failure: the stand-in QEMU's clock bits, from a fixed seed.
clock=$(python3 -c "import random; r = random.Random(16); print(''.join(r.choice('01') for _ in range(512)))")
qemu_state 0 "$clock"
bisect flaky found:3 "${x86[@]}" --good "$good" --bad "$bad" --test baseline.dmesg.alert \
  --runs 8 --max-runs 8

qemu_state
bisect build found:23 --arch arm64 --toolchain gcc --config "tinyconfig+arm64-boot" \
  --build-dir "$fixture/build/arm64-gcc" --build --good "$good" --bad "$bad"

python3 - "$work" "$(echo "$(date +%s.%N) - $started" | bc)" <<'PY'
import json, os, sys
work, wall = sys.argv[1], float(sys.argv[2])
total = build = test = 0
for name in ("boot", "good-fails", "bad-passes", "flaky", "build"):
    p = os.path.join(work, name + ".json")
    if not os.path.exists(p): continue
    s = json.load(open(p))["seconds"]
    total += s["total"]; build += s["build"]; test += s["test"]
kci = total - build - test
print(f"run-bisect: all bisections {total:.1f} s = make {build:.1f} s + QEMU {test:.1f} s + "
      f"kci {kci:.1f} s ({100 * kci / max(total, 1e-9):.1f}%); script wall {wall:.1f} s")
PY
git -C "$linux" checkout -q --detach "$good"
exit "$status"
