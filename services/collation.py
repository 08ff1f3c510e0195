"""Names in the reader's alphabetical order: pinyin for Chinese, letters for English.

Python sorts Chinese by code point, which is no order a reader knows (县发改委 before 县电力局
because 发 is U+53D1 and 电 U+7535). Dictionaries order by pinyin, syllable by syllable, then
by tone; pypinyin gives each character's reading.
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

from services.messages.common import Named, name_of


@lru_cache(maxsize=1024)
def pinyin_key(text: str) -> tuple[tuple[str, int], ...]:
    """``text`` as (letters, tone) per syllable; the neutral tone after the fourth."""
    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)
    return tuple((s.rstrip("12345"), int(s[-1]) if s[-1:].isdigit() else 0) for s in syllables)


def name_key(lang: str, unit: Named) -> tuple[object, ...]:
    """Sort key for a department's or park's name as a reader of ``lang`` reads it."""
    name = name_of(lang, unit)
    if lang == "zh":
        return (pinyin_key(name), name)
    return (name.casefold(), name)
