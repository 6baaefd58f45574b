"""Messaging's functions: template*, msg_gateway*, message, broadcast*, otp.*."""
import importlib

# each module registers its functions on import; modules are added as they are written
for _name in ("templates", "gateways", "messages", "broadcasts", "otp"):
    try:
        importlib.import_module(f"messaging.functions.{_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"messaging.functions.{_name}":
            raise
