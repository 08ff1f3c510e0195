"""Split long HTML texts into Telegram-sized pieces without breaking tags or entities."""

from __future__ import annotations

import html
import re

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")


def escape(text: object) -> str:
    """Escape user text for parse_mode=HTML."""
    return html.escape(str(text), quote=False)


def shorten(text: str, limit: int) -> str:
    """Plain text cut to ``limit`` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _safe_cut(chunk: str, limit: int) -> int:
    """A cut position at or before ``limit`` that is not inside a tag or an entity."""
    cut = limit
    newline = chunk.rfind("\n", 0, limit)
    if newline > limit // 2:
        return newline + 1
    space = chunk.rfind(" ", 0, limit)
    if space > limit // 2:
        cut = space + 1
    lt, gt = chunk.rfind("<", 0, cut), chunk.rfind(">", 0, cut)
    if lt > gt:
        cut = lt
    amp, semi = chunk.rfind("&", 0, cut), chunk.rfind(";", 0, cut)
    if amp > semi and cut - amp <= 10:
        cut = amp
    return max(cut, 1)


def split_html(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters; tags open at a cut are closed and reopened."""
    pieces: list[str] = []
    rest = text
    reopen = ""
    while rest:
        budget = limit - len(reopen)
        if len(rest) <= budget:
            pieces.append(reopen + rest)
            break
        # Leave room for the closing tags this piece may need; deep nesting needs more.
        reserve = 40
        while True:
            cut = _safe_cut(rest, max(budget - reserve, 1))
            piece = reopen + rest[:cut]
            open_tags = _open_tags(piece)
            closers = "".join(f"</{name}>" for name, _ in reversed(open_tags))
            overflow = len(piece.rstrip("\n")) + len(closers) - limit
            if overflow <= 0 or reserve >= budget:
                break
            reserve += overflow
        pieces.append(piece.rstrip("\n") + closers)
        reopen = "".join(tag for _, tag in open_tags)
        rest = rest[cut:]
    return [p for p in pieces if p.strip()] or [text[:limit]]


def _open_tags(piece: str) -> list[tuple[str, str]]:
    """Tags still open at the end of ``piece``: (name, the opening tag as written)."""
    open_tags: list[tuple[str, str]] = []
    for match in _TAG.finditer(piece):
        closing, name = match.group(1), match.group(2).lower()
        if closing:
            for i in range(len(open_tags) - 1, -1, -1):
                if open_tags[i][0] == name:
                    del open_tags[i]
                    break
        else:
            open_tags.append((name, match.group(0)))
    return open_tags


def strip_tags(text: str) -> str:
    """Plain text from our HTML, for the fallback when Telegram rejects the markup."""
    return html.unescape(_TAG.sub("", text))
