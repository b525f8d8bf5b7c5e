#!/usr/bin/env bash
# Regenerates the committed contract from the code: openapi/openapi.json.
# With --check, only compares, and fails when the committed file is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cargo run --quiet -p gateway --bin branchline -- openapi > "$tmp"
if [ "${1:-}" = "--check" ]; then
  if diff -u openapi/openapi.json "$tmp" > /dev/null; then
    echo "openapi/openapi.json matches the code"
  else
    diff -u openapi/openapi.json "$tmp" | head -40
    echo "openapi/openapi.json is stale: run scripts/openapi.sh and commit it" >&2
    exit 1
  fi
else
  cp "$tmp" openapi/openapi.json
  echo "wrote openapi/openapi.json"
fi
