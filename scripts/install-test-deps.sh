#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# System packages the browser tests need: Debian's headless-capable chromium, driven by
# puppeteer-core (an npm devDependency that downloads no browser). Needs root (or sudo)
# and a Debian/Ubuntu apt; does nothing when chromium is already installed.
set -euo pipefail
for bin in chromium chromium-browser; do
  if command -v "$bin" >/dev/null 2>&1; then
    echo "install-test-deps: $(command -v "$bin") is already installed"
    exit 0
  fi
done
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: no apt-get here; install chromium with this system's package manager" >&2
  exit 1
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
echo "install-test-deps: installed $(command -v chromium)"
