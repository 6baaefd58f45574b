"""Device pages (issue 6): routers and OLTs, their status, traffic and ONUs."""
from admin.devices.views import bp  # noqa: F401
