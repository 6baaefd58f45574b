"""The default wording of every event that messages someone, per channel and language, used
when neither the operator nor any ancestor has its own (message_templates). `whatsapp` uses the
`sms` text unless it has its own; `email` has a subject and a longer, friendlier body (the HTML
part is made from it: messaging/compose.html_of).

SMS texts are short: a Bangla SMS is UCS-2, 70 characters in one segment and 67 in each part of
a longer one, so the Bangla ones stay within two segments with typical values (a name, a
username, an amount, a date; tests/messaging/test_defaults.py counts them). Amounts in Bangla
say টাকা, as Bangladeshi ISPs write them; English says {{ currency }}.

`broadcast` has no default: a broadcast's text is written for it (or names an event's template).
`alert` (staff) is on Telegram (the chain's chats), SMS and e-mail (on-call logins, in the
login's language: ALERT_TITLES names the event in Bangla).

DEFAULTS[(event, channel, lang)] = (subject, body)
"""
from __future__ import annotations

SIGN = "\n- {{ operator }}"
SIGN_BN = "\n- {{ operator }}"
IF_LINK = "{% if link %} Pay: {{ link }}{% endif %}"
IF_LINK_BN = "{% if link %} পরিশোধ: {{ link }}{% endif %}"

# e-mail: a greeting, the text, how to reach the operator, a signature
HELLO = "Dear {{ name }},\n\n"
HELLO_BN = "প্রিয় {{ name }},\n\n"
CLOSE = ("\n\n{% if operator_phone %}If you have any questions, call us at {{ operator_phone }}."
         "\n\n{% endif %}Thank you,\n{{ operator }}")
CLOSE_BN = ("\n\n{% if operator_phone %}যেকোনো প্রয়োজনে কল করুন: {{ operator_phone }}\n\n"
            "{% endif %}ধন্যবাদান্তে,\n{{ operator }}")
PORTAL = ("{% if portal %}\n\nYou can see your bills and pay online in the self-care portal: "
          "{{ portal }}{% endif %}")
PORTAL_BN = ("{% if portal %}\n\nসেলফ-কেয়ার পোর্টালে আপনার বিল দেখতে ও অনলাইনে পরিশোধ করতে "
             "পারবেন: {{ portal }}{% endif %}")
PAY = ("{% if link %}\n\nYou can pay online here: {{ link }}{% endif %}")
PAY_BN = ("{% if link %}\n\nঅনলাইনে পরিশোধ করুন: {{ link }}{% endif %}")

