"""A font with Chinese glyphs for the chart (scripts/ensure-fonts.sh installs one)."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

log = logging.getLogger(__name__)

# Tried in order: by family name (any installed CJK font matplotlib knows), then by file.
CJK_FAMILIES = (
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
CJK_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
PROBE = "县电力局督办"  # glyphs the chart shows; a font without them is no use


@cache
def cjk_family() -> str | None:
    """The family name of a usable CJK font, or None (logged once) when none is installed."""
    for path in CJK_FILES:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
    known = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in known and _has_glyphs(known[family]):
            return family
    log.warning(
        "no CJK font found (tried %s): the chart names departments by their codes and shows "
        "its labels in English; run scripts/ensure-fonts.sh to install fonts-wqy-microhei",
        ", ".join(CJK_FAMILIES),
    )
    return None


def _has_glyphs(path: str) -> bool:
    try:
        font = FT2Font(path)
    except (OSError, RuntimeError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in PROBE)
