"""Sign-up from the portal (issue 14): a visitor applies for a package, confirms the mobile with a
one-time code, and staff approve (or the package approves at once), which creates the customer.

- `portal.signup` (the anonymous portal caller, role VISITOR): a `signups` row `pending`, its
  mobile not yet verified, and a code sent (messaging/otp.py, purpose "signup", its limits per
  number and per client address). A number or national ID already held by a live customer, or
  by another sign-up still pending, is refused naming the field. A sign-up whose mobile was not
  confirmed within LAPSE lapses (cancelled) and holds nothing.
- `portal.signup_verify`: the code -> `verified_at`; a package with `auto_approve` approves it.
- `signup` (staff list, operator subtree), `signup.approve` (customer.edit with a generated
  username and a random password, service hotspot for a hotspot package, else PPPoE; then a
  message with both: event `signup.approved`),
  `signup.reject` (reason; the applicant is told: event `signup.rejected`).
- `portal.otp_login` (the visitor): a code to a customer's mobile (purpose "login"), then the
  check; the page signs the customer in exactly as the password login does.
- `portal.profile` (the customer): e-mail and address; a new mobile only with the code sent to
  that new number (purpose "mobile").

The approval and rejection messages are queued here (messaging/compose.py, as otp.send does):
the rejected applicant is no customer a notice could reach, and the PPPoE password must never
be written into an event's payload (the events table is append-only and listed to staff).
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
import zlib

import sqlalchemy as sa

from messaging import compose, otp
from radbill import events, l10n
from radbill.functions import audit
from radbill.functions import fields as F
from radbill.functions.caller import Caller
from radbill.functions.crud import Entity, in_subtree, operator_name, shared_with
from radbill.functions.registry import (Call, FormResult, FuncError, NotFound, OkResult, Param,
                                        call as registry_call, function)
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.models import Customer, Operator, Package, Zone
from radbill.models.selfcare import Signup

VISITOR = "visitor"  # the anonymous portal caller
VISITORS = (VISITOR,)
LAPSE = dt.timedelta(minutes=30)  # an unconfirmed sign-up holds its number and NID this long
SIGNUP_LOCK = 70521  # advisory lock class (customers.MOBILE_LOCK is 70520)
CODE = F.text(otp.DIGITS, r"[0-9]{%d}" % otp.DIGITS, f"{otp.DIGITS} digits")
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off a phone


def visitor(ip: str | None = None, lang: str = "en") -> Caller:
    """The Caller an anonymous portal visitor acts as (sees no operator's data)."""
    return Caller(login="portal:visitor", role=VISITOR, operator_id=None, operator_path="/-/",
                  ip=ip, lang=lang, channel="portal")


def _mobile(raw: str) -> str:
    from customers.functions.customers import mobile
    return mobile(raw)


def national_id(raw: str) -> str:
    from customers.functions.customers import national_id as parse
    return parse(raw)


def _national(number: str) -> str:
    from customers.functions.customers import national
    return national(number) or number


FIELDS = [
    F.Field("zone", F.text(100), required=True),
    F.Field("package", F.text(100), required=True),
    F.Field("name", F.text(100), required=True),
    F.Field("mobile", _mobile, required=True),
    F.Field("email", F.email),
    F.Field("address", F.text(300), required=True),
    F.Field("national_id", national_id, required=True),
    F.Field("lang", F.choice("en", "bn")),
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _fail(exc: otp.OtpError, field: str | None = None) -> FuncError:
    return FuncError(exc.message, field=field or exc.field, status=exc.status, keep=exc.keep)


def _lock(call: Call, *values: str) -> None:
    """Serialise sign-ups of one number or NID (a double submit waits, then sees the first)."""
    for value in values:
        bucket = zlib.crc32(value.encode()) % 1024
        call.session.execute(sa.select(sa.func.pg_advisory_xact_lock(SIGNUP_LOCK, bucket)))


def _zone(call: Call, ref: str) -> Zone:
    zone = None
    if (zid := F.as_id(ref, Zone.id)) is not None:
        zone = call.session.get(Zone, zid)
    else:
        found = call.session.scalars(sa.select(Zone).where(
            sa.func.lower(Zone.name) == ref.lower()).limit(2)).all()
        zone = found[0] if len(found) == 1 else None
    if zone is None:
        raise FuncError(f"no zone {ref[:40]!r}", field="zone")
    return zone


def offered(session, operator_id: int) -> sa.Select:
    """The packages sold online to customers of `operator_id` (its own and its ancestors')."""
    path = session.scalar(sa.select(Operator.path).where(Operator.id == operator_id))
    return sa.select(Package).where(Package.online.is_(True), shared_with(path, Package.operator_id))


def _package(call: Call, zone: Zone, ref: str) -> Package:
    stmt = offered(call.session, zone.operator_id)
    stmt = stmt.where(Package.id == F.as_id(ref, Package.id)) if F.is_id(ref, Package.id) else \
        stmt.where(sa.func.lower(Package.name) == ref.lower())
    pkg = call.session.scalars(stmt.order_by(Package.id).limit(1)).first()
    if pkg is None:
        raise FuncError(f"{ref[:40]!r} is not offered online in this zone", field="package")
    return pkg


def _lapse(call: Call, now: dt.datetime) -> None:
    """Unconfirmed sign-ups older than LAPSE are cancelled: they hold no number or NID."""
    call.session.execute(sa.update(Signup).where(
        Signup.status == "pending", Signup.verified_at.is_(None),
        Signup.created_at < now - LAPSE).values(status="cancelled", reason="not confirmed"))


def _duplicates(call: Call, mobile: str, nid: str, own: int | None = None) -> dict[str, str]:
    errors = {}
    live = Customer.deleted_at.is_(None)
    pending = (Signup.status == "pending", Signup.id.is_distinct_from(own))
    if call.session.scalar(sa.select(Customer.id).where(Customer.mobile == mobile, live).limit(1)):
        errors["mobile"] = (f"{_national(mobile)} already has an account; log in with a code "
                            "sent to it instead")
    elif call.session.scalar(sa.select(Signup.id).where(Signup.mobile == mobile, *pending)
                             .limit(1)):
        errors["mobile"] = f"{_national(mobile)} already has a sign-up waiting for approval"
    if call.session.scalar(sa.select(Customer.id).where(Customer.national_id == nid, live)
                           .limit(1)):
        errors["national_id"] = "this national ID already has an account"
    elif call.session.scalar(sa.select(Signup.id).where(Signup.national_id == nid, *pending)
                             .limit(1)):
        errors["national_id"] = "this national ID already has a sign-up waiting for approval"
    return errors


@function("portal.signup", roles=VISITORS, money=False,
          params=tuple(f.param() for f in FIELDS))
def signup(call: Call) -> OkResult:
    """Apply for a connection: the zone, a package offered online there, name, mobile, e-mail,
    address, national ID; a 6-digit code is sent to the mobile."""
    values = F.parse_fields(FIELDS, call.params, creating=True)
    zone = _zone(call, values["zone"])
    pkg = _package(call, zone, values["package"])
    mobile, nid = values["mobile"], values["national_id"]
    now = _now()
    _lock(call, mobile, nid)
    _lapse(call, now)
    # an unconfirmed one of this number is replaced: its owner asks again (e.g. a lost code)
    call.session.execute(sa.update(Signup).where(
        Signup.status == "pending", Signup.verified_at.is_(None), Signup.mobile == mobile)
        .values(status="cancelled", reason="replaced by a new sign-up"))
    if errors := _duplicates(call, mobile, nid):
        raise FuncError(errors=errors)
    lang = values.get("lang") or l10n.pick(call.caller.lang)
    row = Signup(operator_id=zone.operator_id, zone_id=zone.id, package_id=pkg.id,
                 name=values["name"], mobile=mobile, email=values.get("email"),
                 address=values["address"], national_id=nid, lang=lang, ip=call.caller.ip)
    call.session.add(row)
    call.session.flush()
    try:
        sent = otp.send(call.session, recipient=mobile, purpose="signup",
                        operator_id=zone.operator_id, ip=call.caller.ip, lang=lang)
    except otp.OtpError as exc:
        raise _fail(exc, "mobile" if exc.field == "recipient" else None) from None
    audit.record(call, "signup", row.id, row.name, None, _snapshot(row), row.operator_id)
    return OkResult(row.id, {"sent_to": otp.masked(mobile), "otp": sent.otp.id,
                             "valid_minutes": int(otp.VALID.total_seconds() // 60)})


def _snapshot(row: Signup) -> dict:
    snap = audit.snapshot(row)
    snap["national_id"] = "*" * 6 + row.national_id[-4:]  # the log need not hold the whole NID
    return snap


@function("portal.signup_verify", roles=VISITORS, money=False,
          params=(Param("elid", "the sign-up's id", True), Param("code", "the 6 digits", True)))
def signup_verify(call: Call) -> OkResult:
    """Confirm the mobile with the code; a package that approves itself creates the account."""
    code = F.parse_one("code", CODE, (call.get("code") or "").strip())
    sid = F.as_id(call.elid or "", Signup.id)
    row = call.session.get(Signup, sid, with_for_update=True) if sid is not None else None
    if row is None or row.ip != call.caller.ip and row.ip is not None and call.caller.ip:
        raise NotFound("no such sign-up", field="elid")  # only from where it was made
    if row.status != "pending" or row.verified_at is not None:
        raise FuncError(f"this sign-up is {'confirmed' if row.verified_at else row.status} "
                        "already", field="elid")
    if row.created_at < _now() - LAPSE:
        raise FuncError("this sign-up has lapsed; please sign up again", field="elid")
    try:
        otp.check(call.session, recipient=row.mobile, purpose="signup", code=code)
    except otp.OtpError as exc:
        raise _fail(exc) from None
    row.verified_at = _now()
    call.session.flush()
    audit.record(call, "signup", row.id, row.name, {"verified_at": None},
                 {"verified_at": audit.jsonable(row.verified_at)}, row.operator_id)
    approved = False
    if call.session.scalar(sa.select(Package.auto_approve).where(Package.id == row.package_id)):
        _approve(call, row, "auto")
        approved = True
    return OkResult(row.id, {"verified": True, "approved": approved,
                             "customer": row.customer_id})


# -- staff ----------------------------------------------------------------------------------
class Signups(Entity):
    name = "signup"
    model = Signup
    label = "name"
    columns = ["id", "name", "mobile", "email", "address", "national_id", "zone_id",
               "package_id", "operator_id", "lang", "status", "verified_at", "ip", "reason",
               "decided_by", "decided_at", "customer_id", "created_at"]
    search = ["name", "mobile", "national_id"]
    filters = {"status": "status", "operator": "operator_id", "zone": "zone_id",
               "package": "package_id"}
    list_roles = CUSTOMER_VIEWERS
    edit_roles = ()
    default_sort = "-id"
    money = False
    functions = ("list",)  # sign-ups are made on the portal

    def visible(self, call: Call, stmt: sa.Select) -> sa.Select:
        return stmt.where(in_subtree(call, Signup.operator_id))


ENTITY = Signups().register()


def _username(call: Call, name: str) -> str:
    """A free login from the name: letters of the first word, then 4 digits."""
    base = re.sub(r"[^a-z]", "", (name.split() or ["user"])[0].lower())[:12] or "user"
    for _ in range(50):
        candidate = f"{base}{secrets.randbelow(9000) + 1000}"
        if call.session.scalar(sa.select(Customer.id).where(
                sa.func.lower(Customer.username) == candidate)) is None:
            return candidate
    return f"{base}{secrets.token_hex(4)}"


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(10))


def _approve(call: Call, row: Signup, by: str) -> Customer:
    if row.verified_at is None:
        raise FuncError("the applicant has not confirmed the mobile yet", field="elid")
    if errors := _duplicates(call, row.mobile, row.national_id, own=row.id):
        raise FuncError(errors=errors)
    pkg = call.session.get(Package, row.package_id)
    zone = call.session.get(Zone, row.zone_id) if row.zone_id else None
    username, password = _username(call, row.name), new_password()
    params = {"sok": "ok", "username": username, "password": password, "name": row.name,
              "mobile": row.mobile, "address": row.address, "package": str(pkg.id),
              "operator": str(row.operator_id), "lang": row.lang,
              "service": "hotspot" if pkg.hotspot else "pppoe",
              "national_id": row.national_id}
    if row.email:
        params["email"] = row.email
    if zone is not None:
        params["zone"] = str(zone.id)
    # as the approving staff member; an automatic approval acts as the signup's operator
    caller = call.caller if by != "auto" else Caller(
        login=f"signup:{row.id}", role="operator", operator_id=row.operator_id,
        operator_path=call.session.scalar(sa.select(Operator.path)
                                          .where(Operator.id == row.operator_id)),
        ip=call.caller.ip, channel=call.caller.channel)
    if caller.role not in RESELLERS and not caller.is_sysadmin:
        raise FuncError("only an operator's staff may approve sign-ups", status=403)
    made = registry_call(call.session, caller, "customer.edit", params)
    customer = call.session.get(Customer, made.elid)
    row.status, row.customer_id = "approved", customer.id
    row.decided_by = call.caller.login if by != "auto" else "auto"
    row.decided_at = _now()
    call.session.flush()
    audit.record(call, "signup", row.id, row.name, {"status": "pending"},
                 {"status": "approved", "customer_id": customer.id}, row.operator_id)
    events.emit(call.session, "signup.approved", customer_id=customer.id,
                operator_id=row.operator_id, actor=call.caller.login, func=call.func,
                signup_id=row.id, username=username, package=pkg.name)
    _tell(call, row, "signup.approved", customer=customer, extra={"password": password})
    return customer


def _tell(call: Call, row: Signup, event: str, customer: Customer | None = None,
          extra: dict | None = None) -> list[int]:
    """Queue the applicant's message by SMS (and e-mail when given), in their language."""
    lang = l10n.pick(row.lang)
    vals = compose.values(call.session, customer, {}, lang)
    vals.setdefault("name", row.name)
    if not vals.get("operator"):
        vals["operator"] = operator_name(call.session, call.session.get(Operator, row.operator_id))
    if "package" not in vals or not vals["package"]:
        vals["package"] = call.session.scalar(sa.select(Package.name)
                                              .where(Package.id == row.package_id)) or ""
    vals.update(extra or {})
    if row.reason:
        vals["reason"] = row.reason
    queued = []
    for channel, address in (("sms", row.mobile), ("email", row.email)):
        if not address or channel not in compose.channels(call.session, row.operator_id):
            continue
        gw = compose.gateway(call.session, row.operator_id, channel)
        wording = compose.template(call.session, row.operator_id, event, channel, lang)
        if gw is None or wording is None or not wording.enabled:
            continue
        subject, body = compose.render(wording, vals, channel)
        mid = compose.queue(call.session, operator_id=row.operator_id, event=event,
                            channel=channel, recipient=address, body=body, subject=subject,
                            lang=lang, gateway=gw,
                            customer_id=customer.id if customer is not None else None,
                            dedupe_key=f"{event}:{row.id}:{channel}")
        if mid is not None:
            queued.append(mid)
    if queued:
        from radbill import tasks
        tasks.wake(call.session)
    return queued


def _pending(call: Call) -> Signup:
    sid = F.as_id(call.elid or "", Signup.id)
    stmt = sa.select(Signup).where(Signup.id == sid, in_subtree(call, Signup.operator_id))
    row = call.session.scalars(stmt.with_for_update()).first() if sid is not None else None
    if row is None:
        raise NotFound(f"no sign-up {(call.elid or '')[:20]!r}", field="elid")
    if row.status != "pending":
        raise FuncError(f"this sign-up is {row.status} already", field="elid")
    return row


@function("signup.approve", roles=RESELLERS, money=False,
          params=(Param("elid", "the sign-up's id", True),))
def approve(call: Call) -> OkResult:
    """Approve a confirmed sign-up: the customer is created with a new PPPoE (or, for a hotspot
    package, hotspot) login, and the applicant gets the username and password by SMS."""
    row = _pending(call)
    customer = _approve(call, row, "staff")
    return OkResult(row.id, {"customer": customer.id, "username": customer.username})


@function("signup.reject", roles=RESELLERS, money=False,
          params=(Param("elid", "the sign-up's id", True),
                  Param("reason", "why, told to the applicant", True)))
def reject(call: Call) -> OkResult:
    """Refuse a sign-up; the applicant is told why."""
    reason = F.parse_one("reason", F.text(300), (call.get("reason") or "").strip())
    if not reason:
        raise FuncError("is required: the applicant is told why", field="reason")
    row = _pending(call)
    row.status, row.reason = "rejected", reason
    row.decided_by, row.decided_at = call.caller.login, _now()
    call.session.flush()
    audit.record(call, "signup", row.id, row.name, {"status": "pending"},
                 {"status": "rejected", "reason": reason}, row.operator_id)
    events.emit(call.session, "signup.rejected", operator_id=row.operator_id,
                actor=call.caller.login, func=call.func, signup_id=row.id, reason=reason)
    _tell(call, row, "signup.rejected")
    return OkResult(row.id)


# -- logging in with a code ----------------------------------------------------------------
@function("portal.otp_login", roles=VISITORS, money=False,
          params=(Param("mobile", "the mobile number of the account", True),
                  Param("code", "the 6 digits (without: send them)")))
def otp_login(call: Call) -> OkResult:
    """Log in with a code sent to my mobile: without `code` it is sent, with it checked; the
    answer names the customer the page signs in."""
    try:
        number = _mobile(F.clean(call.get("mobile") or ""))
    except ValueError as exc:
        raise FuncError(str(exc), field="mobile") from None
    customer = call.session.scalars(sa.select(Customer).where(
        Customer.mobile == number, Customer.deleted_at.is_(None), Customer.status != "disabled")
        .order_by(Customer.id).limit(1)).first()
    raw = (call.get("code") or "").strip()
    if not raw:
        if customer is None:  # said plainly: the number is the visitor's own to know
            raise FuncError("no account has this mobile number", field="mobile")
        try:
            otp.send(call.session, recipient=number, purpose="login",
                     operator_id=customer.operator_id, customer=customer, ip=call.caller.ip,
                     lang=l10n.pick(customer.lang))
        except otp.OtpError as exc:
            raise _fail(exc, "mobile" if exc.field == "recipient" else None) from None
        return OkResult(None, {"sent_to": otp.masked(number)})
    code = F.parse_one("code", CODE, raw)
    try:
        row = otp.check(call.session, recipient=number, purpose="login", code=code)
    except otp.OtpError as exc:
        raise _fail(exc) from None
    if customer is None or row.customer_id not in (None, customer.id):
        raise FuncError("no account has this mobile number", field="mobile")
    audit.record(call, "customer", customer.id, customer.username, None,
                 {"login": "otp", "mobile": otp.masked(number)}, customer.operator_id)
    return OkResult(customer.id, {"username": customer.username})


# -- my profile ----------------------------------------------------------------------------
@function("portal.profile", kind="form", roles=("customer",), money=False,
          params=(Param("email", "my e-mail address"), Param("address", "my address"),
                  Param("mobile", "a new mobile number (a code is sent to it)"),
                  Param("code", "the code sent to the new mobile")))
def profile(call: Call) -> FormResult | OkResult:
    """My e-mail and address; a new mobile number once the code sent to it is given back."""
    from customers.functions.portal import me
    c = me(call)
    values = {"email": c.email, "address": c.address, "mobile": c.mobile}
    if not call.sok:
        return FormResult(c.id, values)
    fields = [F.Field("email", F.email), F.Field("address", F.text(300)),
              F.Field("mobile", _mobile)]
    given = {k: v for k, v in call.params.items() if k in ("email", "address", "mobile")}
    parsed = F.parse_fields(fields, given, creating=False)
    before = dict(values)
    extra: dict = {}
    new_mobile = parsed.pop("mobile", None)
    if new_mobile and new_mobile != c.mobile:
        raw = (call.get("code") or "").strip()
        taken = call.session.scalar(sa.select(Customer.id).where(
            Customer.mobile == new_mobile, Customer.deleted_at.is_(None), Customer.id != c.id)
            .limit(1))
        if taken and not call.session.scalar(sa.select(Operator.allow_shared_mobile)
                                             .where(Operator.id == c.operator_id)):
            raise FuncError(f"{_national(new_mobile)} is in use by another account",
                            field="mobile")
        if not raw:
            try:
                otp.send(call.session, recipient=new_mobile, purpose="mobile",
                         operator_id=c.operator_id, customer=c, ip=call.caller.ip,
                         lang=l10n.pick(c.lang))
            except otp.OtpError as exc:
                raise _fail(exc, "mobile" if exc.field == "recipient" else None) from None
            extra["code_sent_to"] = otp.masked(new_mobile)
        else:
            code = F.parse_one("code", CODE, raw)
            try:
                otp.check(call.session, recipient=new_mobile, purpose="mobile", code=code)
            except otp.OtpError as exc:
                raise _fail(exc) from None
            c.mobile = new_mobile
    for key in ("email", "address"):
        if key in parsed:
            setattr(c, key, parsed[key])
    call.session.flush()
    after = {"email": c.email, "address": c.address, "mobile": c.mobile}
    if after != before:
        audit.record(call, "customer", c.id, c.username, before, after, c.operator_id)
        events.emit(call.session, "customer.updated", customer_id=c.id,
                    operator_id=c.operator_id, actor=call.caller.login, func=call.func,
                    username=c.username, changed=sorted(k for k in after
                                                        if after[k] != before[k]),
                    relogin=False)
    return OkResult(c.id, {**after, **extra})
