"""Logs: the audit log and the RADIUS authentication log."""
