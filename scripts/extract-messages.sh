#!/usr/bin/env bash
# Refresh the message catalogs after adding or changing any user-facing text:
#
#     scripts/extract-messages.sh
#
# 1. pybabel extract (stock), over the files babel.cfg names, with the keywords below, writes
#    the template locales/duban.pot.
# 2. scripts/babel_duban.py sync adds every new msgid that no other zh catalog translates to
#    locales/zh/LC_MESSAGES/core.po with an empty msgstr, and lists what needs translating.
#    (Texts of enterprise registration and invitations belong in registration.po instead.)
# 3. Translate the empty entries, then check: .venv/bin/python -m pytest tests/bot/test_catalog.py
#
# Message ids are the English texts: write t(lang, "Case {number}", number=...), never an
# f-string, and never call t()/tr() inside an f-string (Python 3.11's tokenizer hides such calls
# from pybabel; tests/bot/test_catalog.py refuses both). Texts kept in constants or dicts must be
# wrapped in N_() where they are written; counted texts use tn(lang, singular, plural, n).
#
# Keywords: t(lang, msgid) · tn(lang, singular, plural, n) · ctx.tr(msgid) · N_(msgid) ·
# button(lang, label, data) in services/messages · the domain errors (msgid first) ·
# drafts.name_draft(kind, msgid) · say(msgid) in handlers/registry.py · Phrase(msgid), a
# parameter translated along with its message (services/errors.py).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
"$BIN/pybabel" --quiet extract \
    --mapping-file=babel.cfg \
    --no-default-keywords \
    --keyword=t:2 --keyword=tn:2,3 --keyword=tr:1 --keyword=N_:1 --keyword=button:2 \
    --keyword=InvalidInput:1 --keyword=NotFound:1 --keyword=NotAllowed:1 \
    --keyword=InvalidState:1 --keyword=DomainError:1 \
    --keyword=name_draft:2 --keyword=say:1 --keyword=Phrase:1 \
    --project=duban --header-comment="# Message ids of duban (督办): the English texts. Made by scripts/extract-messages.sh." \
    --sort-output --width=100 \
    --output-file=locales/duban.pot \
    .
"$BIN/python" scripts/babel_duban.py sync
