"""The integrations domain's functions (listed in radbill.functions.registry.FUNCTION_MODULES)."""
from integrations.functions import webhooks  # noqa: F401  (registers them)
