#!/usr/bin/env bash
# Make sure Debian's Chromium is installed for the browser end-to-end test (no browser download
# by Playwright). Installs it with apt-get when run as root; otherwise says what to run.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  echo "Chromium not found at $CHROMIUM: installing Debian's chromium package" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
  exit 0
fi
echo "Chromium is missing at $CHROMIUM and this script is not running as root." >&2
echo "Install it with:  sudo apt-get update && sudo apt-get install -y chromium" >&2
exit 1
