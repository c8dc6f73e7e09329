#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kci's main job on the embedded defaults: a local KernelCI on a kernel tree.
#
#  1. Reports: the example reports of three CI systems in three KCIDB schema
#     versions are validated, upgraded to v5.3, merged and counted; an
#     invalid one is refused with the JSON pointer of every mistake.
#  2. A local KernelCI: Debian's linux-source-6.1 as a git tree; `kci serve`
#     on SQLite; `kci monitor` finds the branch head, `kci build` builds an
#     x86_64 tinyconfig kernel, `kci test` boots it in QEMU and runs the
#     baseline plan; each sends its result to the server (--submit, through
#     `kci submit`), the one door into the store; the results are read back
#     through the API.
#
# Everything lands in $KCI_OUT (default: out/). Needs the packages of
# `scripts/install-deps.sh all`.
set -euo pipefail
cd "$(dirname "$0")/.."
KCI=${KCI:-$PWD/build/src/cli/kci}
OUT=${KCI_OUT:-$PWD/out}
PORT=${KCI_PORT:-18080}
mkdir -p "$OUT"

echo "== 1. Reports: validate (each against the version it declares)"
"$KCI" validate --indent 0 examples/reports/*.json >/dev/null
echo "all valid"
echo "-- upgrade to v5.3 and merge into $OUT/merged.json"
"$KCI" upgrade --indent 0 examples/reports/*.json | "$KCI" merge --indent 2 >"$OUT/merged.json"
echo "objects in the merged report: $("$KCI" count "$OUT/merged.json")"
echo "-- an invalid report is refused, with the JSON pointer of every mistake"
if "$KCI" validate examples/invalid/*.json >/dev/null 2>"$OUT/invalid.txt"; then
  echo "error: the invalid example was accepted" >&2
  exit 1
fi
sed 's/^/   /' "$OUT/invalid.txt"

echo "== 2. A local KernelCI on Linux 6.1"
# The kernel tree: Debian's linux-source imported into git once (cached),
# cloned here with the branch the pipeline configuration follows.
cache=$(bash tests/kernel/prepare-linux.sh)
linux=$OUT/linux
if [ ! -d "$linux/.git" ]; then
  echo "-- cloning $cache into $linux"
  git clone -q --local --branch main "$cache" "$linux"
  git -C "$linux" branch -q -m main master
fi

db="sqlite:$OUT/kci.db"
rm -rf "$OUT/kci.db" "$OUT/kci.db"-* "$OUT/kci.db.spool" "$OUT/monitor"
"$KCI" db init -d "$db"
token=$("$KCI" token add -d "$db" --origin kci --comment "main job pipeline" | tail -n 1)
export KCIDB_REST="http://$token@127.0.0.1:$PORT"

"$KCI" serve -d "$db" --listen "127.0.0.1:$PORT" -q 2>"$OUT/serve.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break
  sleep 0.1
done
echo "-- kci serve is up on 127.0.0.1:$PORT (SQLite $OUT/kci.db)"

echo "-- kci monitor: the head of linux/master"
"$KCI" monitor --once --config config/kci.yaml --tree-url "linux=file://$linux" \
  --state "$OUT/monitor" --submit env >"$OUT/checkout.json"
checkout_id=$(sed -n 's/^ *"id": "\(.*\)",$/\1/p' "$OUT/checkout.json" | head -n 1)
echo "   checkout $checkout_id"

echo "-- kci build: x86_64 tinyconfig+x86_64-boot with gcc (a few minutes the first time)"
"$KCI" build --source "$linux" --tree linux --arch x86_64 --toolchain gcc \
  --config tinyconfig+x86_64-boot --pipeline-config config/kci.yaml --ccache \
  --artifacts "$OUT/artifacts" --build-dir "$OUT/kbuild/x86_64" --submit env \
  >"$OUT/build.json" 2>"$OUT/build.stderr" || { tail -n 20 "$OUT/build.stderr" >&2; exit 1; }
artifacts=$(sed -n 's/^kci build: artifacts in //p' "$OUT/build.stderr" | tail -n 1)
build_id=$(sed -n 's/^ *"id": "\(.*:kbuild-.*\)",$/\1/p' "$OUT/build.json" | head -n 1)
echo "   $(grep -o '"status": "[A-Z]*"' "$OUT/build.json" | head -n 1), artifacts in $artifacts"

echo "-- kci test: boot it in QEMU (TCG) and run the baseline plan"
status=0
"$KCI" test --kernel "$artifacts" --build-id "$build_id" --plan baseline --platform qemu-x86_64 \
  --timeout 120 --submit env >"$OUT/test-baseline.json" 2>"$OUT/test.stderr" || status=$?
if [ ! -s "$OUT/test-baseline.json" ]; then
  tail -n 20 "$OUT/test.stderr" >&2
  exit 1
fi

echo "-- the results, read back from the server's API"
curl -sf "http://127.0.0.1:$PORT/api/v1/checkouts/$checkout_id?children=1" >"$OUT/results.json"
"$KCI" validate --indent 0 "$OUT/results.json" >/dev/null
echo "   objects under the checkout: $("$KCI" count "$OUT/results.json")"
python3 - "$OUT/results.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for c in report.get("checkouts", []):
    print(f"   checkout {c.get('tree_name', '?')}/{c.get('git_repository_branch', '?')} "
          f"{c.get('git_commit_name', c.get('git_commit_hash', '?'))}")
for b in report.get("builds", []):
    print(f"   build {b.get('architecture')} {b.get('config_name')} "
          f"{b.get('compiler', '').split(' (')[0]}: {b.get('status', '-')}")
for t in sorted(report.get("tests", []), key=lambda t: t.get("path", "")):
    print(f"   test  {t.get('path')}: {t.get('status', '-')}")
PY
echo
echo "== done: results in $OUT (serve them with: $KCI serve -d $db)"
exit "$status"
