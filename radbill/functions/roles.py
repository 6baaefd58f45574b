"""Which roles may do what; the system administrator may do everything."""
RESELLERS = ("group_admin", "operator", "sub_operator")
ISP_ADMINS = ("group_admin",)
CUSTOMER_VIEWERS = RESELLERS + ("manager", "noc")
DEVICE_STAFF = ("group_admin", "noc")
MONEY_STAFF = RESELLERS + ("manager",)
RANK = {"admin": 0, "group_admin": 1, "operator": 2, "sub_operator": 3,
        "manager": 4, "noc": 4, "card_distributor": 4}
# the operator level each role's login must sit at (None: any level)
ROLE_LEVEL = {"admin": "group", "group_admin": "group", "operator": "operator",
              "sub_operator": "sub", "manager": None, "noc": None, "card_distributor": None}
# the roles that see no money: money functions refuse them, money columns are stripped for them
NO_MONEY_ROLES = frozenset({"noc"})


def sees_money(role: str) -> bool:
    return role not in NO_MONEY_ROLES