SMS: dict[tuple[str, str], str] = {
    # -- English ------------------------------------------------------------------------------
    ("customer.created", "en"): "Welcome {{ name }}! Your internet account {{ username }} "
                                "({{ package }}) is ready." + SIGN,
    ("customer.suspended", "en"): "Dear {{ name }}, your internet account {{ username }} is "
                                  "suspended{% if reason %} ({{ reason }}){% endif %}."
                                  "{% if amount_due %} Due: {{ amount_due }} {{ currency }}."
                                  "{% endif %}" + IF_LINK + SIGN,
    ("customer.activated", "en"): "Dear {{ name }}, your internet account {{ username }} is "
                                  "active again." + SIGN,
    ("customer.disabled", "en"): "Dear {{ name }}, your internet account {{ username }} is "
                                 "disabled{% if reason %} ({{ reason }}){% endif %}." + SIGN,
    ("customer.expiring", "en"): "Dear {{ name }}, your package for {{ username }} ends on "
                                 "{{ expires }} ({{ days_left }} days). Please recharge." + SIGN,
    ("customer.fup_reached", "en"): "Dear {{ name }}, {{ username }} has reached its fair-usage "
                                    "limit; speed is reduced until the next cycle." + SIGN,
    ("bill.created", "en"): "Dear {{ name }}, your bill of {{ bill_total }} {{ currency }} for "
                            "{{ username }} falls due on {{ due_date }}." + SIGN,
    ("bill.due_soon", "en"): "Dear {{ name }}, your bill of {{ amount_due or bill_total }} "
                             "{{ currency }} for {{ username }} falls due on {{ due_date }}."
                             + IF_LINK + SIGN,
    ("bill.due", "en"): "Dear {{ name }}, your bill of {{ amount_due or bill_total }} "
                        "{{ currency }} for {{ username }} is due today." + IF_LINK + SIGN,
    ("payment.received", "en"): "Dear {{ name }}, we received {{ amount }} {{ currency }} for "
                                "{{ username }} (receipt {{ receipt }}).{% if expires %} Valid "
                                "until {{ expires }}.{% endif %}" + SIGN,
    ("payment.reversed", "en"): "Dear {{ name }}, the payment of {{ amount }} {{ currency }} for "
                                "{{ username }} was reversed{% if reason %} ({{ reason }})"
                                "{% endif %}." + SIGN,
    ("payment.link_sent", "en"): "Dear {{ name }}, pay {{ amount }} {{ currency }} for "
                                 "{{ username }} here: {{ link }}" + SIGN,
    ("otp", "en"): "Your code is {{ code }}. It expires in {{ minutes }} minutes. Do not share "
                   "it." + SIGN,
    # -- Bangla ---------------------------------------------------------------------------------
    ("customer.created", "bn"): "স্বাগতম {{ name }}! আপনার ইন্টারনেট সংযোগ {{ username }} "
                                "({{ package }}) চালু হয়েছে।" + SIGN_BN,
    ("customer.suspended", "bn"): "প্রিয় {{ name }}, আপনার সংযোগ {{ username }} বন্ধ করা "
                                  "হয়েছে{% if reason %} ({{ reason }}){% endif %}।"
                                  "{% if amount_due %} বকেয়া {{ amount_due }} টাকা।{% endif %}"
                                  + IF_LINK_BN + SIGN_BN,
    ("customer.activated", "bn"): "প্রিয় {{ name }}, আপনার সংযোগ {{ username }} আবার চালু "
                                  "হয়েছে। ধন্যবাদ।" + SIGN_BN,
    ("customer.disabled", "bn"): "প্রিয় {{ name }}, আপনার সংযোগ {{ username }} নিষ্ক্রিয় করা "
                                 "হয়েছে{% if reason %} ({{ reason }}){% endif %}।" + SIGN_BN,
    ("customer.expiring", "bn"): "প্রিয় {{ name }}, {{ username }} এর মেয়াদ {{ expires }} "
                                 "শেষ হবে ({{ days_left }} দিন বাকি)। দয়া করে রিচার্জ করুন।"
                                 + SIGN_BN,
    ("customer.fup_reached", "bn"): "প্রিয় {{ name }}, {{ username }} এর ব্যবহারসীমা শেষ; "
                                    "পরের বিলিং চক্র পর্যন্ত স্পিড কম থাকবে।" + SIGN_BN,
    ("bill.created", "bn"): "প্রিয় {{ name }}, {{ username }} এর {{ bill_total }} টাকার বিল "
                            "হয়েছে, পরিশোধের শেষ তারিখ {{ due_date }}।" + SIGN_BN,
    ("bill.due_soon", "bn"): "প্রিয় {{ name }}, {{ username }} এর {{ amount_due or bill_total }} "
                             "টাকার বিল {{ due_date }} তারিখে পরিশোধযোগ্য।" + IF_LINK_BN
                             + SIGN_BN,
    ("bill.due", "bn"): "প্রিয় {{ name }}, {{ username }} এর {{ amount_due or bill_total }} "
                        "টাকার বিল পরিশোধের আজ শেষ দিন।" + IF_LINK_BN + SIGN_BN,
    ("payment.received", "bn"): "প্রিয় {{ name }}, {{ username }} এর {{ amount }} টাকা পেয়েছি "
                                "(রসিদ {{ receipt }})।{% if expires %} মেয়াদ {{ expires }} "
                                "পর্যন্ত।{% endif %} ধন্যবাদ।" + SIGN_BN,
    ("payment.reversed", "bn"): "প্রিয় {{ name }}, {{ username }} এর {{ amount }} টাকার "
                                "পেমেন্ট বাতিল হয়েছে{% if reason %} ({{ reason }}){% endif %}।"
                                + SIGN_BN,
    ("payment.link_sent", "bn"): "{{ username }} এর {{ amount }} টাকা অনলাইনে পরিশোধ করুন: "
                                 "{{ link }}" + SIGN_BN,
    ("otp", "bn"): "আপনার কোড {{ code }}। {{ minutes }} মিনিট পর্যন্ত বৈধ। কাউকে জানাবেন না।"
                   + SIGN_BN,
    # -- issue 14, sign-up -------------------------------------------------------------------
    ("signup.approved", "en"): "Welcome {{ name }}! Your internet account is approved. "
                               "Username: {{ username }} Password: {{ password }} "
                               "({{ package }})" + SIGN,
    ("signup.rejected", "en"): "Dear {{ name }}, your sign-up was not approved"
                               "{% if reason %} ({{ reason }}){% endif %}." + SIGN,
    ("signup.approved", "bn"): "স্বাগতম {{ name }}! আপনার ইন্টারনেট সংযোগ অনুমোদিত হয়েছে। "
                               "ইউজারনেম: {{ username }} পাসওয়ার্ড: {{ password }} "
                               "({{ package }})" + SIGN_BN,
    ("signup.rejected", "bn"): "প্রিয় {{ name }}, আপনার আবেদন অনুমোদিত হয়নি"
                               "{% if reason %} ({{ reason }}){% endif %}।" + SIGN_BN,
    # -- end issue 14, sign-up ---------------------------------------------------------------
    # -- issue 14, package change -----------------------------------------------------------
    # an upgrade's bill sends no bill.created notice: this one names it
    ("customer.package_changed", "en"): "Dear {{ name }}, {{ username }} is now on {{ package }}."
                                        "{% if amount %} The difference for this period, "
                                        "{{ amount }} {{ currency }}, is billed"
                                        "{% if bill_number %} (bill {{ bill_number }}, due "
                                        "{{ due_date }}){% endif %}.{% endif %}" + SIGN,
    ("package_change.scheduled", "en"): "Dear {{ name }}, {{ username }} moves to "
                                        "{{ new_package }} on {{ effective_on }}"
                                        "{% if status == 'pending' %}, once approved{% endif %}."
                                        + SIGN,
    ("package_change.refused", "en"): "Dear {{ name }}, your package change for {{ username }} "
                                      "was not approved{% if reason %} ({{ reason }}){% endif %}"
                                      ". You stay on {{ package }}." + SIGN,
    ("package_change.cancelled", "en"): "Dear {{ name }}, your package change for {{ username }}"
                                        " was cancelled. You stay on {{ package }}." + SIGN,
    ("customer.package_changed", "bn"): "প্রিয় {{ name }}, {{ username }} এর প্যাকেজ এখন "
                                        "{{ package }}।{% if amount %} পার্থক্য {{ amount }} "
                                        "টাকা বিল হয়েছে{% if bill_number %} (বিল {{ bill_number }}, "
                                        "শেষ তারিখ {{ due_date }}){% endif %}।{% endif %}"
                                        + SIGN_BN,
    ("package_change.scheduled", "bn"): "প্রিয় {{ name }}, {{ username }} {{ effective_on }} "
                                        "থেকে {{ new_package }} প্যাকেজে যাবে"
                                        "{% if status == 'pending' %} (অনুমোদনের পর){% endif %}।"
                                        + SIGN_BN,
    ("package_change.refused", "bn"): "প্রিয় {{ name }}, {{ username }} এর প্যাকেজ পরিবর্তন "
                                      "অনুমোদিত হয়নি{% if reason %} ({{ reason }}){% endif %}।"
                                      + SIGN_BN,
    ("package_change.cancelled", "bn"): "প্রিয় {{ name }}, {{ username }} এর প্যাকেজ পরিবর্তন "
                                        "বাতিল হয়েছে।" + SIGN_BN,
    # -- end issue 14, package change -------------------------------------------------------
    # -- issue 14, complaints ---------------------------------------------------------------
    ("complaint.acknowledged", "en"): "Dear {{ name }}, we are working on your complaint "
                                      "#{{ complaint_id }} ({{ subject|truncate(40) }})." + SIGN,
    ("complaint.commented", "en"): "Dear {{ name }}, a reply to your complaint "
                                   "#{{ complaint_id }}: {{ comment|truncate(60) }}" + SIGN,
    ("complaint.resolved", "en"): "Dear {{ name }}, your complaint #{{ complaint_id }} is "
                                  "resolved. Not so? Reply in the portal." + SIGN,
    ("complaint.acknowledged", "bn"): "প্রিয় {{ name }}, আপনার অভিযোগ #{{ complaint_id }} "
                                      "নিয়ে আমরা কাজ করছি।" + SIGN_BN,
    ("complaint.commented", "bn"): "প্রিয় {{ name }}, অভিযোগ #{{ complaint_id }} এর উত্তর "
                                   "এসেছে; পোর্টালে দেখুন।" + SIGN_BN,
    ("complaint.resolved", "bn"): "প্রিয় {{ name }}, আপনার অভিযোগ #{{ complaint_id }} এর "
                                  "সমাধান হয়েছে।" + SIGN_BN,
    # -- issue 18, staff alerts to on-call logins (short: the details are cut) -------------
    ("alert", "en"): "{{ title }}: {{ details|truncate(130) }}",
    ("alert", "bn"): "সতর্কবার্তা: {{ title }}। {{ details|truncate(100) }}",
}

