#!/usr/bin/env bash
# Packaging smoke check: build the one-folder app with packaging/ddp-monitor.spec, start it offscreen, and check
# that it showed its window and quit by itself with status 0. Exits non-zero (with the app's output) otherwise.
#
#   packaging/smoke.sh                        uses .venv/bin/python (README's venv) when present, else python3
#   PYTHON=/path/to/python packaging/smoke.sh an interpreter with ddp-monitor's dependencies installed
#
# PyInstaller is installed by pip into its own venv, build/packaging/venv. That venv also sees $PYTHON's
# site-packages (one .pth line) when $PYTHON already has the dependencies, so PySide6 (~600 MB) is not
# installed a second time; otherwise the project and its dependencies are pip-installed into it.
# Output: build/packaging/dist/ddp-monitor/ (the app), build/packaging/smoke.log (its output).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
build=$root/build/packaging
venv=$build/venv
python=${PYTHON:-}
if [[ -z "$python" ]]; then
  if [[ -x .venv/bin/python ]]; then python=.venv/bin/python; else python=python3; fi
fi

# PyInstaller tells ELF binaries from data with objdump (binutils) on Linux.
if [[ "$(uname)" == Linux ]] && ! command -v objdump >/dev/null; then
  if [[ $EUID -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends binutils >/dev/null
  else
    echo "smoke: PyInstaller needs objdump: install binutils" >&2
    exit 1
  fi
fi
[[ -x "$venv/bin/python" ]] || "$python" -m venv "$venv"
venv_site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
rm -f "$venv_site/ddp-monitor-deps.pth"
"$venv/bin/python" -m pip install -q --disable-pip-version-check 'pyinstaller>=6.10,<7'
if "$python" -c 'import PySide6.QtWidgets, qasync, websockets, platformdirs' 2>/dev/null; then
  "$python" -c 'import sysconfig; print("import site; site.addsitedir(%r)" % sysconfig.get_path("purelib"))' \
    >"$venv_site/ddp-monitor-deps.pth"
else
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$root"
fi

echo "building with PyInstaller $("$venv/bin/python" -m PyInstaller --version)"
"$venv/bin/python" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$build/dist" --workpath "$build/work" packaging/ddp-monitor.spec
app=$build/dist/ddp-monitor/ddp-monitor
[[ -x "$app" ]] || { echo "smoke: no executable at $app" >&2; exit 1; }
echo "built $app ($(du -sh "$build/dist/ddp-monitor" | cut -f1))"

# --quit-after (cli/main.py) closes the window 2 s after it is shown; -v logs "window shown". Its settings
# (window geometry, profiles) go to a throw-away folder, never the user's.
log=$build/smoke.log
rm -rf "$build/home"
set +e
XDG_CONFIG_HOME=$build/home/config XDG_DATA_HOME=$build/home/data QT_QPA_PLATFORM=offscreen \
  timeout 60 "$app" -v --quit-after 2 >"$log" 2>&1
rc=$?
set -e
if ((rc != 0)) || ! grep -q "ddp_monitor.app.desktop: window shown" "$log"; then
  echo "smoke: the frozen app failed (exit $rc) or never showed its window; its output:" >&2
  cat "$log" >&2
  exit 1
fi
version=$("$app" --version)
echo "smoke: ok ($version started, showed its window, quit with status 0)"
