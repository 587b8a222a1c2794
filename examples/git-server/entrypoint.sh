#!/bin/bash
# The examples' in-cluster git server: a bare repository served by `git daemon` (git:// on
# 9418, push enabled), seeded with a first page, whose post-receive hook sends a push webhook
# (GitHub's format, HMAC-signed) so git-sync can sync at once instead of waiting for its period.
#
#   REPO=site  GIT_ROOT=/srv/git  WEBHOOK_URL=http://app:8081/...  WEBHOOK_SECRET_FILE=/path
set -euo pipefail
REPO=${REPO:-site}
GIT_ROOT=${GIT_ROOT:-/srv/git}
export HOME=${HOME:-/tmp} GIT_AUTHOR_NAME=example GIT_AUTHOR_EMAIL=example@pod-patterns.invalid
export GIT_COMMITTER_NAME=example GIT_COMMITTER_EMAIL=example@pod-patterns.invalid
bare=$GIT_ROOT/$REPO.git

if [ ! -d "$bare" ]; then
  git init -q --bare -b main "$bare"
  # `git push -o skip-webhook` pushes without the webhook (to show git-sync's polling alone).
  git -C "$bare" config receive.advertisePushOptions true
  seed=$(mktemp -d)
  git -C "$seed" init -q -b main
  printf '<!doctype html>\n<title>pod-patterns</title>\n<h1>version 1</h1>\n<p>Served by nginx from a git-sync volume.</p>\n' > "$seed/index.html"
  git -C "$seed" add index.html
  git -C "$seed" commit -q -m 'first page'
  git -C "$seed" push -q "$bare" main
  rm -rf "$seed"
  cp /opt/examples/git-server/post-receive "$bare/hooks/post-receive"
  chmod +x "$bare/hooks/post-receive"
fi
echo "{\"level\":\"info\",\"msg\":\"git server ready\",\"repo\":\"git://$(hostname):9418/$REPO.git\"}"
exec git daemon --reuseaddr --export-all --enable=receive-pack --informative-errors \
  --base-path="$GIT_ROOT" --listen=0.0.0.0 --port="${GIT_PORT:-9418}" "$GIT_ROOT"