EMAIL: dict[tuple[str, str], tuple[str, str]] = {
    # -- English ------------------------------------------------------------------------------
    ("customer.created", "en"): (
        "Welcome to {{ operator }}",
        HELLO + "Welcome to {{ operator }}! Your internet account is ready.\n\n"
        "Username: {{ username }}\nPackage: {{ package }}"
        "{% if expires %}\nValid until: {{ expires }}{% endif %}" + PORTAL + CLOSE),
    ("customer.suspended", "en"): (
        "Your internet account {{ username }} is suspended",
        HELLO + "Your internet account {{ username }} has been suspended"
        "{% if reason %} ({{ reason }}){% endif %}."
        "{% if amount_due %}\n\nThe amount due is {{ amount_due }} {{ currency }}. Once it is "
        "paid, your connection comes back on its own.{% endif %}" + PAY + CLOSE),
    ("customer.activated", "en"): (
        "Your internet account {{ username }} is active again",
        HELLO + "Good news: your internet account {{ username }} is active again"
        "{% if expires %} and valid until {{ expires }}{% endif %}. If it does not connect, "
        "please restart your router." + CLOSE),
    ("customer.disabled", "en"): (
        "Your internet account {{ username }} is disabled",
        HELLO + "Your internet account {{ username }} has been disabled"
        "{% if reason %} ({{ reason }}){% endif %}. If you think this is a mistake, please "
        "contact us." + CLOSE),
    ("customer.expiring", "en"): (
        "Your package ends on {{ expires }}",
        HELLO + "Your package {{ package }} for {{ username }} ends on {{ expires }}, in "
        "{{ days_left }} days. Please recharge before then to stay connected."
        + PAY + CLOSE),
    ("customer.fup_reached", "en"): (
        "{{ username }} has reached its fair-usage limit",
        HELLO + "Your account {{ username }} has used its fair-usage allowance for this cycle, "
        "so its speed is reduced until the next cycle begins. Full speed returns on its own."
        + CLOSE),
    ("bill.created", "en"): (
        "Your bill of {{ bill_total }} {{ currency }}",
        HELLO + "Your new bill for {{ username }} is ready.\n\n"
        "Amount: {{ bill_total }} {{ currency }}\nDue date: {{ due_date }}"
        + PAY + PORTAL + CLOSE),
    ("bill.due_soon", "en"): (
        "Your bill is due on {{ due_date }}",
        HELLO + "This is a friendly reminder: your bill of {{ amount_due or bill_total }} "
        "{{ currency }} for {{ username }} falls due on {{ due_date }}"
        "{% if days_left %}, in {{ days_left }} days{% endif %}. Please pay on time to keep "
        "your connection running." + PAY + CLOSE),
    ("bill.due", "en"): (
        "Your bill is due today",
        HELLO + "Your bill of {{ amount_due or bill_total }} {{ currency }} for {{ username }} "
        "is due today. Please pay today to keep your connection running." + PAY + CLOSE),
    ("payment.received", "en"): (
        "Payment received: {{ amount }} {{ currency }}",
        HELLO + "Thank you! We received your payment for {{ username }}.\n\n"
        "Amount: {{ amount }} {{ currency }}{% if method %}\nPaid by: {{ method }}{% endif %}"
        "\nReceipt: {{ receipt }}{% if expires %}\nValid until: {{ expires }}{% endif %}"
        + CLOSE),
    ("payment.reversed", "en"): (
        "Your payment of {{ amount }} {{ currency }} was reversed",
        HELLO + "The payment of {{ amount }} {{ currency }} for {{ username }} was reversed"
        "{% if reason %} ({{ reason }}){% endif %}."
        "{% if amount_due %} The amount due is now {{ amount_due }} {{ currency }}.{% endif %}"
        + CLOSE),
    ("payment.link_sent", "en"): (
        "Pay {{ amount }} {{ currency }} online",
        HELLO + "You can pay {{ amount }} {{ currency }} for {{ username }} online with this "
        "link:\n\n{{ link }}\n\nThe link is valid for a few days." + CLOSE),
    ("otp", "en"): (
        "Your code: {{ code }}",
        HELLO + "Your one-time code is {{ code }}. It is valid for {{ minutes }} minutes.\n\n"
        "Do not share it with anyone; we will never ask you for it." + CLOSE),
    ("alert", "en"): ("[radbill] {{ title }}", "{{ title }}\n\n{{ details }}"),
    # -- Bangla ---------------------------------------------------------------------------------
    ("customer.created", "bn"): (
        "{{ operator }}-এ আপনাকে স্বাগতম",
        HELLO_BN + "{{ operator }}-এ আপনাকে স্বাগতম! আপনার ইন্টারনেট সংযোগ চালু হয়েছে।\n\n"
        "ইউজারনেম: {{ username }}\nপ্যাকেজ: {{ package }}"
        "{% if expires %}\nমেয়াদ: {{ expires }} পর্যন্ত{% endif %}" + PORTAL_BN + CLOSE_BN),
    ("customer.suspended", "bn"): (
        "আপনার সংযোগ {{ username }} বন্ধ করা হয়েছে",
        HELLO_BN + "আপনার ইন্টারনেট সংযোগ {{ username }} বন্ধ করা হয়েছে"
        "{% if reason %} ({{ reason }}){% endif %}।"
        "{% if amount_due %}\n\nবকেয়া {{ amount_due }} টাকা। পরিশোধ করলেই সংযোগ নিজে থেকে "
        "আবার চালু হবে।{% endif %}" + PAY_BN + CLOSE_BN),
    ("customer.activated", "bn"): (
        "আপনার সংযোগ {{ username }} আবার চালু হয়েছে",
        HELLO_BN + "সুখবর: আপনার ইন্টারনেট সংযোগ {{ username }} আবার চালু হয়েছে"
        "{% if expires %}, মেয়াদ {{ expires }} পর্যন্ত{% endif %}। সংযোগ না পেলে রাউটারটি "
        "একবার বন্ধ করে আবার চালু করুন।" + CLOSE_BN),
    ("customer.disabled", "bn"): (
        "আপনার সংযোগ {{ username }} নিষ্ক্রিয় করা হয়েছে",
        HELLO_BN + "আপনার ইন্টারনেট সংযোগ {{ username }} নিষ্ক্রিয় করা হয়েছে"
        "{% if reason %} ({{ reason }}){% endif %}। ভুল মনে হলে অনুগ্রহ করে আমাদের সাথে "
        "যোগাযোগ করুন।" + CLOSE_BN),
    ("customer.expiring", "bn"): (
        "আপনার প্যাকেজের মেয়াদ {{ expires }} শেষ হবে",
        HELLO_BN + "{{ username }} এর প্যাকেজ {{ package }}-এর মেয়াদ {{ expires }} শেষ হবে "
        "({{ days_left }} দিন বাকি)। সংযোগ চালু রাখতে অনুগ্রহ করে এর আগেই রিচার্জ করুন।"
        + PAY_BN + CLOSE_BN),
    ("customer.fup_reached", "bn"): (
        "{{ username }} এর ব্যবহারসীমা শেষ হয়েছে",
        HELLO_BN + "আপনার সংযোগ {{ username }} এই বিলিং চক্রের ফেয়ার ইউসেজ সীমা পূর্ণ করেছে, "
        "তাই পরের চক্র শুরু না হওয়া পর্যন্ত স্পিড কম থাকবে। এরপর পূর্ণ স্পিড নিজে থেকেই "
        "ফিরে আসবে।" + CLOSE_BN),
    ("bill.created", "bn"): (
        "আপনার {{ bill_total }} টাকার বিল",
        HELLO_BN + "{{ username }} এর নতুন বিল তৈরি হয়েছে।\n\n"
        "পরিমাণ: {{ bill_total }} টাকা\nপরিশোধের শেষ তারিখ: {{ due_date }}"
        + PAY_BN + PORTAL_BN + CLOSE_BN),
    ("bill.due_soon", "bn"): (
        "আপনার বিল {{ due_date }} তারিখে পরিশোধযোগ্য",
        HELLO_BN + "সবিনয়ে মনে করিয়ে দিচ্ছি: {{ username }} এর {{ amount_due or bill_total }} "
        "টাকার বিল {{ due_date }} তারিখে পরিশোধযোগ্য{% if days_left %} ({{ days_left }} দিন "
        "বাকি){% endif %}। সংযোগ চালু রাখতে সময়মতো পরিশোধ করুন।" + PAY_BN + CLOSE_BN),
    ("bill.due", "bn"): (
        "আজ আপনার বিল পরিশোধের শেষ দিন",
        HELLO_BN + "{{ username }} এর {{ amount_due or bill_total }} টাকার বিল পরিশোধের আজ "
        "শেষ দিন। সংযোগ চালু রাখতে আজই পরিশোধ করুন।" + PAY_BN + CLOSE_BN),
    ("payment.received", "bn"): (
        "{{ amount }} টাকা পেয়েছি",
        HELLO_BN + "ধন্যবাদ! {{ username }} এর পেমেন্ট আমরা পেয়েছি।\n\n"
        "পরিমাণ: {{ amount }} টাকা{% if method %}\nমাধ্যম: {{ method }}{% endif %}"
        "\nরসিদ: {{ receipt }}{% if expires %}\nমেয়াদ: {{ expires }} পর্যন্ত{% endif %}"
        + CLOSE_BN),
    ("payment.reversed", "bn"): (
        "আপনার {{ amount }} টাকার পেমেন্ট বাতিল হয়েছে",
        HELLO_BN + "{{ username }} এর {{ amount }} টাকার পেমেন্ট বাতিল করা হয়েছে"
        "{% if reason %} ({{ reason }}){% endif %}।"
        "{% if amount_due %} এখন বকেয়া {{ amount_due }} টাকা।{% endif %}" + CLOSE_BN),
    ("payment.link_sent", "bn"): (
        "অনলাইনে {{ amount }} টাকা পরিশোধ করুন",
        HELLO_BN + "এই লিংকে {{ username }} এর {{ amount }} টাকা অনলাইনে পরিশোধ করতে "
        "পারবেন:\n\n{{ link }}\n\nলিংকটি কয়েক দিন বৈধ থাকবে।" + CLOSE_BN),
    ("otp", "bn"): (
        "আপনার কোড: {{ code }}",
        HELLO_BN + "আপনার এককালীন কোড {{ code }}। এটি {{ minutes }} মিনিট বৈধ থাকবে।\n\n"
        "কোডটি কাউকে জানাবেন না; আমরা কখনো এটি চাইব না।" + CLOSE_BN),
    ("alert", "bn"): ("[radbill] {{ title }}", "সতর্কবার্তা: {{ title }}\n\n{{ details }}"),
    # -- issue 14, sign-up -------------------------------------------------------------------
    ("signup.approved", "en"): (
        "Your internet account is approved",
        HELLO + "Your sign-up is approved and your internet account is ready.\n\n"
        "Username (PPPoE): {{ username }}\nPassword: {{ password }}\nPackage: {{ package }}"
        "\n\nEnter them in your router's PPPoE settings. Keep the password to yourself."
        + PORTAL + CLOSE),
    ("signup.rejected", "en"): (
        "Your sign-up was not approved",
        HELLO + "We are sorry: your sign-up was not approved"
        "{% if reason %} ({{ reason }}){% endif %}." + CLOSE),
    ("signup.approved", "bn"): (
        "আপনার ইন্টারনেট সংযোগ অনুমোদিত হয়েছে",
        HELLO_BN + "আপনার আবেদন অনুমোদিত হয়েছে, সংযোগ প্রস্তুত।\n\n"
        "ইউজারনেম (PPPoE): {{ username }}\nপাসওয়ার্ড: {{ password }}\nপ্যাকেজ: {{ package }}"
        "\n\nরাউটারের PPPoE সেটিংসে এগুলো দিন। পাসওয়ার্ড কাউকে জানাবেন না।"
        + PORTAL_BN + CLOSE_BN),
    ("signup.rejected", "bn"): (
        "আপনার আবেদন অনুমোদিত হয়নি",
        HELLO_BN + "দুঃখিত, আপনার আবেদন অনুমোদিত হয়নি"
        "{% if reason %} ({{ reason }}){% endif %}।" + CLOSE_BN),
    # -- end issue 14, sign-up ---------------------------------------------------------------
    # -- issue 14, package change -----------------------------------------------------------
    ("customer.package_changed", "en"): (
        "Your package is now {{ package }}",
        HELLO + "Your account {{ username }} is now on the package {{ package }}. If the new "
        "speed does not show, please restart your router."
        "{% if amount %}\n\nThe difference for the rest of this period is on a new bill"
        "{% if bill_number %} (number {{ bill_number }}){% endif %}.\n\nAmount: {{ amount }} "
        "{{ currency }}{% if due_date %}\nDue date: {{ due_date }}{% endif %}{% endif %}"
        + PAY + PORTAL + CLOSE),
    ("package_change.scheduled", "en"): (
        "Your package change for {{ username }} is recorded",
        HELLO + "We have recorded your package change for {{ username }}. It takes effect at "
        "the start of your next cycle, or once we approve it; until then you stay on "
        "{{ package }}." + PORTAL + CLOSE),
    ("package_change.refused", "en"): (
        "Your package change for {{ username }} was not approved",
        HELLO + "Your package change for {{ username }} was not approved"
        "{% if reason %} ({{ reason }}){% endif %}. You stay on {{ package }}." + CLOSE),
    ("package_change.cancelled", "en"): (
        "Your package change for {{ username }} was cancelled",
        HELLO + "Your package change for {{ username }} was cancelled"
        "{% if reason %} ({{ reason }}){% endif %}. You stay on {{ package }}." + CLOSE),
    ("customer.package_changed", "bn"): (
        "আপনার প্যাকেজ এখন {{ package }}",
        HELLO_BN + "আপনার সংযোগ {{ username }} এখন {{ package }} প্যাকেজে। নতুন স্পিড না পেলে "
        "রাউটারটি রিস্টার্ট করুন।"
        "{% if amount %}\n\nএই মেয়াদের বাকি দিনের পার্থক্য নতুন বিলে"
        "{% if bill_number %} (বিল নং {{ bill_number }}){% endif %} যোগ হয়েছে।\n\n"
        "পরিমাণ: {{ amount }} টাকা{% if due_date %}\nপরিশোধের শেষ তারিখ: {{ due_date }}"
        "{% endif %}{% endif %}" + PAY_BN + PORTAL_BN + CLOSE_BN),
    ("package_change.scheduled", "bn"): (
        "{{ username }} এর প্যাকেজ পরিবর্তনের অনুরোধ গৃহীত",
        HELLO_BN + "{{ username }} এর প্যাকেজ পরিবর্তনের অনুরোধ আমরা পেয়েছি। এটি পরের চক্রের "
        "শুরুতে বা অনুমোদনের পর কার্যকর হবে; ততদিন {{ package }} চালু থাকবে।"
        + PORTAL_BN + CLOSE_BN),
    ("package_change.refused", "bn"): (
        "{{ username }} এর প্যাকেজ পরিবর্তন অনুমোদিত হয়নি",
        HELLO_BN + "{{ username }} এর প্যাকেজ পরিবর্তন অনুমোদিত হয়নি"
        "{% if reason %} ({{ reason }}){% endif %}। {{ package }} চালু থাকবে।" + CLOSE_BN),
    ("package_change.cancelled", "bn"): (
        "{{ username }} এর প্যাকেজ পরিবর্তন বাতিল হয়েছে",
        HELLO_BN + "{{ username }} এর প্যাকেজ পরিবর্তন বাতিল হয়েছে"
        "{% if reason %} ({{ reason }}){% endif %}। {{ package }} চালু থাকবে।" + CLOSE_BN),
    # -- end issue 14, package change -------------------------------------------------------
    # -- issue 14, complaints (e-mail) ------------------------------------------------------
    ("complaint.acknowledged", "en"): (
        "Complaint #{{ complaint_id }}: we are on it",
        HELLO + "We have received your complaint #{{ complaint_id }} ({{ subject }}) and are "
        "working on it. You can follow it and reply in the self-care portal."
        "{% if portal %} {{ portal }}/complaints{% endif %}" + CLOSE),
    ("complaint.commented", "en"): (
        "Complaint #{{ complaint_id }}: a reply",
        HELLO + "There is a reply to your complaint #{{ complaint_id }} ({{ subject }}):\n\n"
        "{{ comment }}\n\nYou can answer in the self-care portal."
        "{% if portal %} {{ portal }}/complaints{% endif %}" + CLOSE),
    ("complaint.resolved", "en"): (
        "Complaint #{{ complaint_id }} is resolved",
        HELLO + "Your complaint #{{ complaint_id }} ({{ subject }}) is resolved. If the problem "
        "is still there, reply in the self-care portal and we will look again."
        "{% if portal %} {{ portal }}/complaints{% endif %}" + CLOSE),
    ("complaint.acknowledged", "bn"): (
        "অভিযোগ #{{ complaint_id }}: আমরা কাজ করছি",
        HELLO_BN + "আপনার অভিযোগ #{{ complaint_id }} ({{ subject }}) আমরা পেয়েছি এবং কাজ করছি। "
        "সেলফ-কেয়ার পোর্টালে এর অবস্থা দেখতে ও উত্তর দিতে পারবেন।"
        "{% if portal %} {{ portal }}/complaints{% endif %}" + CLOSE_BN),
    ("complaint.commented", "bn"): (
        "অভিযোগ #{{ complaint_id }}: নতুন উত্তর",
        HELLO_BN + "আপনার অভিযোগ #{{ complaint_id }} ({{ subject }}) এর উত্তর:\n\n"
        "{{ comment }}\n\nসেলফ-কেয়ার পোর্টালে উত্তর দিতে পারবেন।"
        "{% if portal %} {{ portal }}/complaints{% endif %}" + CLOSE_BN),
    ("complaint.resolved", "bn"): (
        "অভিযোগ #{{ complaint_id }} এর সমাধান হয়েছে",
        HELLO_BN + "আপনার অভিযোগ #{{ complaint_id }} ({{ subject }}) এর সমাধান হয়েছে। সমস্যা "
        "থেকে গেলে সেলফ-কেয়ার পোর্টালে জানান, আমরা আবার দেখব।"
        "{% if portal %} {{ portal }}/complaints{% endif %}" + CLOSE_BN),
}

