"""The functions the logs domain registers (listed in radbill.functions.registry.FUNCTION_MODULES)."""
from logs.functions import audit, events, tasks  # noqa: F401  (registers them)
