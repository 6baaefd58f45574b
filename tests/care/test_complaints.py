"""The complaint desk (issue 14): a complaint from the portal through acknowledgement, an
internal and a public comment, resolution and closure; what the customer sees; the report's
figures against a hand count; reseller and NOC scoping; attachments; costs in the ledger."""
from __future__ import annotations

import base64
import datetime as dt
import statistics
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from customers.functions.portal import customer_caller
from radbill.functions.registry import AccessDenied, FuncError, NotFound
from radbill.models import Event, LedgerAccount, LedgerEntry, Outbox
from radbill.models.selfcare import Complaint, ComplaintCost
from tests.support.factories import caller_of, fn, make_customer, make_operator, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def desk(session):
    w = SimpleNamespace()
    w.isp = make_operator(session, name="isp")
    w.ra = make_operator(session, name="resA", parent="isp")
    w.rb = make_operator(session, name="resB", parent="isp")
    w.staff_a = caller_of(session, make_user(session, login="alice-op", role="operator",
                                             operator="resA"))
    w.staff_b = caller_of(session, make_user(session, login="bob-op", role="operator",
                                             operator="resB"))
    w.noc = caller_of(session, make_user(session, login="noc1", role="noc", operator="isp"))
    fn(session, "department.edit", sok="ok", name="Support")
    fn(session, "department.edit", sok="ok", name="Field")
    fn(session, "complaint_category.edit", sok="ok", name="No internet", department="Field",
       target_hours="4", technical="yes")
    fn(session, "complaint_category.edit", sok="ok", name="Billing", department="Support",
       target_hours="24")
    fn(session, "complaint_category.edit", sok="ok", name="Internal", department="Support",
       portal="no")
    w.cust = make_customer(session, username="cara", operator="resA", name="Cara")
    w.other = make_customer(session, username="dan", operator="resA")
    w.cust_b = make_customer(session, username="erin", operator="resB")
    w.me = customer_caller(session, w.cust)
    return w


def portal(session, caller, func, **params):
    return fn(session, func, caller, **params)


def test_a_complaint_from_the_portal_to_closure(session, desk):
    cats = [r["name"] for r in portal(session, desk.me, "portal.complaint_categories").values["rows"]]
    assert cats == ["Billing", "No internet"]  # not the staff-only one
    cid = portal(session, desk.me, "portal.complaint_new", category="No internet",
                 subject="Down since morning", message="The red light is on").elid
    c = session.get(Complaint, cid)
    assert (c.status, c.source, c.operator_id) == ("open", "portal", desk.ra.id)
    assert c.due_at - c.created_at == dt.timedelta(hours=4)
    # staff of the reseller: the working list, acknowledgement, comments, resolution
    rows = fn(session, "complaint", desk.staff_a).rows
    assert [r["id"] for r in rows] == [cid]
    fn(session, "complaint.edit", desk.staff_a, sok="ok", elid=cid, status="acknowledged",
       assignee="alice-op")
    with pytest.raises(FuncError) as exc:  # a jump
        fn(session, "complaint.edit", desk.staff_a, sok="ok", elid=cid, status="closed")
    assert exc.value.field == "status" and "only become in progress" in exc.value.message
    fn(session, "complaint.comment", desk.staff_a, complaint=cid, body="Fibre cut on road 4")
    fn(session, "complaint.comment", desk.staff_a, complaint=cid,
       body="A technician is on the way", public="yes")
    fn(session, "complaint.edit", desk.staff_a, sok="ok", elid=cid, status="in_progress")
    fn(session, "complaint.edit", desk.staff_a, sok="ok", elid=cid, status="resolved")
    portal(session, desk.me, "portal.complaint_reply", complaint=cid, body="Works now, thanks")
    portal(session, desk.me, "portal.complaint_close", complaint=cid)
    session.refresh(c)
    assert c.status == "closed" and c.acknowledged_at and c.resolved_at and c.closed_at
    # the customer sees only the public comments
    seen = portal(session, desk.me, "portal.complaint", elid=cid).values
    bodies = [m["body"] for m in seen["comments"]]
    assert bodies == ["The red light is on", "A technician is on the way", "Works now, thanks"]
    assert all(m["public"] for m in seen["comments"])
    staff_view = fn(session, "complaint.edit", desk.staff_a, elid=cid).values
    assert "Fibre cut on road 4" in [m["body"] for m in staff_view["comments"]]
    # closed: out of the working list, in the archive, still searchable
    assert fn(session, "complaint", desk.staff_a).rows == []
    assert [r["id"] for r in fn(session, "complaint", desk.staff_a, archive="1",
                                q="down since").rows] == [cid]
    # events: acknowledged, the staff's public comment and resolved notify the customer;
    # the internal comment and the customer's own reply do not
    names = [e.name for e in session.scalars(sa.select(Event).where(
        Event.data["complaint_id"].astext == str(cid)).order_by(Event.id))]
    assert names == ["complaint.created", "complaint.acknowledged", "complaint.commented",
                     "complaint.resolved", "complaint.commented", "complaint.closed"]
    notices = session.scalars(sa.select(Outbox).where(
        Outbox.kind == "notify", Outbox.payload["complaint_id"].astext == str(cid))).all()
    assert sorted(o.payload["event"] for o in notices) == [
        "complaint.acknowledged", "complaint.commented", "complaint.resolved"]
    # reopen counts
    fn(session, "complaint.edit", desk.staff_a, sok="ok", elid=cid, status="open")
    session.refresh(c)
    assert (c.status, c.reopened, c.closed_at) == ("open", 1, None)


