#!/usr/bin/env bash
# Installs Meteor's real browser DDP client for the tests, by package name only. Idempotent.
#   1. Debian's `chromium` (apt-get; CI runs as root) unless a chromium binary is found
#      ($CHROMIUM, /usr/lib/chromium/chromium, chromium on PATH).
#   2. `npm pack steedos-server@2.1.64` (the tarball the Meteor server peer comes from; its
#      config.json says METEOR@1.9.3), keeping only bundle/programs/web.browser's program.json,
#      merged <hash>.js and <hash>.stats.json (~22 MB).
#   3. node split.js: Meteor's client packages (meteor .. ddp-client, mongo) cut out of that
#      merged file, one file each, with the app vendor's three changes taken out (split.js).
# Installs into $DDP_PEERS_HOME/meteor-browser (default ~/.cache/ddp-monitor-peers); nothing
# is written in the source tree. Needs node and npm on PATH.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
home="${DDP_PEERS_HOME:-$HOME/.cache/ddp-monitor-peers}"
dir="$home/meteor-browser"
mkdir -p "$dir"
exec 9>"$dir/.install.lock"
flock 9

chromium_bin() {
  if [[ -n "${CHROMIUM:-}" && -x "${CHROMIUM}" ]]; then echo "$CHROMIUM"
  elif [[ -x /usr/lib/chromium/chromium ]]; then echo /usr/lib/chromium/chromium
  else command -v chromium || command -v chromium-browser || true; fi
}
if [[ -z "$(chromium_bin)" ]]; then
  if [[ "$(id -u)" != 0 ]]; then
    echo "install.sh: chromium missing and not root: apt-get install chromium, or set CHROMIUM" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

if [[ ! -f "$dir/bundle/web.browser/program.json" ]]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --no-audit --no-fund --loglevel=error steedos-server@2.1.64 >/dev/null)
  tar xzf "$tmp"/steedos-server-2.1.64.tgz -C "$tmp" --wildcards --no-wildcards-match-slash \
    'package/bundle/programs/web.browser/*.js' 'package/bundle/programs/web.browser/*.json' package/package.json
  rm -rf "$dir/bundle" && mkdir -p "$dir/bundle"
  mv "$tmp/package/bundle/programs/web.browser" "$dir/bundle/web.browser"
  cp "$tmp/package/package.json" "$dir/bundle/package.json"
fi
if [[ ! -f "$dir/build/manifest.json" || "$here/split.js" -nt "$dir/build/manifest.json" ]]; then
  node "$here/split.js" "$dir/bundle" "$dir/build"
fi
"$(chromium_bin)" --version >/dev/null
echo "Meteor's browser client installed in $dir"
