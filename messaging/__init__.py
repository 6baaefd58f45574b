"""Talking to subscribers and staff (issue 13).

events -> outbox `notify`/`alert` rows -> compose.py turns each into `messages` rows (template
per event x channel x language x operator, rendered in Jinja2's sandbox by templating.py) ->
sender.py sends queued messages through the operator's gateway (drivers/), retrying transient
errors with backoff and giving up at once on a permanent one -> delivery reports and incoming
messages come back through webhooks.py. Broadcasts and OTPs write `messages` directly.
"""
