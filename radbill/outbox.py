"""The outbox: side effects (CoA, Disconnect, notices) to carry out after commit.

Rows are derived from events only (radbill/events.py, the trigger in radbill/sql/events.sql);
nothing builds an outbox payload by hand. The worker (provisioning/worker.py) LISTENs here.
"""
CHANNEL = "radbill_outbox"
