#!/usr/bin/env bash
# Install a CJK font (WenQuanYi Micro Hei) so the /stats chart shows Chinese department names
# and labels as real glyphs. Quiet and idempotent when already installed. Without it the chart
# still renders, in English with department codes, and logs a warning.
set -euo pipefail

FONT_PACKAGE=fonts-wqy-microhei
FONT_FILE=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc

if [ -f "$FONT_FILE" ] || dpkg -s "$FONT_PACKAGE" >/dev/null 2>&1; then
    exit 0
fi

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=sudo
    else
        echo "ensure-fonts: need root (or sudo) to install $FONT_PACKAGE; charts fall back to codes." >&2
        exit 0
    fi
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-fonts: apt-get not available; install a CJK font (e.g. $FONT_PACKAGE) by hand." >&2
    exit 0
fi

echo "ensure-fonts: installing $FONT_PACKAGE ..."
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq || ! $SUDO apt-get install -y -qq --no-install-recommends "$FONT_PACKAGE" >/dev/null; then
    echo "ensure-fonts: could not install $FONT_PACKAGE; charts fall back to codes." >&2
    exit 0
fi
echo "ensure-fonts: ready ($FONT_FILE)."