def test_a_customer_never_sees_anothers_complaint(session, desk):
    cid = fn(session, "complaint.edit", desk.staff_a, sok="ok", customer="dan",
             category="Billing", subject="Double bill", message="charged twice").elid
    for func, params in (("portal.complaint", {"elid": cid}),
                         ("portal.complaint_reply", {"complaint": cid, "body": "hi"}),
                         ("portal.complaint_close", {"complaint": cid})):
        with pytest.raises(NotFound):
            portal(session, desk.me, func, **params)
    assert portal(session, desk.me, "portal.complaints").values["rows"] == []
    with pytest.raises(AccessDenied):  # staff functions are not the customer's
        fn(session, "complaint", desk.me)
    with pytest.raises(FuncError) as exc:  # a staff-only category
        portal(session, desk.me, "portal.complaint_new", category="Internal", subject="x",
               message="y")
    assert exc.value.field == "category"
    # another reseller's own category is not offered to this customer
    fn(session, "department.edit", desk.staff_b, sok="ok", name="B desk")
    fn(session, "complaint_category.edit", desk.staff_b, sok="ok", name="B only",
       department="B desk")
    cats = [r["name"] for r in portal(session, desk.me, "portal.complaint_categories").values["rows"]]
    assert "B only" not in cats
    with pytest.raises(FuncError):
        portal(session, desk.me, "portal.complaint_new", category="B only", subject="x",
               message="y")


def test_a_second_reseller_cannot_see_or_touch_the_firsts(session, desk):
    cid = fn(session, "complaint.edit", desk.staff_a, sok="ok", customer="cara",
             category="Billing", subject="Wrong amount", message="the bill is too high").elid
    assert fn(session, "complaint", desk.staff_b).rows == []
    assert fn(session, "complaint", desk.staff_b, archive="1").rows == []
    for func, params in (("complaint.edit", {"elid": cid}),
                         ("complaint.edit", {"elid": cid, "sok": "ok", "status": "acknowledged"}),
                         ("complaint.comment", {"complaint": cid, "body": "mine now"}),
                         ("complaint.attach", {"complaint": cid,
                                               "data": base64.b64encode(PNG).decode()}),
                         ("complaint.cost", {"complaint": cid, "description": "x",
                                             "amount": "10"})):
        with pytest.raises(NotFound):
            fn(session, func, desk.staff_b, **params)
    with pytest.raises(NotFound):  # nor open one for the first's customer
        fn(session, "complaint.edit", desk.staff_b, sok="ok", customer="cara",
           category="Billing", subject="s", message="m")
    assert fn(session, "report.complaints", desk.staff_b).rows == []
    assert session.get(Complaint, cid).status == "open"


def test_a_noc_login_sees_technical_categories_only(session, desk):
    tech = fn(session, "complaint.edit", sok="ok", customer="cara", category="No internet",
              subject="slow", message="very slow").elid
    fn(session, "complaint.edit", sok="ok", customer="cara", category="Billing",
       subject="bill", message="too high")
    assert [r["id"] for r in fn(session, "complaint", desk.noc).rows] == [tech]
    assert [r["name"] for r in fn(session, "complaint_category", desk.noc).rows] == ["No internet"]
    with pytest.raises(FuncError) as exc:
        fn(session, "complaint.edit", desk.noc, sok="ok", customer="cara", category="Billing",
           subject="s", message="m")
    assert exc.value.field == "category"
    with pytest.raises(AccessDenied):  # costs are money
        fn(session, "complaint.cost", desk.noc, complaint=tech, description="x", amount="1")


def test_attachments_are_images_of_at_most_2_mb(session, desk):
    cid = fn(session, "complaint.edit", desk.staff_a, sok="ok", customer="cara",
             category="Billing", subject="s", message="m").elid
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    with pytest.raises(FuncError) as exc:
        fn(session, "complaint.attach", desk.staff_a, complaint=cid,
           data=b64(b"%PDF-1.4 not an image"), filename="x.png")
    assert exc.value.field == "data" and "PNG, JPEG or WebP" in exc.value.message
    with pytest.raises(FuncError) as exc:
        fn(session, "complaint.attach", desk.staff_a, complaint=cid,
           data=b64(PNG + b"\x00" * (2 * 1024 * 1024)), filename="big.png")
    assert exc.value.field == "data" and "2 MB" in exc.value.message
    aid = fn(session, "complaint.attach", desk.staff_a, complaint=cid, data=b64(PNG),
             filename="../../etc/pa<ss>wd.png").elid
    got = fn(session, "complaint.attachment", desk.staff_a, elid=aid)
    assert (got.data, got.content_type, got.filename) == (PNG, "image/png", "pa_ss_wd.png")
    with pytest.raises(NotFound):  # internal: not the customer's to see
        fn(session, "portal.complaint_attachment", desk.me, elid=aid)
    pub = fn(session, "complaint.attach", desk.staff_a, complaint=cid, public="yes",
             data=b64(b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16), filename="p.webp").elid
    assert fn(session, "portal.complaint_attachment", desk.me, elid=pub).content_type == "image/webp"
    with pytest.raises(NotFound):
        fn(session, "complaint.attachment", desk.staff_b, elid=aid)


