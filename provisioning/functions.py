"""Provisioning's functions (listed in registry.FUNCTION_MODULES): routers, OLTs, ONUs, devices."""
from provisioning import devicefuncs, outboxfuncs, routerfuncs  # noqa: F401  (registers them)
