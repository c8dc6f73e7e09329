#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Checks that every tracked C++ file follows .clang-format (Google-based,
# 100 columns): clang-format --dry-run -Werror, listing each file that would
# change. Exits 1 if any would. Fix with:
#   git ls-files '*.cpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format}
if ! command -v "$clang_format" >/dev/null; then
  echo "check-format: $clang_format not found (apt-get install clang-format)" >&2
  exit 3
fi
bad=0
while IFS= read -r -d '' file; do
  if ! "$clang_format" --dry-run -Werror --style=file "$file" >/dev/null 2>&1; then
    echo "check-format: $file is not formatted"
    bad=1
  fi
done < <(git ls-files -z -- '*.cpp' '*.h')
if [ "$bad" != 0 ]; then
  echo "check-format: run clang-format -i on the files above" >&2
  exit 1
fi
echo "check-format: every tracked *.cpp and *.h follows .clang-format"