def test_a_cost_books_a_balanced_ledger_entry(session, desk):
    cid = fn(session, "complaint.edit", desk.staff_a, sok="ok", customer="cara",
             category="No internet", subject="s", message="m").elid
    kid = fn(session, "complaint.cost", desk.staff_a, complaint=cid, description="new ONU",
             amount="1250.50").elid
    cost = session.get(ComplaintCost, kid)
    legs = session.execute(sa.select(LedgerAccount.operator_id, LedgerAccount.kind,
                                     LedgerEntry.amount)
                           .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                           .where(LedgerEntry.transaction_id == cost.ledger_txn_id)).all()
    assert sorted(legs, key=lambda r: r[1]) == [(desk.ra.id, "cash", Decimal("-1250.50")),
                                                (desk.ra.id, "service_cost", Decimal("1250.50"))]
    assert sum(a for _, _, a in legs) == 0
    with pytest.raises(FuncError) as exc:
        fn(session, "complaint.cost", desk.staff_a, complaint=cid, description="", amount="-3")
    assert set(exc.value.errors) == {"description", "amount"}


def test_the_reports_figures_match_a_hand_count(session, desk):
    """Fixed timestamps: five Field complaints and two Support ones over two days."""
    base = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.timezone.utc)  # 10:00 in Dhaka
    # (category, day offset, hours to acknowledge or None, hours to resolve or None)
    spec = [("No internet", 0, 1, 5), ("No internet", 0, 2, 8), ("No internet", 0, 3, 10),
            ("No internet", 1, 4, 20), ("No internet", 1, 10, None),
            ("Billing", 0, 0.5, 2), ("Billing", 1, None, None)]
    for cat, off, ack, res in spec:
        cid = fn(session, "complaint.edit", desk.staff_a, sok="ok", customer="cara",
                 category=cat, subject="s", message="m").elid
        c = session.get(Complaint, cid)
        c.created_at = base + dt.timedelta(days=off)
        c.acknowledged_at = c.created_at + dt.timedelta(hours=ack) if ack is not None else None
        c.resolved_at = c.created_at + dt.timedelta(hours=res) if res is not None else None
    session.flush()

    def p(values, q):  # linear interpolation between the closest ranks (percentile_cont)
        s = sorted(values)
        pos = q * (len(s) - 1)
        lo = int(pos)
        return s[lo] + (s[min(lo + 1, len(s) - 1)] - s[lo]) * (pos - lo)

    rows = {r["key"]: r for r in fn(session, "report.complaints", desk.staff_a, by="department",
                                    **{"from": "2026-03-01", "to": "2026-03-31"}).rows}
    field = rows["Field"]
    assert field["volume"] == 5 and field["acknowledged"] == 5 and field["resolved"] == 4
    assert field["ack_median_hours"] == statistics.median([1, 2, 3, 4, 10]) == 3
    assert field["ack_p90_hours"] == pytest.approx(p([1, 2, 3, 4, 10], 0.9)) == pytest.approx(7.6)
    assert field["resolve_median_hours"] == pytest.approx(9.0)  # (8 + 10) / 2
    assert field["resolve_p90_hours"] == pytest.approx(p([5, 8, 10, 20], 0.9)) == pytest.approx(17.0)
    support = rows["Support"]
    assert (support["volume"], support["ack_median_hours"], support["resolve_p90_hours"]) == \
        (2, 0.5, 2.0)
    by_day = {r["key"]: r["volume"] for r in fn(
        session, "report.complaints", desk.staff_a, by="period", group="day",
        **{"from": "2026-03-01", "to": "2026-03-31"}).rows}
    assert by_day == {"2026-03-10": 4, "2026-03-11": 3}
    by_month = fn(session, "report.complaints", desk.staff_a, by="period", group="month",
                  **{"from": "2026-03-01", "to": "2026-03-31"}).rows
    assert [(r["key"], r["volume"], r["resolved"]) for r in by_month] == [("2026-03-01", 7, 5)]
    by_cat = {r["key"]: r["volume"] for r in fn(
        session, "report.complaints", desk.staff_a, by="category",
        **{"from": "2026-03-11", "to": "2026-03-11"}).rows}
    assert by_cat == {"No internet": 2, "Billing": 1}
    with pytest.raises(FuncError) as exc:
        fn(session, "report.complaints", desk.staff_a, by="colour", group="year")
    assert set(exc.value.errors) == {"by", "group"}
