#!/usr/bin/env bash
# The test command: installs what the tests need when it is missing (Debian's Chromium and
# ChromeDriver and the npm package axe-core for the browser tests, nginx-light for the tests
# behind a reverse proxy, Postfix for the relay test), then runs every test.
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
if ! command -v postfix >/dev/null 2>&1; then
  # The reliability test of a real mail relay (tests/reliability/postfix.rs) runs a private
  # Postfix of its own; the package's own configuration is not used, so none is asked for.
  echo "Installing postfix (mail relay test)"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo_cmd debconf-set-selections
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postfix
fi
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  echo "Installing axe-core (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Every test, module and route SECURITY.md names must exist (no build needed).
python3 scripts/check_security_refs.py

cargo test "$@"
if [ $# -eq 0 ]; then
  # The whole API suite once more with every test app behind a real nginx, as in
  # production (tests/api/helpers.rs, AREA_CLIENTI_TEST_PROXY).
  echo "== the API suite again, behind nginx =="
  AREA_CLIENTI_TEST_PROXY=nginx cargo test --test api
fi
