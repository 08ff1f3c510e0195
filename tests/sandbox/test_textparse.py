"""Unit tests of Telegram-style text parsing and image sniffing."""

from __future__ import annotations

import pytest

from sandbox.media import image_info, make_png
from sandbox.textparse import EntityParseError, command_entities, parse_html, utf16_len


def test_html_entities_are_utf16_offsets() -> None:
    text, entities = parse_html("😀 <b>粗体</b> and <i>it<u>al</u></i>")
    assert text == "😀 粗体 and ital"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "italic", "offset": 10, "length": 4},
        {"type": "underline", "offset": 12, "length": 2},
    ]
    assert utf16_len("😀") == 2


@pytest.mark.parametrize(
    ("tag", "entity"),
    [
        ("strong", "bold"),
        ("em", "italic"),
        ("ins", "underline"),
        ("s", "strikethrough"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("code", "code"),
        ("pre", "pre"),
        ("tg-spoiler", "spoiler"),
        ("blockquote", "blockquote"),
    ],
)
def test_every_supported_tag(tag: str, entity: str) -> None:
    text, entities = parse_html(f"x<{tag}>y</{tag}>")
    assert text == "xy"
    assert entities == [{"type": entity, "offset": 1, "length": 1}]


def test_links_spoiler_span_pre_language_and_char_refs() -> None:
    text, entities = parse_html(
        '<a href="https://example.org/?a=1&amp;b=2">link</a> <span class="tg-spoiler">s</span> '
        '<pre><code class="language-python">x = 1</code></pre> &lt;&gt;&amp;&quot;&#20013;&#x6587;'
    )
    assert text == 'link s x = 1 <>&"中文'
    assert {
        "type": "text_link",
        "url": "https://example.org/?a=1&b=2",
        "offset": 0,
        "length": 4,
    } in entities
    assert {"type": "spoiler", "offset": 5, "length": 1} in entities
    assert {"type": "pre", "language": "python", "offset": 7, "length": 5} in entities
    _, quoted = parse_html("<blockquote expandable>q</blockquote>")
    assert quoted == [{"type": "expandable_blockquote", "offset": 0, "length": 1}]


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo"'),
        ("<br>", 'Unsupported start tag "br"'),
        ("<span>x</span>", 'Unsupported start tag "span"'),
        ("a < b", 'Unsupported start tag ""'),
        ("Tom & Jerry", 'Character "&" must be escaped'),
        ("&nbsp;", "Unsupported HTML entity"),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", "Unmatched end tag"),
        ("x</b>", "Unexpected end tag"),
        ("<b x", "Unclosed start tag"),
        ('<a href="x>y', "Unclosed start tag"),
        ("<b>x</b", "Unclosed end tag"),
        ("&#0;", "Invalid numeric HTML entity"),
    ],
)
def test_malformed_html_is_rejected(source: str, fragment: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(source)
    assert fragment in str(caught.value)
    assert "byte offset" in str(caught.value) or "end tag corresponding" in str(caught.value)


def test_byte_offset_counts_utf8_bytes() -> None:
    with pytest.raises(EntityParseError, match="byte offset 6"):
        parse_html("中文<x>")


def test_command_entities_like_telegram() -> None:
    assert command_entities("/start") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("/start@duban_bot hi") == [
        {"type": "bot_command", "offset": 0, "length": 16}
    ]
    assert command_entities("请 /help 一下") == [{"type": "bot_command", "offset": 2, "length": 5}]
    assert command_entities("no/command here") == []
    assert command_entities("<b>x</b>") == []
    assert command_entities("plain text") == []


def test_image_sniffing() -> None:
    assert image_info(make_png(7, 5)) == ("image/png", 7, 5)
    assert image_info(b"GIF89a\x10\x00\x08\x00rest") == ("image/gif", 16, 8)
    jpeg = (
        b"\xff\xd8\xff\xe0\x00\x04ab"  # APP0 segment of length 4
        b"\xff\xc0\x00\x11\x08\x00\x30\x00\x40\x03"  # SOF0: height 48, width 64
    )
    assert image_info(jpeg) == ("image/jpeg", 64, 48)
    assert image_info(b"%PDF-1.7 not an image") is None
