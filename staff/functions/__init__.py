"""The functions the staff domain registers (listed in radbill.functions.registry.FUNCTION_MODULES)."""
from staff.functions import logins, operators, users  # noqa: F401  (registers them)
