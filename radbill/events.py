"""The event catalogue: every change someone downstream cares about, in one file.

An event is appended to the `events` table in the same transaction as the change it reports
(`emit` here, or an INSERT INTO events in a set-based SQL statement). The table is append-only
(the database refuses UPDATE and DELETE), and a statement trigger (radbill/sql) checks each row
against this catalogue and derives the side effects: for every route of the event's type whose
`match` the payload contains (and whose `exclude` it does not), one outbox row of that
consumer's kind, carrying the event's payload. Nobody builds an outbox payload by hand.

`radbill db upgrade` copies the catalogue into the `event_types` table the trigger reads;
`radbill db check` fails when the two differ.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from radbill.functions.audit import jsonable

CONSUMERS = ("disconnect", "coa", "notify", "alert")  # the outbox kinds a route may name
# notify: the customer (messaging/compose.py); alert: the operator's staff (Telegram, e-mail)


@dataclass(frozen=True)
class Route:
    """One consumer of an event: `match`/`exclude` are JSON containment tests on the payload."""

    consumer: str
    match: dict[str, Any] = field(default_factory=dict)
    exclude: dict[str, Any] = field(default_factory=dict)

    def applies(self, data: dict[str, Any]) -> bool:
        return _contains(data, self.match) and not (self.exclude and _contains(data, self.exclude))

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"consumer": self.consumer}
        if self.match:
            out["match"] = self.match
        if self.exclude:
            out["exclude"] = self.exclude
        return out


@dataclass(frozen=True)
class EventType:
    name: str
    title: str  # what happened, in words a subscriber reads (a notice's subject)
    fields: tuple[str, ...]  # payload keys every event of this type carries
    optional: tuple[str, ...] = ()
    emitters: tuple[str, ...] = ()  # who emits it: functions, jobs, the RADIUS drain
    routes: tuple[Route, ...] = ()

    def check(self, data: dict[str, Any]) -> None:
        missing = [f for f in self.fields if f not in data]
        extra = [k for k in data if k not in self.fields and k not in self.optional]
        if missing or extra:
            raise ValueError(f"event {self.name}: missing {missing}, unknown {extra}")


# A status change's payload: who, from which state to which, and why (lifecycle.REASONS).
_STATUS = ("username", "from", "to", "reason")
_NOTE = ("note",)
DISCONNECT, COA, NOTIFY = Route("disconnect"), Route("coa"), Route("notify")
ALERT = Route("alert")

CATALOGUE: dict[str, EventType] = {t.name: t for t in (
    EventType("customer.created", "Your internet account is ready",
              ("username", "package", "service"), ("cutover",),
              emitters=("customer.edit", "customer.import", "customer.import_mikrotik"),
              # the welcome; not for subscribers a cut-over import moved in (cutover: true):
              # they have had their account for years, and 100,000 SMS would cost the ISP
              routes=(Route("notify", exclude={"cutover": True}),)),
    EventType("customer.updated", "Your account details changed",
              ("username", "changed", "relogin"),
              emitters=("customer.edit", "portal.profile", "customer.import",
                        "customer.import_mikrotik", "customer.bulk", "pool.replace"),
              # what authorize hands out changed (package, MAC, address): dial again
              routes=(Route("disconnect", match={"relogin": True}),)),
    EventType("customer.suspended", "Your internet service is suspended", _STATUS, _NOTE,
              emitters=("customer.suspend", "job.suspension", "job.expiry", "customer.import",
                        "customer.bulk", "operator.suspend_customers"),
              # an import's (reason import) moves the old system's status in: no notice
              routes=(DISCONNECT, Route("notify", exclude={"reason": "import"}))),
    EventType("customer.activated", "Your internet service is active again", _STATUS, _NOTE,
              emitters=("customer.resume", "customer.enable", "payment.edit", "job.billing",
                        "job.expiry", "customer.bulk", "operator.resume_customers"),
              # after a payment the receipt says it; one notice, not two
              routes=(DISCONNECT, Route("notify", exclude={"reason": "payment"}))),
    EventType("customer.disabled", "Your internet account is disabled", _STATUS, _NOTE,
              emitters=("customer.disable", "customer.import", "customer.bulk"),
              routes=(DISCONNECT, Route("notify", exclude={"reason": "import"}))),
    EventType("customer.deleted", "Your internet account is closed", _STATUS, _NOTE,
              emitters=("customer.delete",), routes=(DISCONNECT,)),
    EventType("customer.restored", "Your internet account is restored", _STATUS, _NOTE,
              emitters=("customer.restore",)),
    EventType("customer.fup_reached", "You have reached your fair-usage limit", _STATUS,
              emitters=("radius.accounting",), routes=(COA, NOTIFY)),
    EventType("customer.fup_reset", "Your full speed is back for the new cycle", _STATUS,
              emitters=("job.fup_reset",), routes=(DISCONNECT,)),
    EventType("customer.expiring", "Your internet package expires soon",
              ("username", "expires_at", "days_left"),
              emitters=("job.reminders",), routes=(NOTIFY,)),
    EventType("bill.created", "New bill", ("bill_id", "total", "due_date"),
              ("period_from", "period_to", "reason"),
              # the notice is skipped when the bill is paid by the time it is composed (a
              # renewal billed and paid by one payment: the receipt says it), and for a package
              # change's bill (customer.package_changed names it: one notice, not two)
              emitters=("job.billing", "bill.edit", "bill.generate", "payment.edit",
                        "package.change", "package_change.approve", "portal.package"),
              routes=(Route("notify", exclude={"reason": "package_change"}),)),
    # for the reseller's staff (operator_id is the reseller; no notice route: a notify goes to
    # the customer, and there is no staff channel yet)
    EventType("bill.refused", "A renewal was not billed: the reseller's balance is too low",
              ("username", "cost", "balance", "period_from", "reason"),
              emitters=("job.billing", "bill.generate")),
    EventType("bill.due", "Your bill is due today", ("bill_id", "username", "total", "due",
                                                      "due_date"),
              emitters=("job.reminders",), routes=(NOTIFY,)),
    # the profile's due_reminder_days before the due day
    EventType("bill.due_soon", "Your bill falls due soon",
              ("bill_id", "username", "total", "due", "due_date", "days_left"),
              emitters=("job.reminders",), routes=(NOTIFY,)),
    EventType("payment.received", "Payment received",
              ("payment_id", "username", "amount", "method"), ("reference", "redial"),
              emitters=("payment.edit", "portal.recharge", "job.billing", "job.expiry",
                        "payment.confirm", "payment.verify", "job.payment_recheck"),
              # validity came back before the expiry job suspended them: the live session is
              # still in the walled garden, so it must dial again
              routes=(NOTIFY, Route("disconnect", match={"redial": True}))),
    EventType("payment.reversed", "Payment reversed", ("payment_id", "username", "amount"),
              ("reason",), emitters=("payment.reverse",),
              # staff hear of it when it is large (RADBILL_ALERT_REVERSAL_OVER)
              routes=(NOTIFY, ALERT)),
    EventType("payment.link_sent", "Your payment link", ("username", "amount", "link"),
              ("channel",), emitters=("payment.link",), routes=(NOTIFY,)),
    EventType("payment.review", "Online payment needs review",
              ("checkout_id", "invoice", "gateway", "amount", "reason"), ("reported",),
              emitters=("payment.confirm", "payment.verify", "job.payment_recheck")),
    EventType("card.redeemed", "Recharge card used",
              ("card_id", "serial", "username", "amount", "payment_id"),
              emitters=("payment.edit", "portal.recharge")),
    EventType("device.down", "A device stopped answering", ("kind", "device_id", "name"),
              ("error",), emitters=("job.device_poll", "job.olt_sync", "olt.sync",
                                    "job.router_api_check"), routes=(ALERT,)),
    EventType("device.up", "A device answers again", ("kind", "device_id", "name"),
              ("down_seconds",), emitters=("job.device_poll", "job.olt_sync", "olt.sync",
                                           "job.router_api_check"), routes=(ALERT,)),
    # an OLT's optics pass read an ONU's module above RADBILL_ONU_HOT_CELSIUS (issue 18,
    # provisioning/olt/sync.py), once per ONU a day (dedupe key). name: the OLT's; target: the
    # ONU as the OLT names it (port:id); celsius and limit sort next in an alert's details
    EventType("onu.hot", "An ONU is running hot",
              ("olt_id", "name", "onu_id", "target", "celsius", "limit"),
              ("serial", "mac", "description"), emitters=("job.olt_sync", "olt.sync"),
              routes=(ALERT,)),
    # for staff (operator_id is whose staff hear it)
    EventType("job.failed", "A scheduled job failed", ("job", "error"),
              emitters=("job.any",), routes=(ALERT,)),
    EventType("gateway.error", "A gateway refuses our requests", ("gateway", "kind", "error"),
              ("gateway_id",), emitters=("messaging.sender",), routes=(ALERT,)),
    EventType("operator.low_balance", "Your balance is low", ("balance", "threshold"),
              emitters=("job.message_charge",), routes=(ALERT,)),
    # -- issue 14, package change (rating/package_change.py) --------------------------------
    # applied: ONE CoA gives the live session the new package's rate (provisioning/worker's
    # event_attributes), never a Disconnect; the customer is told, with an upgrade's bill
    # (amount, bill_id, due_date: its own bill.created sends no notice)
    EventType("customer.package_changed", "Your package has changed",
              ("username", "from", "to", "kind"), ("change_id", "amount", "bill_id", "due_date"),
              emitters=("package.change", "package_change.approve", "portal.package",
                        "job.package_changes", "customer.convert_trial", "package.replace"),
              routes=(COA, NOTIFY)),
    # waiting: for the operator's approval (status pending) or the next cycle (scheduled)
    EventType("package_change.scheduled", "Your package change is waiting",
              ("change_id", "username", "from", "to", "kind", "status", "effective_on"),
              emitters=("package.change", "package_change.approve", "portal.package",
                        "package.replace"),
              routes=(NOTIFY,)),
    EventType("package_change.refused", "Your package change was not approved",
              ("change_id", "username", "from", "to"), ("reason",),
              emitters=("package_change.refuse",), routes=(NOTIFY,)),
    EventType("package_change.cancelled", "Your package change was cancelled",
              ("change_id", "username", "from", "to"), ("reason",),
              emitters=("package_change.cancel", "portal.package"), routes=(NOTIFY,)),
    # -- end issue 14, package change ----------------------------------------------------------
    # -- issue 14, sign-up (customers/functions/signups.py) ----------------------------------
    # the applicant's message (username and PPPoE password; or why refused) is queued by the
    # function itself: a rejected applicant is no customer, and the password must never be in a
    # payload; so these have no notify route (customer.created still sends the welcome)
    EventType("signup.approved", "Your internet account is approved",
              ("signup_id", "username", "package"),
              emitters=("signup.approve", "portal.signup_verify")),
    EventType("signup.rejected", "Your sign-up was not approved", ("signup_id", "reason"),
              emitters=("signup.reject",)),
    # -- end issue 14, sign-up -----------------------------------------------------------------
    # -- issue 14, complaints (care/functions/complaints.py, care/functions/portal.py) -------
    EventType("complaint.created", "Your complaint is recorded",
              ("complaint_id", "subject", "category", "source"),
              emitters=("complaint.edit", "portal.complaint_new")),
    EventType("complaint.acknowledged", "We are looking at your complaint",
              ("complaint_id", "subject", "status"), emitters=("complaint.edit",),
              routes=(NOTIFY,)),
    # public comments only; the customer is told of staff's, not of their own
    EventType("complaint.commented", "A reply to your complaint",
              ("complaint_id", "subject", "status", "by", "comment"),
              emitters=("complaint.comment", "portal.complaint_reply"),
              routes=(Route("notify", match={"by": "staff"}),)),
    EventType("complaint.resolved", "Your complaint is resolved",
              ("complaint_id", "subject", "status"), emitters=("complaint.edit",),
              routes=(NOTIFY,)),
    EventType("complaint.closed", "Your complaint is closed", ("complaint_id", "subject", "status"),
              emitters=("complaint.edit", "portal.complaint_close")),
    # -- end issue 14, complaints ------------------------------------------------------------
    # -- issue 18, status checks (monitoring/incidents.py) ----------------------------------
    # `alert` false: flap suppression (the check recovered under FLAP_MINUTES ago) holds the
    # staff alert back; incident.still_down tells them if it is still down FLAP_MINUTES later,
    # and a resolve is told only when its opening was
    EventType("incident.opened", "A check is down",
              ("incident_id", "check_id", "name", "target", "error", "alert"),
              ("component", "flapping"), emitters=("job.checks",),
              routes=(Route("alert", match={"alert": True}),)),
    EventType("incident.still_down", "A flapping check is still down",
              ("incident_id", "check_id", "name", "target", "error", "since"),
              ("component",), emitters=("job.checks",), routes=(ALERT,)),
    EventType("incident.resolved", "A check is up again",
              ("incident_id", "check_id", "name", "target", "duration_seconds", "alert"),
              ("component",), emitters=("job.checks",),
              routes=(Route("alert", match={"alert": True}),)),
    # -- end issue 18, status checks ---------------------------------------------------------
    # -- issue 19, special permissions (staff/functions/permissions.py): access is granted,
    # revoked or default (the role's again); operator_id is the login's operator
    EventType("permission.changed", "A staff login's permission changed",
              ("user_id", "login", "permission", "access"),
              emitters=("permission.edit", "permission.delete")),
    # -- issue 19, the books (rating/functions/books.py): no consumer yet (webhooks hear them)
    EventType("expense.recorded", "An expense was recorded",
              ("expense_id", "amount", "category", "spent_on", "paid_from"),
              emitters=("expense.edit",)),
    EventType("expense.changed", "An expense was changed",
              ("expense_id", "amount", "category", "spent_on", "paid_from", "rebooked"),
              emitters=("expense.edit",)),
    EventType("expense.reversed", "An expense was reversed", ("expense_id", "amount"),
              ("reason",), emitters=("expense.delete",)),
    # -- end issue 19, the books -------------------------------------------------------------
    # -- issue 19, approvals (rating/approvals.py, rating/functions/approvals.py) -----------
    # a staff-entered credit above the operator's approval_threshold waits for a second login:
    # the operator's staff hear of it (alert); the decision is in the event list and the audit
    EventType("approval.requested", "A credit waits for your approval",
              ("pending_id", "kind", "amount", "threshold", "requester", "summary"),
              ("username",), emitters=("payment.edit", "operator.fund"), routes=(ALERT,)),
    EventType("approval.approved", "A credit was approved and booked",
              ("pending_id", "kind", "amount", "requester", "approver"), ("username",),
              emitters=("approval.approve",)),
    EventType("approval.rejected", "A credit was rejected",
              ("pending_id", "kind", "amount", "requester", "approver", "reason"),
              ("username",), emitters=("approval.reject",)),
    # -- end issue 19, approvals -------------------------------------------------------------
    # -- issue 19, the reseller tree (customers/functions/transfer.py, staff/functions/notices.py,
    # staff/functions/provisioning_keys.py): a customer moved to another operator (a live
    # session dials again when its package changed with it: the new rate); operator_id is the
    # new operator
    EventType("customer.transferred", "Your internet account moved to another operator",
              ("username", "from_operator", "to_operator", "bills", "relogin"),
              ("package", "bills_moved", "owed_moved", "advance_moved"),
              emitters=("customer.transfer",),
              routes=(Route("disconnect", match={"relogin": True}),)),
    EventType("notice.published", "A notice for your staff", ("notice_id", "title", "severity"),
              emitters=("notice.edit",)),
    EventType("notice.withdrawn", "A notice was withdrawn", ("notice_id", "title"),
              emitters=("notice.withdraw",)),
    EventType("notice.acknowledged", "A notice was read", ("notice_id", "login"),
              emitters=("notice.ack",)),
    EventType("provisioning_key.issued", "A provisioning key was issued",
              ("key_id", "expires_at", "kind"), emitters=("provisioning_key.edit",)),
    EventType("provisioning_key.revoked", "A provisioning key was revoked", ("key_id",),
              emitters=("provisioning_key.revoke",)),
    EventType("provisioning_key.used", "A new operator registered with a provisioning key",
              ("key_id", "new_operator_id", "name", "login"), emitters=("operator_signup",)),
    # -- end issue 19, the reseller tree ----------------------------------------------------
    # -- issue 19, operator bills, suspension, delete (rating/operator_billing.py,
    # staff/operator_delete.py; radbill/lifecycle.change_operator): the operator's staff hear
    # of a suspension and a resumption (alert); bills and deletes are in the event list
    EventType("operator.suspended", "Your operator account is suspended",
              ("name", "from", "to", "reason"), _NOTE,
              emitters=("operator.edit", "job.operator_billing"), routes=(ALERT,)),
    EventType("operator.resumed", "Your operator account is active again",
              ("name", "from", "to", "reason"), _NOTE,
              emitters=("operator.edit", "operator_bill.pay", "job.operator_billing"),
              routes=(ALERT,)),
    EventType("operator_bill.issued", "Your subscription bill is issued",
              ("bill_id", "period", "subscribers", "amount", "due_date", "status"),
              emitters=("job.operator_billing",)),
    EventType("operator_bill.paid", "Your subscription bill is paid",
              ("bill_id", "period", "amount"), emitters=("operator_bill.pay", "job.operator_billing")),
    EventType("operator.deleted", "An operator was deleted",
              ("name", "archive_id", "rows"), emitters=("operator.delete",)),
    # -- end issue 19, operator bills --------------------------------------------------------
)}


def get(name: str) -> EventType:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise ValueError(f"{name!r} is not in the event catalogue") from None


def emit(session: Session, name: str, /, *, customer_id: int | None = None,
         operator_id: int | None = None, actor: str = "", func: str = "",
         dedupe_key: str | None = None, **data: Any) -> int | None:
    """Append one event in the caller's transaction; returns its id (None: a duplicate of
    `dedupe_key` was emitted before, so nothing happened). `data` is the payload; it may have
    a field called name (a device's), hence the positional-only event name."""
    from radbill.models import Event
    payload = {k: jsonable(v) for k, v in data.items() if v is not None}
    get(name).check(payload)
    stmt = insert(Event).values(name=name, customer_id=customer_id, operator_id=operator_id,
                                actor=actor, func=func, data=payload, dedupe_key=dedupe_key)
    if dedupe_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=["dedupe_key"],
                                           index_where=sa.text("dedupe_key IS NOT NULL"))
    return session.scalar(stmt.returning(Event.id))


