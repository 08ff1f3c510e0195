#!/usr/bin/env bash
# Install a CJK font (WenQuanYi Micro Hei) so the /stats chart shows Chinese department names
# and labels as real glyphs. Quiet and idempotent when already installed. Without it the chart
# still renders, in English with department codes, and logs a warning.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

FONT_PACKAGE=fonts-wqy-microhei
FONT_FILE=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc

if [ -f "$FONT_FILE" ] || [ -z "$(not_installed "$FONT_PACKAGE")" ]; then
    exit 0
fi
if ! apt_install ensure-fonts "$FONT_PACKAGE"; then
    echo "ensure-fonts: charts fall back to codes; install a CJK font (e.g. $FONT_PACKAGE)." >&2
    exit 0
fi
echo "ensure-fonts: ready ($FONT_FILE)."
