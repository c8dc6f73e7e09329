#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# kci's main job on the embedded defaults, with the pieces that have landed:
# take the example reports of three CI systems in three schema versions,
# validate them, upgrade them to v5.3, merge them into one report and
# summarise it; show how invalid input is refused.
set -euo pipefail
cd "$(dirname "$0")/.."
KCI=${KCI:-build/src/cli/kci}
OUT=${KCI_OUT:-out}
mkdir -p "$OUT"

echo "== validate the example reports (each against the version it declares)"
"$KCI" validate --indent 0 examples/reports/*.json >/dev/null
echo "all valid"

echo "== upgrade to v5.3 and merge into $OUT/merged.json"
"$KCI" upgrade --indent 0 examples/reports/*.json | "$KCI" merge --indent 2 >"$OUT/merged.json"
"$KCI" validate --indent 0 "$OUT/merged.json" >/dev/null
echo "objects in the merged report: $("$KCI" count "$OUT/merged.json")"

echo "== an invalid report is refused, with the JSON pointer of every mistake"
if "$KCI" validate examples/invalid/*.json >/dev/null 2>"$OUT/invalid.txt"; then
  echo "error: the invalid example was accepted" >&2
  exit 1
fi
cat "$OUT/invalid.txt"
echo "== done: $OUT/merged.json"
