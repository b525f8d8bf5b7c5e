#!/usr/bin/env bash
# The security and contract battery in one command, on SQLite and PostgreSQL:
# the battery generated from the served contract and the role table
# (tests/tests/battery/), tokens and abuse (auth.rs, abuse.rs), faults on the real
# binary (crates/gateway/tests/faults.rs, replicas.rs), then Schemathesis as three
# users (scripts/schemathesis.sh). CI runs all of it through scripts/test.sh and
# scripts/schemathesis.sh.
#
#   scripts/battery.sh          Schemathesis at 25 examples per operation, phase and user
#   scripts/battery.sh --full   Schemathesis at 100 (what docs/security.md reports)
#
# PostgreSQL comes from TEST_DATABASE_URL, else the local server
# (scripts/ensure-postgres.sh starts one where none answers).
set -euo pipefail
cd "$(dirname "$0")/.."

examples=25
case "${1:-}" in
  "") ;;
  --full) examples=100 ;;
  *) echo "usage: scripts/battery.sh [--full]" >&2; exit 2 ;;
esac

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  bash scripts/ensure-postgres.sh
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres"
fi
# Every part runs on both backends or the battery fails.
export BRANCHLINE_REQUIRE_POSTGRES=1

started=$SECONDS
cargo test -q -p branchline-tests --test battery --test auth --test abuse
cargo test -q -p gateway --test faults --test replicas
tests_took=$((SECONDS - started))

cargo build -q --bin branchline
SCHEMATHESIS_MAX_EXAMPLES=$examples bash scripts/schemathesis.sh target/debug/branchline

echo
echo "battery: tests ${tests_took}s, Schemathesis at ${examples} examples $((SECONDS - started - tests_took))s"
