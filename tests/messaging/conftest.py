"""Messaging tests: the gateway emulators and helpers are in tests/support/messaging/."""
from tests.support.messaging.fixtures import *  # noqa: F401,F403
