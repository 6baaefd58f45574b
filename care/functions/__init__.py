"""The functions the care domain registers (listed in radbill.functions.registry.FUNCTION_MODULES)."""
from care.functions import complaints, portal  # noqa: F401  (registers them)
