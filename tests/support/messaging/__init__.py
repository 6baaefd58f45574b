"""Emulators of message gateways' published APIs (SMS, WhatsApp, e-mail), one module each, on
the shared base in base.py."""
