#!/usr/bin/env bash
# Refresh the message catalogs after adding or changing any user-facing text:
#
#     scripts/extract-messages.sh
#
# 1. pybabel extract, configured by babel.cfg (bot/, handlers/, services/, scheduler/; keywords
#    t:2 tr:1 N_:1 and the domain errors), writes the template locales/duban.pot.
# 2. scripts/babel_duban.py sync adds every new msgid that no other zh catalog translates to
#    locales/zh/LC_MESSAGES/core.po with an empty msgstr, and lists what needs translating.
#    (Texts of enterprise registration and invitations belong in registration.po instead.)
# 3. Translate the empty entries, then check: .venv/bin/python -m pytest tests/test_catalog.py
#
# Message ids are the English texts: write t(lang, "Case {number}", number=...), never an
# f-string; texts kept in constants or dicts must be wrapped in N_() where they are written.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
# babel.cfg names the extraction method babel_duban:extract (scripts/babel_duban.py).
export PYTHONPATH="scripts${PYTHONPATH:+:$PYTHONPATH}"
"$BIN/pybabel" --quiet extract \
    --mapping-file=babel.cfg \
    --no-default-keywords --keyword=N_ \
    --project=duban --header-comment="# Message ids of duban (督办): the English texts. Made by scripts/extract-messages.sh." \
    --sort-output --width=100 \
    --output-file=locales/duban.pot \
    .
"$BIN/python" scripts/babel_duban.py sync
