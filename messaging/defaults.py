"""The default wording of every event that messages someone, per channel and language, used
when neither the operator nor any ancestor has its own (message_templates). `whatsapp` uses the
`sms` text unless it has its own; `email` adds a subject.

DEFAULTS[(event, channel, lang)] = (subject, body)
"""
from __future__ import annotations

SIGN = "\n- {{ operator }}"

DEFAULTS: dict[tuple[str, str, str], tuple[str | None, str]] = {
    # -- English ------------------------------------------------------------------------------
    ("customer.created", "sms", "en"): (None, "Welcome {{ name }}! Your internet account "
                                              "{{ username }} ({{ package }}) is ready." + SIGN),
    ("customer.suspended", "sms", "en"): (None, "Dear {{ name }}, your internet account "
                                                "{{ username }} is suspended{% if reason %} "
                                                "({{ reason }}){% endif %}.{% if amount_due %} "
                                                "Due: {{ amount_due }} {{ currency }}.{% endif %}"
                                                "{% if link %} Pay: {{ link }}{% endif %}" + SIGN),
    ("customer.activated", "sms", "en"): (None, "Dear {{ name }}, your internet account "
                                                "{{ username }} is active again." + SIGN),
    ("customer.disabled", "sms", "en"): (None, "Dear {{ name }}, your internet account "
                                               "{{ username }} is disabled." + SIGN),
    ("customer.expiring", "sms", "en"): (None, "Dear {{ name }}, your package for {{ username }}"
                                               " ends on {{ expires }} ({{ days_left }} days). "
                                               "Please recharge." + SIGN),
    ("customer.fup_reached", "sms", "en"): (None, "Dear {{ name }}, {{ username }} has reached "
                                                  "its fair-usage limit; speed is reduced until "
                                                  "the next cycle." + SIGN),
    ("bill.created", "sms", "en"): (None, "Dear {{ name }}, your bill of {{ bill_total }} "
                                          "{{ currency }} for {{ username }} falls due on "
                                          "{{ due_date }}." + SIGN),
    ("bill.due_soon", "sms", "en"): (None, "Dear {{ name }}, your bill of {{ amount_due }} "
                                           "{{ currency }} for {{ username }} falls due on "
                                           "{{ due_date }}.{% if link %} Pay: {{ link }}"
                                           "{% endif %}" + SIGN),
    ("bill.due", "sms", "en"): (None, "Dear {{ name }}, your bill of {{ amount_due }} "
                                      "{{ currency }} for {{ username }} is due today."
                                      "{% if link %} Pay: {{ link }}{% endif %}" + SIGN),
    ("payment.received", "sms", "en"): (None, "Dear {{ name }}, we received {{ amount }} "
                                              "{{ currency }} for {{ username }} (receipt "
                                              "{{ receipt }}). Valid until {{ expires }}." + SIGN),
    ("payment.reversed", "sms", "en"): (None, "Dear {{ name }}, the payment of {{ amount }} "
                                              "{{ currency }} for {{ username }} was reversed."
                                              + SIGN),
    ("payment.link_sent", "sms", "en"): (None, "Dear {{ name }}, pay {{ amount }} {{ currency }}"
                                               " for {{ username }} here: {{ link }}" + SIGN),
    ("otp", "sms", "en"): (None, "Your code is {{ code }}. It expires in {{ minutes }} minutes. "
                                 "Do not share it." + SIGN),
    ("alert", "telegram", "en"): (None, "{{ title }}\n{{ details }}"),
    # -- Bangla ---------------------------------------------------------------------------------
    ("bill.due_soon", "sms", "bn"): (None, "প্রিয় {{ name }}, {{ username }} এর {{ amount_due }} "
                                           "{{ currency }} বিল {{ due_date }} তারিখে পরিশোধযোগ্য।"
                                           "{% if link %} পরিশোধ: {{ link }}{% endif %}" + SIGN),
}


def get(event: str, channel: str, lang: str) -> tuple[str | None, str] | None:
    found = DEFAULTS.get((event, channel, lang))
    if found is None and channel == "whatsapp":
        found = DEFAULTS.get((event, "sms", lang))
    if found is None and channel == "email":
        sms = DEFAULTS.get((event, "sms", lang))
        if sms is not None:
            found = (None, sms[1])
    return found
