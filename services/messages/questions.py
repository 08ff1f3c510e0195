"""Questions to the enterprise and its answers."""

from __future__ import annotations

from bot.i18n import t
from bot.textsplit import escape, shorten
from services import callbacks
from services.messages.common import Named, Rendered, bold, button, name_of


def asker(lang: str, department: Named | None) -> str:
    """Who asked: the liaison's department, or the efficiency office."""
    return name_of(lang, department) if department is not None else t(lang, "the efficiency office")


def question(
    lang: str, *, note_id: int, number: str, department: Named | None, text: str
) -> Rendered:
    """note.question: to the enterprise, with a Reply button."""
    body = "\n".join(
        [
            "❓ " + t(lang, "A question about your case {number}", number=bold(number)),
            t(lang, "From: {who}", who=escape(asker(lang, department))),
            "",
            escape(text),
        ]
    )
    return body, [[button(lang, "Reply", callbacks.reply(note_id))]]


def answer(
    lang: str, *, number: str, question: str, answer: str, dispatch_case: int | None
) -> Rendered:
    """note.answer: to whoever asked (and the office); Dispatch if the case now waits for it."""
    body = "\n".join(
        [
            "💬 " + t(lang, "The enterprise answered about case {number}", number=bold(number)),
            t(lang, "Question: {text}", text=escape(shorten(question, 500))),
            t(lang, "Answer: {text}", text=escape(answer)),
        ]
    )
    if dispatch_case is None:
        return body, None
    return body, [[button(lang, "Dispatch", callbacks.case("dsp", dispatch_case))]]
