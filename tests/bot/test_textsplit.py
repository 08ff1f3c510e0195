"""Long HTML texts cut into Telegram-sized pieces that Telegram will accept."""

from __future__ import annotations

import html
import itertools
import re

import pytest

from bot.textsplit import CAPTION_LIMIT, TEXT_LIMIT, escape, shorten, split_html, strip_tags

TAG = re.compile(r"<(/?)([a-z]+)[^>]*>")
ENTITY = re.compile(r"&(?:[a-z]+|#\d+);")


def assert_well_formed(piece: str) -> None:
    """Every tag opened in ``piece`` is closed in it, in order, and no entity is cut."""
    stack: list[str] = []
    for match in TAG.finditer(piece):
        closing, name = match.groups()
        if closing:
            assert stack and stack[-1] == name, f"</{name}> without <{name}> in {piece[:80]!r}"
            stack.pop()
        else:
            stack.append(name)
    assert stack == [], f"unclosed {stack} in piece ending {piece[-80:]!r}"
    assert "<" not in TAG.sub("", piece), "a tag was cut in half"
    for amp in re.finditer("&", piece):
        assert ENTITY.match(piece, amp.start()), f"cut entity near {piece[amp.start() :][:12]!r}"


def visible(text: str) -> str:
    """What the reader sees, ignoring the whitespace a cut may drop."""
    return re.sub(r"\s+", "", strip_tags(text))


def check(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    pieces = split_html(text, limit)
    for piece in pieces:
        assert len(piece) <= limit
        assert_well_formed(piece)
    assert visible("".join(pieces)) == visible(text)  # nothing lost, nothing doubled
    return pieces


def test_a_short_text_is_one_piece() -> None:
    text = "<b>交办单</b> 2026-0001: 县发改委 &amp; 县环保局"
    assert split_html(text) == [text]


def test_a_text_of_exactly_the_limit_is_one_piece() -> None:
    text = "字" * TEXT_LIMIT
    assert split_html(text) == [text]


def test_ten_thousand_chinese_characters_in_bold_survive() -> None:
    body = "坤昊实业二期电力增容需县级审批" * 667  # 10,005 characters, no spaces or newlines
    text = f"<b>{body}</b>"
    pieces = check(text)
    assert len(pieces) == 3
    for piece in pieces:
        assert piece.startswith("<b>")
        assert piece.endswith("</b>")
    assert "".join(strip_tags(p) for p in pieces) == body  # not a character lost or added


def test_tags_are_closed_and_reopened_across_cuts() -> None:
    line = '<a href="https://t.me/duban_bot?start=abc">链接</a> 园区企业反映问题，限时办结。\n'
    text = "<b>督办单</b>\n<i>" + line * 400 + "</i>"
    pieces = check(text)
    assert len(pieces) >= 2
    for previous, following in itertools.pairwise(pieces):
        assert previous.endswith("</i>")
        assert following.startswith("<i>")


def test_nested_tags_reopen_in_the_same_order() -> None:
    text = "<b><i>" + "慢作为扣分 " * 2000 + "</i></b>"
    pieces = check(text)
    assert len(pieces) >= 3
    for piece in pieces:
        assert piece.startswith("<b><i>")
        assert piece.endswith("</i></b>")


def test_deep_nesting_still_fits_the_limit() -> None:
    # The closing tags of this nesting take 50 characters: more than a fixed reserve.
    opening = "<blockquote><b><i><u><s><tg-spoiler><code>"
    closing = "</code></tg-spoiler></s></u></i></b></blockquote>"
    pieces = check(opening + "溯" * 10_000 + closing)
    assert all(piece.startswith(opening) and piece.endswith(closing) for piece in pieces)


def test_a_tag_with_attributes_is_reopened_whole() -> None:
    opening = '<a href="https://example.org/case/2026-0001">'
    text = opening + "x" * 9000 + "</a>"
    pieces = check(text)
    assert all(piece.startswith(opening) for piece in pieces)


@pytest.mark.parametrize("entity", ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"])
@pytest.mark.parametrize("offset", range(0, 12, 3))
def test_entities_are_never_split(entity: str, offset: int) -> None:
    # Entities placed so that some fall right on the natural cut position.
    text = "甲" * offset + (entity + "乙" * 7) * 1500
    pieces = check(text, limit=1000)
    assert sum(piece.count(entity) for piece in pieces) == 1500


def test_a_tag_is_never_cut_in_half() -> None:
    text = ("办结" * 10 + '<a href="https://t.me/x">链接</a>') * 400
    check(text, limit=500)


def test_cuts_prefer_line_breaks() -> None:
    lines = [f"{i:04d} 县电力局 杆线迁移 逾期" for i in range(600)]
    pieces = check("\n".join(lines))
    assert len(pieces) >= 2
    for piece in pieces:
        assert piece.split("\n")[-1] in lines  # every piece ends on a whole line


def test_every_piece_has_content() -> None:
    pieces = check("\n" * 5000 + "<b>内容</b>")
    assert all(piece.strip() for piece in pieces)


def test_escape_makes_user_text_safe_for_html() -> None:
    raw = 'A<b> & "C" 县发改委 </b>'
    escaped = escape(raw)
    assert escaped == 'A&lt;b&gt; &amp; "C" 县发改委 &lt;/b&gt;'
    assert html.unescape(escaped) == raw
    assert escape(2026) == "2026"


def test_strip_tags_gives_plain_text_back() -> None:
    assert strip_tags("<b>交办</b> &amp; <i>督办</i> &lt;3") == "交办 & 督办 <3"


def test_shorten_respects_the_caption_limit() -> None:
    text = "企" * 2000
    short = shorten(text, CAPTION_LIMIT)
    assert len(short) == CAPTION_LIMIT
    assert short.endswith("…")
    assert shorten("短", CAPTION_LIMIT) == "短"
