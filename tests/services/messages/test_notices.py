"""Takeover and expiry notices, rendered without a database."""

from __future__ import annotations

from models import Department
from services.messages import drafts, invitations


def test_takeover_notices_name_the_department_in_the_readers_language(drc: Department) -> None:
    text, buttons = invitations.liaison_replaced("zh", new="Li <new>", department=drc)
    assert "县发改委" in text and "Li &lt;new&gt;" in text and buttons is None
    text, _ = invitations.liaison_head_notice("en", new="Li", department=drc, old=["Sun", "Zhao"])
    assert text == "Li is now the liaison of County DRC, replacing Sun, Zhao."


def test_an_expired_draft_is_named_or_called_a_conversation() -> None:
    text, _ = drafts.expired("en", what=None)
    assert text.startswith("Your unfinished conversation was discarded")
    text, _ = drafts.expired("zh", what="enterprise registration")
    assert "企业登记" in text
