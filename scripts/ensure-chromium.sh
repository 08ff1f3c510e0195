#!/usr/bin/env bash
# Install Debian's Chromium (plus a CJK and an emoji font, so Chinese labels and the bot's emoji
# render in screenshots) for the browser tests. Quiet and idempotent when already installed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

CHROMIUM=/usr/bin/chromium
FONT_PACKAGES=(fonts-wqy-microhei fonts-noto-color-emoji)

mapfile -t missing < <(not_installed "${FONT_PACKAGES[@]}")
[ -x "$CHROMIUM" ] || missing=(chromium "${missing[@]}")
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if ! apt_install ensure-chromium "${missing[@]}" && [ -x "$CHROMIUM" ]; then
    # Chromium is there; only fonts are missing, which makes screenshots uglier, not wrong.
    echo "ensure-chromium: continuing without some of: ${FONT_PACKAGES[*]}." >&2
    exit 0
fi
if [ ! -x "$CHROMIUM" ]; then
    echo "ensure-chromium: $CHROMIUM is still missing; the browser tests cannot run." >&2
    exit 1
fi
echo "ensure-chromium: ready ($("$CHROMIUM" --version 2>/dev/null || echo chromium))."
