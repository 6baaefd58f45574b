"""The functions the staff domain registers (listed in radbill.functions.registry.FUNCTION_MODULES)."""
from staff.functions import api_clients, logins, operators, users  # noqa: F401  (registers them)
