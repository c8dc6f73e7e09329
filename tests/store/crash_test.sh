#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A load killed with SIGKILL in the middle of its transaction leaves the
# whole report or none of it: `kci db load` of a large report into an SQLite
# file is killed at increasing delays; each time the database must hold
# either 0 or all of the report's objects, and stay usable.
#   crash_test.sh KCI SAMPLE.json
set -euo pipefail
. "$(dirname "$0")/../lib/real-part.sh"
kci=$1
sample=$2
if [ ! -f "$sample" ]; then
  missing_real_part "sample $sample not found"
fi
work=$(mktemp -d /tmp/kci-crash-XXXXXX)
trap 'rm -rf "$work"' EXIT

# One report of 40 copies of the CKI sample (~190k objects), ids suffixed.
python3 - "$sample" "$work/big.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
out = {"version": d["version"]}
for k in ("checkouts", "builds", "tests", "issues", "incidents"):
    out[k] = []
for n in range(40):
    s = "-x%d" % n
    for o in d.get("checkouts", []):
        o = dict(o); o["id"] += s; out["checkouts"].append(o)
    for o in d.get("builds", []):
        o = dict(o); o["id"] += s; o["checkout_id"] += s; out["builds"].append(o)
    for o in d.get("tests", []):
        o = dict(o); o["id"] += s; o["build_id"] += s; out["tests"].append(o)
    for o in d.get("issues", []):
        o = dict(o); o["id"] += s; out["issues"].append(o)
    for o in d.get("incidents", []):
        o = dict(o); o["id"] += s; o["issue_id"] += s
        for r in ("build_id", "test_id"):
            if r in o: o[r] += s
        out["incidents"].append(o)
json.dump(out, open(sys.argv[2], "w"))

PY
total=$(python3 -c "import json; d=json.load(open('$work/big.json')); print(sum(len(v) for k, v in d.items() if k != 'version'))")

count() {
  "$kci" db dump -d "sqlite:$1" --indent 0 |
    python3 -c "import json,sys; d=json.load(sys.stdin); print(sum(len(v) for k, v in d.items() if k != 'version'))"
}

# How long a whole load takes, to spread the kills over it.
db="$work/full.db"
"$kci" db init -d "sqlite:$db"
start=$(date +%s%N)
"$kci" db load -d "sqlite:$db" "$work/big.json"
full_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$(count "$db")" = "$total" ] || { echo "FAIL: full load stored $(count "$db") of $total"; exit 1; }
echo "full load of $total objects: ${full_ms} ms"

killed_mid=0
for pct in 15 50 85; do
  db="$work/crash-$pct.db"
  "$kci" db init -d "sqlite:$db"
  "$kci" db load -d "sqlite:$db" "$work/big.json" &
  pid=$!
  sleep "$(awk -v ms="$full_ms" -v p="$pct" 'BEGIN { printf "%.3f", ms * p / 100000 }')"
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
    killed_mid=$((killed_mid + 1))
  fi
  wait "$pid" 2>/dev/null || true
  n=$(count "$db")
  echo "killed at ${pct}%: $n objects stored"
  if [ "$n" != 0 ] && [ "$n" != "$total" ]; then
    echo "FAIL: a killed load left $n of $total objects"
    exit 1
  fi
  # The database still works: a new load completes.
  "$kci" db load -d "sqlite:$db" "$work/big.json"
  [ "$(count "$db")" = "$total" ] || { echo "FAIL: reload after crash incomplete"; exit 1; }
done
if [ "$killed_mid" = 0 ]; then
  echo "FAIL: no load was still running when killed"
  exit 1
fi
echo "OK: $killed_mid loads killed mid-way, each left all or nothing"
