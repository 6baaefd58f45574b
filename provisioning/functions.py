"""Provisioning's functions (listed in registry.FUNCTION_MODULES): routers, OLTs, ONUs, devices."""
from provisioning import devicefuncs, routerfuncs  # noqa: F401  (importing registers them)
