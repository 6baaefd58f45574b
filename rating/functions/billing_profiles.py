"""billing_profile, billing_profile.edit, billing_profile.delete: how and when customers are billed."""
from __future__ import annotations

from radbill.functions import fields as F
from radbill.functions.registry import Call, FuncError
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.functions.shared import SharedEntity
from radbill.models import BillingProfile
from radbill.models.catalog import BILLING_TERMS, DISCOUNT_KINDS


class BillingProfiles(SharedEntity):
    name = "billing_profile"
    model = BillingProfile
    fields = [
        F.Field("name", F.name_text, required=True),
        F.Field("term", F.choice(*BILLING_TERMS), clearable=False),
        F.Field("due_day", F.integer(1, 28), clearable=False),
        F.Field("grace_days", F.integer(0, 90), clearable=False),
        F.Field("auto_bill", F.boolean, clearable=False),
        F.Field("min_validity_days", F.integer(0, 3660), clearable=False),
        F.Field("discount_kind", F.choice(*DISCOUNT_KINDS), clearable=False),
        F.Field("discount_value", F.amount(), clearable=False),
        F.Field("operator", str),
        F.Field("due_reminder_days", F.integer(0, 60), clearable=False,
                help="remind this many days before the due date (0: only on the day)"),
        F.Field("expiry_notice_days", F.integer(0, 60),
                help="prepaid: warn this many days before the validity ends; empty: the default"),
    ]
    columns = ["id", "name", "term", "due_day", "grace_days", "auto_bill", "min_validity_days",
               "discount_kind", "discount_value", "operator_id", "due_reminder_days",
               "expiry_notice_days"]
    search = ["name"]
    filters = {"term": "term"}
    money = True  # discounts and billing terms
    list_roles = CUSTOMER_VIEWERS
    edit_roles = RESELLERS

    def form(self, call: Call, obj):
        if obj is not None:
            return self.row(obj)
        return {"term": "monthly", "due_day": 1, "grace_days": 0, "auto_bill": True,
                "min_validity_days": 0, "discount_kind": "none", "discount_value": "0.00"}

    def apply(self, call: Call, obj: BillingProfile, values: dict, creating: bool) -> None:
        super().apply(call, obj, values, creating)
        for key, default in self.form(call, None).items():
            if getattr(obj, key) is None:
                setattr(obj, key, default)
        if obj.discount_kind == "percent" and obj.discount_value > 100:
            raise FuncError("a percentage cannot exceed 100", field="discount_value")


ENTITY = BillingProfiles().register()
