#!/usr/bin/env bash
# Fails when a tracked C++ file differs from the repository's .clang-format. Fix with
#   git ls-files '*.cpp' '*.h' | xargs clang-format -i
set -euo pipefail
cd "$1"
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "not a git checkout: nothing to check"
  exit 0
fi
mapfile -t files < <(git ls-files '*.cpp' '*.h' ':!:tests/fuzz/corpus/*')
bad=()
for file in "${files[@]}"; do
  clang-format --dry-run --Werror "$file" >/dev/null 2>&1 || bad+=("$file")
done
if ((${#bad[@]} > 0)); then
  printf 'not clang-formatted: %s\n' "${bad[@]}"
  exit 1
fi
echo "${#files[@]} files clang-formatted"
