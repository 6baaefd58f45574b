"""The functions the packages domain registers (listed in radbill.functions.registry.FUNCTION_MODULES)."""
from packages.functions import packages, pools, walled_garden, pricelist  # noqa: F401  (registers them)
from packages.functions import replace  # noqa: F401,E402  (issue 17: package.replace, pool.replace)
