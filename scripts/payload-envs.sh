#!/usr/bin/env bash
# Creates .venv/<framework> for every framework with exactly the pinned requirements its
# image installs (same pip flags as the image build: --no-deps, wheels only, then
# `pip check`), plus the pinned test runner. Usage: scripts/payload-envs.sh [framework...]
set -euo pipefail
cd "$(dirname "$0")/.."

frameworks=("$@")
if [ ${#frameworks[@]} -eq 0 ]; then
  for dir in frameworks/*/; do
    name=$(basename "$dir")
    [[ $name == _* ]] || frameworks+=("$name")
  done
fi

for name in "${frameworks[@]}"; do
  requirements="frameworks/$name/requirements.txt"
  [ -f "$requirements" ] || { echo "payload-envs: $requirements not found" >&2; exit 1; }
  env=".venv/$name"
  echo "payload-envs: $env <- $requirements"
  python3 -m venv "$env"
  "$env/bin/python" -m pip install --quiet --no-deps --only-binary=:all: -r "$requirements" -r frameworks/_common/test-requirements.txt
  "$env/bin/python" -m pip check
done
