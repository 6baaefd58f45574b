"""Integrations (issue 15): machines that hear of our events, such as webhooks."""
