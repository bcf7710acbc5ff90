#!/usr/bin/env bash
# Debian's headless Chromium and its driver for the browser test (tests/test_web_browser.py).
# Idempotent and fast when both are present; no browser download of its own.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
command -v chromium >/dev/null && command -v chromedriver >/dev/null
