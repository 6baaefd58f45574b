"""The monitoring domain's functions (listed in radbill.functions.registry.FUNCTION_MODULES)."""
from monitoring import devices  # noqa: F401  (a check for every new router and OLT)
from monitoring.functions import announcements, checks, incidents  # noqa: F401
from monitoring.functions import topology, topology_links  # noqa: F401,E402  (issue 18: the map)
