"""template, template.edit, template.delete, template.preview (messaging/functions/templates.py):
saving checked wording, the cascade operator -> parent -> default, a preview for a real
customer in Bangla, hostile templates refused naming the body, and the operator subtree."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from messaging import compose, defaults, segments
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import AuditLog, Message, MessageTemplate, Operator
from tests.support.factories import caller_of, fn, make_customer, make_operator, make_user


@pytest.fixture
def tree(session):
    """The ISP, two resellers under it (each with a login and a customer), a sub-reseller."""
    customer = make_customer(session)  # makes the ISP (the root) on first use
    isp = session.get(Operator, customer.operator_id)
    a = make_operator(session, name="resA", parent=isp.name)
    b = make_operator(session, name="resB", parent=isp.name)
    sub = make_operator(session, name="resA-east", parent="resA")
    anna = caller_of(session, make_user(session, login="anna", role="operator", operator="resA"))
    ben = caller_of(session, make_user(session, login="ben", role="operator", operator="resB"))
    karim = make_customer(session, anna, username="karim", name="করিম উদ্দিন",
                          mobile="01711000001", lang="bn", operator="resA-east")
    bob = make_customer(session, ben, username="bob", name="Bob", mobile="01711000002")
    return dict(isp=isp, a=a, b=b, sub=sub, anna=anna, ben=ben, karim=karim, bob=bob)


def wording(session, operator, event="payment.received", channel="sms", lang="en"):
    return compose.template(session, operator.id, event, channel, lang)


def test_edit_saves_once_per_key_and_the_cascade_falls_back_on_delete(session, tree):
    isp, a, sub, anna = tree["isp"], tree["a"], tree["sub"], tree["anna"]
    assert wording(session, sub).source == "default"
    top = fn(session, "template.edit", sok="ok", event="payment.received", channel="sms",
             lang="en", body="Got {{ amount }} {{ currency }}, thanks {{ name }}.")
    assert wording(session, sub).body.startswith("Got") and wording(session, sub).source == \
        f"operator {isp.id}"
    mine = fn(session, "template.edit", anna, sok="ok", event="payment.received", channel="sms",
              lang="en", body="resA: {{ amount }} received.")
    assert session.get(MessageTemplate, mine.elid).operator_id == a.id  # the caller's own
    assert wording(session, sub).body == "resA: {{ amount }} received."
    # the same key again changes that row instead of adding one
    again = fn(session, "template.edit", anna, sok="ok", event="payment.received",
               channel="sms", lang="en", body="resA: {{ amount }} received, thank you.")
    assert again.elid == mine.elid
    assert session.scalar(sa.select(sa.func.count()).select_from(MessageTemplate)) == 2
    audit = session.scalars(sa.select(AuditLog).where(AuditLog.func == "template.edit")
                            .order_by(AuditLog.id.desc())).first()
    assert audit.object_id == mine.elid and audit.operator_id == a.id
    # the list shows what resA's customers get, and from where
    rows = fn(session, "template", anna, event="payment.received", channel="sms").rows
    by_lang = {r["lang"]: r for r in rows}
    assert by_lang["en"]["source"] == "custom" and by_lang["en"]["id"] == mine.elid
    assert by_lang["bn"]["source"] == "default"
    assert by_lang["bn"]["body"] == defaults.DEFAULTS[("payment.received", "sms", "bn")][1]
    sub_rows = fn(session, "template", anna, operator="resA-east", event="payment.received",
                  channel="sms", lang="en").rows
    assert [(r["source"], r["id"], r["operator_id"]) for r in sub_rows] == [
        ("inherited", None, a.id)]
    # delete: back to the parent's wording, then to the default
    fn(session, "template.delete", anna, elid=str(mine.elid))
    assert wording(session, sub).source == f"operator {isp.id}"
    fn(session, "template.delete", elid=str(top.elid))
    assert wording(session, sub).source == "default"


def test_a_switched_off_template_sends_nothing_and_keeps_the_wording(session, tree):
    anna = tree["anna"]
    made = fn(session, "template.edit", anna, sok="ok", event="customer.activated",
              channel="email", lang="bn", enabled="off")
    row = session.get(MessageTemplate, made.elid)
    assert row.enabled is False
    assert row.body == defaults.DEFAULTS[("customer.activated", "email", "bn")][1]
    assert not wording(session, tree["sub"], "customer.activated", "email", "bn").enabled


def test_subject_only_for_email_and_checked(session, tree):
    with pytest.raises(FuncError) as exc:
        fn(session, "template.edit", sok="ok", event="bill.due", channel="sms", lang="en",
           subject="Due", body="{{ name }}")
    assert exc.value.errors == {"subject": "only e-mail messages have a subject"}
    with pytest.raises(FuncError) as exc:
        fn(session, "template.edit", sok="ok", event="bill.due", channel="email", lang="en",
           subject="{{ bill.total }}", body="{{ name }}")
    assert list(exc.value.errors) == ["subject"] and "bill.total" in exc.value.errors["subject"]
    ok = fn(session, "template.edit", sok="ok", event="bill.due", channel="email", lang="en",
            subject="Due today: {{ amount_due }}", body="Dear {{ name }},\n\nPay today.")
    assert session.get(MessageTemplate, ok.elid).subject == "Due today: {{ amount_due }}"


HOSTILE = [
    ("{{ customer.__class__ }}", "customer.__class__"),
    ("{{ ''.__class__.__mro__ }}", "__mro__"),
    ("{{ name.__class__.__init__.__globals__ }}", "__globals__"),
    ("{% for x in name %}{{ x }}{% endfor %}", "for is not allowed"),
    ("{% for %}", "line 1"),
    ("{{ nam }}", "unknown variable nam"),
    ("{{ name }} {{ foo }} {{ bar }}", "unknown variables bar, foo"),
    ("{{ name|attr('__class__') }}", "the filter 'attr' is not allowed"),
    ("{{ lipsum() }}", "call is not allowed"),
    ("{% include 'x' %}", "include is not allowed"),
    ("{{ code }}", "unknown variable code"),  # otp's variable, not payment.received's
]


@pytest.mark.parametrize("body,says", HOSTILE)
def test_hostile_templates_are_refused_naming_the_body(session, tree, body, says):
    with pytest.raises(FuncError) as exc:
        fn(session, "template.edit", tree["anna"], sok="ok", event="payment.received",
           channel="sms", lang="en", body=body)
    assert list(exc.value.errors) == ["body"], exc.value.errors
    assert says in exc.value.errors["body"]
    assert exc.value.status == 400
    assert session.scalar(sa.select(sa.func.count()).select_from(MessageTemplate)) == 0
    # a preview of the same text is refused alike
    with pytest.raises(FuncError) as exc:
        fn(session, "template.preview", tree["anna"], event="payment.received", channel="sms",
           customer="karim", body=body)
    assert list(exc.value.errors) == ["body"]


def test_unknown_variables_name_what_the_event_has(session, tree):
    with pytest.raises(FuncError) as exc:
        fn(session, "template.edit", sok="ok", event="bill.due", channel="sms", lang="en",
           body="{{ nam }} owes {{ amount_due }}")
    message = exc.value.errors["body"]
    assert "unknown variable nam" in message and "bill.due has:" in message
    assert "amount_due" in message and "due_date" in message


def test_bad_keys_are_refused_naming_the_field(session, tree):
    cases = [
        (dict(event="payment.nope", channel="sms", lang="en", body="x"), "event"),
        (dict(event="bill.due", channel="fax", lang="en", body="x"), "channel"),
        (dict(event="bill.due", channel="sms", lang="fr", body="x"), "lang"),
        (dict(event="bill.due", channel="telegram", lang="en", body="{{ name }}"), "channel"),
        (dict(event="alert", channel="whatsapp", lang="en", body="{{ title }}"), "channel"),
        (dict(channel="sms", lang="en", body="x"), "event"),
        (dict(event="bill.due", channel="sms", lang="en"), "body"),
        (dict(event="bill.due", channel="sms", lang="en", body="x" * 5000), "body"),
        (dict(event="bill.due", channel="sms", lang="en", body="{{ name }}", operator="nobody"),
         "operator"),
    ]
    for params, field in cases:
        with pytest.raises(FuncError) as exc:
            fn(session, "template.edit", sok="ok", **params)
        assert field in exc.value.errors, (params, exc.value.errors)


def test_a_reseller_cannot_touch_another_resellers_templates_or_customers(session, tree):
    ben, anna = tree["ben"], tree["anna"]
    theirs = fn(session, "template.edit", ben, sok="ok", event="bill.due", channel="sms",
                lang="en", body="resB: pay {{ amount_due }}")
    with pytest.raises(AccessDenied) as exc:
        fn(session, "template.edit", anna, sok="ok", event="bill.due", channel="sms",
           lang="en", operator="resB", body="hijacked {{ name }}")
    assert exc.value.field == "operator"
    with pytest.raises(NotFound):
        fn(session, "template.edit", anna, sok="ok", elid=str(theirs.elid), body="x {{ name }}")
    fn(session, "template.delete", anna, elid=str(theirs.elid))  # nothing of anna's: no-op
    assert session.get(MessageTemplate, theirs.elid).body == "resB: pay {{ amount_due }}"
    # nor sees them, nor the ISP's own rows
    rows = fn(session, "template", anna, event="bill.due", channel="sms").rows
    assert theirs.elid not in [r["id"] for r in rows]
    with pytest.raises(AccessDenied):
        fn(session, "template", anna, operator="resB")
    # nor previews their customer
    with pytest.raises(NotFound) as exc:
        fn(session, "template.preview", anna, event="bill.due", channel="sms", customer="bob")
    assert exc.value.field == "customer"
    # the ISP's admin sees them all, as custom rows under the ISP
    rows = fn(session, "template", event="bill.due", channel="sms", lang="en").rows
    assert ("custom", theirs.elid) in [(r["source"], r["id"]) for r in rows]


def test_preview_renders_for_a_bangla_customer_without_sending(session, tree):
    anna = tree["anna"]
    result = fn(session, "template.preview", anna, event="payment.received", channel="sms",
                customer="karim")
    v = result.values
    assert v["lang"] == "bn" and v["source"] == "default" and v["customer"] == "karim"
    assert "করিম উদ্দিন" in v["body"] and "পেয়েছি" in v["body"] and "{{" not in v["body"]
    count = segments.count(v["body"])
    assert (v["segments"], v["encoding"]) == (count.segments, "ucs2")
    assert v["subject"] == ""
    # in English, by e-mail: a subject
    v = fn(session, "template.preview", anna, event="bill.due_soon", channel="email",
           customer="karim", lang="en").values
    assert v["lang"] == "en" and v["subject"].startswith("Your bill is due on")
    assert v["body"].startswith("Dear করিম উদ্দিন,")
    # a text being written: rendered, not saved
    v = fn(session, "template.preview", anna, event="customer.created", channel="sms",
           customer="karim", body="{{ name|upper }} @ {{ package }}").values
    assert v["body"].startswith("করিম উদ্দিন @ ") and v["source"] == "given"
    assert (v["segments"], v["encoding"]) == (1, "ucs2")
    assert session.scalar(sa.select(sa.func.count()).select_from(Message)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(MessageTemplate)) == 0


def test_the_form_starts_from_the_wording_in_force(session, tree):
    form = fn(session, "template.edit", tree["anna"], event="bill.due", channel="sms", lang="bn")
    assert form.elid is None
    assert form.values["body"] == defaults.DEFAULTS[("bill.due", "sms", "bn")][1]
    assert form.values["operator"] == "resA" and "amount_due" in form.values["variables"]
