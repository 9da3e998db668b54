#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing (Debian's Chromium and
# ChromeDriver, the npm package axe-core, Debian's nginx-light), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  echo "Installing chromium and chromium-driver (browser tests)"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver
fi
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "Installing nginx-light (the API tests behind a reverse proxy)"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq nginx-light
fi
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  echo "Installing axe-core (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

cargo test "$@"
