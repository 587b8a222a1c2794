# Sourced by the scripts: puts the project's own pnpm (installed by setup.sh into .cache/pnpm,
# so a user's global pnpm is left alone) and the workspace's tools on PATH.
PP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$PP_ROOT/.cache/pnpm/node_modules/.bin:$PP_ROOT/node_modules/.bin:$PATH"
