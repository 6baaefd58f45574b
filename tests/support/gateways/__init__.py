"""Emulators of the payment gateways' published APIs (one module per gateway, on base.py)."""
