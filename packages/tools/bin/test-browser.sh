#!/usr/bin/env bash
# Makes Debian's headless-capable Chromium available for the browser tests (playwright-core drives
# it; no browser is ever downloaded by a test). Prints the executable path on success.
#   - /usr/bin/chromium already there: nothing to do.
#   - otherwise, as root: apt-get install -y chromium (running apt-get update first when needed).
#   - otherwise: one line naming what is missing, exit 1.
# CHROMIUM_PATH overrides the executable to check.
set -euo pipefail

bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

if [ "$(id -u)" != "0" ]; then
  echo "test-browser: $bin is missing and this user is not root; install it with: sudo apt-get install -y chromium" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test-browser: $bin is missing and apt-get is not available; install Debian's chromium package" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! apt-get install -y --no-install-recommends chromium >"$log" 2>&1; then
  # A fresh machine has no package lists yet.
  if ! { apt-get update && apt-get install -y --no-install-recommends chromium; } >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    echo "test-browser: apt-get install chromium failed (see above)" >&2
    exit 1
  fi
fi
# Fonts so that Korean text renders in screenshots; not fatal when unavailable.
apt-get install -y --no-install-recommends fonts-noto-cjk >>"$log" 2>&1 || true

if [ ! -x "$bin" ]; then
  echo "test-browser: chromium was installed but $bin is not there" >&2
  exit 1
fi
echo "$bin"