def catalogue_rows() -> list[dict[str, Any]]:
    """The catalogue as the `event_types` table holds it."""
    return [{"name": t.name, "fields": list(t.fields),
             "routes": [r.as_json() for r in t.routes]} for t in CATALOGUE.values()]


def sync(conn: sa.Connection) -> None:
    """Make the `event_types` table the catalogue (run by `radbill db upgrade`)."""
    import json
    conn.execute(sa.text("DELETE FROM event_types"))
    conn.execute(sa.text("INSERT INTO event_types (name, fields, routes) "
                         "VALUES (:name, :fields, CAST(:routes AS jsonb))"),
                 [{**r, "routes": json.dumps(r["routes"])} for r in catalogue_rows()])


def differences(conn: sa.Connection) -> list[str]:
    """How the database's `event_types` differs from the catalogue (for `radbill db check`)."""
    have = {r.name: {"name": r.name, "fields": list(r.fields), "routes": r.routes}
            for r in conn.execute(sa.text("SELECT name, fields, routes FROM event_types"))}
    want = {r["name"]: r for r in catalogue_rows()}
    out = [f"event type {n} is in the catalogue but not the database" for n in want if n not in have]
    out += [f"event type {n} is in the database but not the catalogue" for n in have if n not in want]
    out += [f"event type {n} differs from the catalogue" for n in want
            if n in have and have[n] != want[n]]
    return out


def _contains(data: Any, part: Any) -> bool:
    """JSON containment as PostgreSQL's @> decides it, so Python and the trigger agree."""
    if isinstance(part, dict):
        return isinstance(data, dict) and all(k in data and _contains(data[k], v)
                                              for k, v in part.items())
    if isinstance(part, list):
        return isinstance(data, list) and all(any(_contains(d, p) for d in data) for p in part)
    return data == part
