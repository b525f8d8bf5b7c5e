#!/usr/bin/env bash
# Runs the whole test suite. Every database test runs twice, on SQLite and on
# PostgreSQL (`<test>::sqlite`, `<test>::postgres`). PostgreSQL comes from
# TEST_DATABASE_URL, or from the local server on 127.0.0.1:5432 when one answers;
# each test creates and drops its own database there.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
    export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
  else
    echo "note: no PostgreSQL on 127.0.0.1:5432 and TEST_DATABASE_URL unset: the postgres half of each database test is skipped"
  fi
fi
[ -n "${TEST_DATABASE_URL:-}" ] && echo "PostgreSQL tests use ${TEST_DATABASE_URL%%@*}@${TEST_DATABASE_URL#*@}"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace --all-targets --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

sqlite=$(grep -cE '::sqlite \.\.\. ok$' "$log" || true)
postgres=$(grep -cE '::postgres \.\.\. ok$' "$log" || true)
passed=$(grep -oE 'test result: [A-Za-z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
# Only cargo's summaries: servers started by the process tests log lines of their
# own ("port 5432 failed") to the same stream.
failed=$(grep -oE 'test result: [A-Za-z]+\. [0-9]+ passed; [0-9]+ failed' "$log" | awk '{s+=$6} END {print s+0}')
echo
echo "database tests passed per backend: sqlite ${sqlite}, postgres ${postgres}"
echo "${passed} passed, ${failed} failed"
exit "$status"