TELEGRAM: dict[tuple[str, str], str] = {
    ("alert", "en"): "{{ title }}\n{{ details }}",
    ("alert", "bn"): "সতর্কবার্তা: {{ title }}\n{{ details }}",
}

# an alert's title in Bangla, for on-call logins whose language is bn (the catalogue's title
# is English: radbill/events.py)
ALERT_TITLES: dict[tuple[str, str], str] = {
    ("incident.opened", "bn"): "একটি চেক ডাউন",
    ("incident.resolved", "bn"): "চেক আবার সচল",
    ("incident.still_down", "bn"): "বারবার ডাউন হওয়া চেক এখনো ডাউন",
    ("device.down", "bn"): "একটি ডিভাইস সাড়া দিচ্ছে না",
    ("device.up", "bn"): "ডিভাইস আবার সাড়া দিচ্ছে",
    ("onu.hot", "bn"): "একটি ওএনইউ অতিরিক্ত গরম হয়ে চলছে",
    ("job.failed", "bn"): "একটি নির্ধারিত কাজ ব্যর্থ হয়েছে",
    ("gateway.error", "bn"): "একটি গেটওয়ে আমাদের অনুরোধ ফিরিয়ে দিচ্ছে",
    ("operator.low_balance", "bn"): "আপনার ব্যালেন্স কম",
    ("payment.reversed", "bn"): "পেমেন্ট বাতিল হয়েছে",
    ("approval.requested", "bn"): "একটি লেনদেন অনুমোদনের অপেক্ষায়",
    ("operator.suspended", "bn"): "আপনার অপারেটর অ্যাকাউন্ট স্থগিত",  # issue 19
    ("operator.resumed", "bn"): "আপনার অপারেটর অ্যাকাউন্ট আবার সক্রিয়",
}

DEFAULTS: dict[tuple[str, str, str], tuple[str | None, str]] = {
    **{(event, "sms", lang): (None, body) for (event, lang), body in SMS.items()},
    **{(event, "email", lang): pair for (event, lang), pair in EMAIL.items()},
    **{(event, "telegram", lang): (None, body) for (event, lang), body in TELEGRAM.items()},
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
