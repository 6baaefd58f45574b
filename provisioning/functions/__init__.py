"""Provisioning's functions: NAS, routers, OLTs, ONUs, devices, the outbox."""
from provisioning.functions import devices, nas, outbox, routers  # noqa: F401  (registers them)
