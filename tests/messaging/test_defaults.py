"""The default templates (messaging/defaults.py): every event that messages a customer has one
on SMS and e-mail in English and Bangla, each passes templating.check, e-mails have a subject,
and a Bangla SMS with typical values stays within two UCS-2 segments."""
from __future__ import annotations

import pytest

from messaging import defaults, segments, templating

# broadcast's text is written for each broadcast; alert is for staff (Telegram and e-mail)
CUSTOMER_EVENTS = sorted(set(templating.EVENTS) - {"broadcast", "alert"})
# a payment link as compose.payment_link makes it (a 30-character token)
LINK = "https://isp.example.com/portal/pay/l/AAAwOQAAAAAB2XhCu4Hf2BIWd5jJ4Q"
TYPICAL = {
    "en": dict(name="Rahim Uddin", username="rahim", package="Home 10M", operator="SpeedNet",
               operator_phone="+8801711000000", currency="BDT", expires="Dec 31, 2026",
               amount_due="1,500.00", portal="https://isp.example.com/portal", amount="1,500.00",
               method="cash", receipt="MR-12345", reason="unpaid", bill_total="1,500.00",
               due_date="Nov 10, 2026", days_left="3", code="123456", minutes="5",
               title="Device down", details="nas: nas1"),
    "bn": dict(name="রহিম উদ্দিন", username="rahim", package="Home 10M", operator="স্পিডনেট",
               operator_phone="+8801711000000", currency="BDT", expires="৩১ ডিসে, ২০২৬",
               amount_due="১,৫০০.০০", portal="https://isp.example.com/portal",
               amount="১,৫০০.০০", method="নগদ", receipt="MR-12345", reason="অপরিশোধিত",
               bill_total="১,৫০০.০০", due_date="১০ নভে, ২০২৬", days_left="৩", code="123456",
               minutes="৫", title="Device down", details="nas: nas1"),
}


def test_every_customer_event_has_sms_and_email_in_english_and_bangla():
    missing = [(event, channel, lang) for event in CUSTOMER_EVENTS for channel in ("sms", "email")
               for lang in ("en", "bn") if (event, channel, lang) not in defaults.DEFAULTS]
    assert missing == []
    for lang in ("en", "bn"):
        assert ("alert", "telegram", lang) in defaults.DEFAULTS
        assert ("alert", "email", lang) in defaults.DEFAULTS


def test_whatsapp_falls_back_to_the_sms_text():
    for event in CUSTOMER_EVENTS:
        for lang in ("en", "bn"):
            assert defaults.get(event, "whatsapp", lang) == defaults.DEFAULTS[(event, "sms", lang)]


@pytest.mark.parametrize("key", sorted(defaults.DEFAULTS), ids="-".join)
def test_every_default_passes_the_check_and_renders(key):
    event, channel, lang = key
    subject, body = defaults.DEFAULTS[key]
    assert templating.check(body, event) == []
    if channel == "email":
        assert subject and templating.check(subject, event) == []
        assert templating.render(subject, TYPICAL[lang]).strip()
        assert "\n\n" in body  # paragraphs: the HTML part is made from them
    else:
        assert subject is None
    text = templating.render(body, TYPICAL[lang])
    assert "{{" not in text and "{%" not in text and text == text.strip()
    if lang == "bn" and event != "alert":
        assert any("\u0980" <= ch <= "\u09ff" for ch in text)  # written in Bangla


@pytest.mark.parametrize("event", CUSTOMER_EVENTS)
def test_bangla_sms_stay_within_two_segments(event):
    values = dict(TYPICAL["bn"])
    if event == "payment.link_sent":
        values["link"] = LINK  # the text is the link
    text = templating.render(defaults.DEFAULTS[(event, "sms", "bn")][1], values)
    count = segments.count(text)
    assert count.encoding == "ucs2"
    assert count.segments <= 2, f"{count.units} units: {text}"


@pytest.mark.parametrize("event", CUSTOMER_EVENTS)
def test_english_sms_fit_one_segment(event):
    values = dict(TYPICAL["en"])
    if event == "payment.link_sent":
        values["link"] = LINK
    text = templating.render(defaults.DEFAULTS[(event, "sms", "en")][1], values)
    count = segments.count(text)
    assert count.encoding == "gsm7" and count.segments == 1, f"{count.units}: {text}"
