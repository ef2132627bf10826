#!/usr/bin/env bash
# The console tests drive Debian's Chromium (Playwright cannot download a browser
# here); install it and fonts for every script customers write in, once.
set -euo pipefail
if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "Noto Color Emoji"; then
  exit 0
fi
packages="chromium fonts-noto-color-emoji fonts-dejavu-core"
if [ "$(id -u)" != 0 ]; then
  echo "[browser] Chromium is missing; run: sudo apt-get install -y $packages" >&2
  exit 1
fi
echo "[browser] installing $packages (first run only)" >&2
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages >/dev/null
