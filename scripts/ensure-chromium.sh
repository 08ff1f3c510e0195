#!/usr/bin/env bash
# Install Debian's Chromium (plus a CJK and an emoji font, so Chinese labels and the bot's emoji
# render in screenshots) for the browser tests. Quiet and idempotent when already installed.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
FONT_PACKAGES=(fonts-wqy-microhei fonts-noto-color-emoji)

missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
for font in "${FONT_PACKAGES[@]}"; do
    dpkg -s "$font" >/dev/null 2>&1 || missing+=("$font")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "ensure-chromium: need root (or sudo) to install: ${missing[*]}" >&2
        [ -x "$CHROMIUM" ] && exit 0
        exit 1
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-chromium: apt-get not available; cannot install: ${missing[*]}" >&2
    [ -x "$CHROMIUM" ] && exit 0
    exit 1
fi

echo "ensure-chromium: installing ${missing[*]} ..."
export DEBIAN_FRONTEND=noninteractive
install_ok=1
if ! $SUDO apt-get update -qq; then
    echo "ensure-chromium: 'apt-get update' failed." >&2
    install_ok=0
elif ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    echo "ensure-chromium: 'apt-get install ${missing[*]}' failed." >&2
    install_ok=0
fi

if [ ! -x "$CHROMIUM" ]; then
    echo "ensure-chromium: $CHROMIUM is still missing; the browser tests cannot run." >&2
    exit 1
fi
if [ "$install_ok" -eq 0 ]; then
    # Chromium is there; only fonts are missing, which makes screenshots uglier, not wrong.
    echo "ensure-chromium: continuing without some of: ${FONT_PACKAGES[*]}." >&2
    exit 0
fi
echo "ensure-chromium: ready ($("$CHROMIUM" --version 2>/dev/null || echo chromium))."
