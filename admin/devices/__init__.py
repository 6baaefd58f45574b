"""Device pages (issue 6): routers and OLTs, their status, traffic and ONUs."""
from admin.devices.views import bp  # noqa: F401
from admin.devices import console  # noqa: F401  (issue 18: a router's log and read-only queries)
from admin.devices import olt_pages  # noqa: F401,E402  (issue 18: an OLT's log and VLANs)
