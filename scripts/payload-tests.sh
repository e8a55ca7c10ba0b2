#!/usr/bin/env bash
# Runs each framework's payload tests (frameworks/<name>/tests) for real, with that
# framework's pinned environment from scripts/payload-envs.sh. Usage: scripts/payload-tests.sh [framework...]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

# shellcheck source=scripts/frameworks.sh
source scripts/frameworks.sh

failed=()
for name in "${frameworks[@]}"; do
  python=".venv/$name/bin/python"
  if [ ! -x "$python" ]; then
    echo "payload-tests: $python missing; run scripts/payload-envs.sh $name first" >&2
    failed+=("$name")
    continue
  fi
  if [ ! -d "frameworks/$name/tests" ]; then
    echo "payload-tests: frameworks/$name/tests missing: every framework needs payload tests" >&2
    failed+=("$name")
    continue
  fi
  echo "payload-tests: $name"
  "$python" -m pytest -q -p no:cacheprovider "frameworks/$name/tests" || failed+=("$name")
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "payload-tests: failed: ${failed[*]}" >&2
  exit 1
fi
