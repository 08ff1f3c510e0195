"""What every message looks like: pure renderers, one per outbox template, plus shared views.

Services decide what happened and who is told (services/notify.py); the functions here only
turn plain values into (text, buttons) in one language. Nothing here reads the database.
"""
