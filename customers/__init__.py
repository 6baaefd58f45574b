"""Customers: the subscriber, its zones, its RADIUS sessions and its own portal functions."""
