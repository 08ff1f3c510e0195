"""Telegram-style text handling: HTML parse_mode, bot_command entities, UTF-16 lengths."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Telegram's HTML parse_mode tags and the entity type each one produces.
TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_ATTR_NAME_RE = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*")
_UNQUOTED_RE = re.compile(r"[^\s>\"'`=<]+")
_CHAR_REF_RE = re.compile(
    r"&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z][A-Za-z0-9]{0,31}));"
)
# A command is "/word" optionally addressed "@botname", at the start or after whitespace.
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}+(?:@[A-Za-z0-9_]{3,32}+)?(?![A-Za-z0-9_@/])")


class EntityParseError(ValueError):
    """Text could not be parsed with the requested parse_mode."""


def utf16_len(text: str) -> int:
    """Length of text in UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[dict]:
    """bot_command entities for every /command (incl. /cmd@bot) in user text."""
    entities = []
    for match in _COMMAND_RE.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities


@dataclass
class _Open:
    tag: str
    start: int
    byte_offset: int
    entity: dict | None


class _HtmlParser:
    """Strict single-pass parser mirroring what Telegram accepts in parse_mode=HTML."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.out16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict] = []

    def byte_offset(self, pos: int | None = None) -> int:
        return len(self.src[: self.pos if pos is None else pos].encode("utf-8"))

    def fail(self, message: str, pos: int | None = None) -> EntityParseError:
        return EntityParseError(f"{message} at byte offset {self.byte_offset(pos)}")

    def emit(self, text: str) -> None:
        if text:
            self.out.append(text)
            self.out16 += utf16_len(text)

    def run(self) -> tuple[str, list[dict]]:
        src = self.src
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == "<":
                self.tag()
            elif ch == "&":
                self.char_ref()
            else:
                nxt = len(src)
                for stop in ("<", "&"):
                    found = src.find(stop, self.pos)
                    if found != -1:
                        nxt = min(nxt, found)
                self.emit(src[self.pos : nxt])
                self.pos = nxt
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def char_ref(self) -> None:
        match = _CHAR_REF_RE.match(self.src, self.pos)
        if match is None:
            raise self.fail('Character "&" must be escaped as "&amp;"')
        dec, hexa, name = match.groups()
        if name is not None:
            if name not in NAMED_ENTITIES:
                raise self.fail(f'Unsupported HTML entity "&{name};"')
            self.emit(NAMED_ENTITIES[name])
        else:
            code = int(dec) if dec is not None else int(hexa, 16)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise self.fail("Invalid numeric HTML entity")
            self.emit(chr(code))
        self.pos = match.end()

    def tag(self) -> None:
        start = self.pos
        src = self.src
        if src.startswith("</", start):
            match = _NAME_RE.match(src, start + 2)
            name = match.group(0).lower() if match else ""
            end = match.end() if match else start + 2
            while end < len(src) and src[end].isspace():
                end += 1
            if end >= len(src) or src[end] != ">":
                raise self.fail("Unclosed end tag", start)
            if not self.stack:
                raise self.fail("Unexpected end tag", start)
            top = self.stack[-1]
            if name != top.tag:
                raise self.fail(
                    f'Unmatched end tag, expected "</{top.tag}>", found "</{name}>"', start
                )
            self.stack.pop()
            self.close(top)
            self.pos = end + 1
            return
        match = _NAME_RE.match(src, start + 1)
        name = match.group(0).lower() if match else ""
        if match is None or name not in TAG_ENTITY:
            raise self.fail(f'Unsupported start tag "{name}"', start)
        attrs, end = self.attributes(match.end())
        self.pos = end
        self.open(name, attrs, start)

    def attributes(self, pos: int) -> tuple[dict[str, str], int]:
        src = self.src
        attrs: dict[str, str] = {}
        while True:
            while pos < len(src) and src[pos].isspace():
                pos += 1
            if pos >= len(src):
                raise self.fail("Unclosed start tag", pos)
            if src[pos] == ">":
                return attrs, pos + 1
            match = _ATTR_NAME_RE.match(src, pos)
            if match is None:
                raise self.fail("Expected equal sign in declaration of an attribute", pos)
            attr = match.group(0).lower()
            pos = match.end()
            while pos < len(src) and src[pos].isspace():
                pos += 1
            if pos < len(src) and src[pos] == "=":
                pos += 1
                while pos < len(src) and src[pos].isspace():
                    pos += 1
                if pos < len(src) and src[pos] in "\"'":
                    quote = src[pos]
                    close = src.find(quote, pos + 1)
                    if close == -1:
                        raise self.fail("Unclosed start tag", pos)
                    raw = src[pos + 1 : close]
                    pos = close + 1
                else:
                    umatch = _UNQUOTED_RE.match(src, pos)
                    if umatch is None:
                        raise self.fail("Unclosed start tag", pos)
                    raw = umatch.group(0)
                    pos = umatch.end()
                attrs[attr] = _decode_attr(raw)
            else:
                attrs[attr] = ""

    def open(self, name: str, attrs: dict[str, str], start: int) -> None:
        entity: dict | None = {"type": TAG_ENTITY[name]}
        if name == "span":
            if attrs.get("class") != "tg-spoiler":
                raise self.fail('Unsupported start tag "span"', start)
        elif name == "a":
            href = attrs.get("href", "").strip()
            entity = {"type": "text_link", "url": href} if href else None
        elif name == "blockquote" and "expandable" in attrs:
            entity = {"type": "expandable_blockquote"}
        elif name == "code" and self.stack and self.stack[-1].tag == "pre":
            # <pre><code class="language-x"> is one pre entity with a language, as in Telegram.
            language = attrs.get("class", "")
            pre = self.stack[-1]
            if language.startswith("language-") and pre.entity is not None:
                pre.entity["language"] = language[len("language-") :]
            entity = None
        self.stack.append(_Open(name, self.out16, self.byte_offset(start), entity))

    def close(self, item: _Open) -> None:
        length = self.out16 - item.start
        if item.entity is not None and length > 0:
            self.entities.append({**item.entity, "offset": item.start, "length": length})


def _decode_attr(raw: str) -> str:
    def repl(match: re.Match[str]) -> str:
        dec, hexa, name = match.groups()
        if name is not None:
            return NAMED_ENTITIES.get(name, match.group(0))
        code = int(dec) if dec is not None else int(hexa, 16)
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""

    return _CHAR_REF_RE.sub(repl, raw)


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Visible text and entities for Telegram HTML; raises EntityParseError like the Bot API."""
    return _HtmlParser(source).run()
