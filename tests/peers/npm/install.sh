#!/usr/bin/env bash
# Installs the third-party DDP clients the interop tests run (package.json beside this file, versions pinned by
# package-lock.json), into node_modules beside this file (ignored by git). Needs node and npm on PATH.
# Idempotent: does nothing when every client already loads; otherwise a clean `npm ci` (a few seconds).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
# One install at a time: pytest and .ci/run, or two engineers' runs, may start it together.
exec 9>"${TMPDIR:-/tmp}/ddp-monitor-npm-peers-$(id -u).lock"
flock 9
loads() { node -e 'for (const m of ["ddp", "simpleddp", "isomorphic-ws", "ws", "sockjs-client", "ejson"]) require(m)' 2>/dev/null; }
if ! loads || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
  loads
fi
echo "npm DDP clients installed in $here/node_modules"
