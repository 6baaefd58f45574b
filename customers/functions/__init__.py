"""The functions the customers domain registers (listed in radbill.functions.registry.FUNCTION_MODULES)."""
from customers.functions import customers, dashboard, imports, portal, sessions, zones  # noqa: F401  (registers them)
from radbill.functions.registry import declare
from customers.functions import signups  # noqa: F401,E402  (issue 14: sign-up, OTP login, profile)
from customers.functions import vouchers  # noqa: F401,E402  (issue 14: hotspot vouchers)
from customers.functions import custom_fields, family  # noqa: F401,E402  (issue 17)

# customer's money columns and form values (declared here while customers.py is being rewritten
# for the lifecycle; move them into Customers.money when that lands)
MONEY = frozenset({"advance_balance", "custom_price", "billing_profile"})
for _name in ("customer", "customer.edit"):
    declare(_name, money=MONEY)
declare("customer.delete", money=False)
from customers.functions import bulk  # noqa: F401,E402  (issue 17: customer.bulk, customer.bulk_mac)
from customers.functions import import_radbill  # noqa: F401,E402  (issue 17: from another radbill)
from customers.functions import transfer  # noqa: F401,E402  (issue 19: customer.transfer)
