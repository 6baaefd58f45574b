"""Provisioning's functions: NAS, routers, OLTs, ONUs, devices, the outbox."""
from provisioning.functions import devices, nas, outbox, routers  # noqa: F401  (registers them)
from provisioning.functions import router_console  # noqa: F401  (issue 18: router.log, router.print)
