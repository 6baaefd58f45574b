"""The functions the staff domain registers (listed in radbill.functions.registry.FUNCTION_MODULES)."""
from staff.functions import (api_clients, logins, operators, permissions,  # noqa: F401
                             users)  # (registers them)
from staff.functions import operator_delete  # noqa: F401,E402  (issue 19: operator.delete)
from staff.functions import notices, provisioning_keys  # noqa: F401,E402  (issue 19: the tree)
