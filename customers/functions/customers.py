"""customer, customer.edit, customer.delete and the status actions (the transitions themselves
are radbill/lifecycle.py's)."""
from __future__ import annotations

import datetime as dt
import json
import re
import zlib

import phonenumbers
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import CIDR, INET, JSONB

from radbill import events, lifecycle, settings
from radbill.functions import audit, hooks
from radbill.functions import fields as F
from radbill.functions.crud import Entity, in_subtree, resolve_operator
from radbill.functions.registry import Call, FuncError, NotFound, OkResult, Param, function
from radbill.functions.roles import CUSTOMER_VIEWERS, RESELLERS
from radbill.models import BillingProfile, Customer, Operator, Package, RadAcct, StaffUser, Zone
from radbill.models.customers import SERVICES, USERNAME_RE
from radbill.nthash import nt_hash


def mobile(raw: str) -> str:
    """A mobile number as stored: E.164 (+8801712345678), however it was typed (01712 345678,
    +880 1712-345678, 8801712345678, 008801712345678); a number without a country code is read
    as one of REGION's."""
    value = re.sub(r"[\s().-]", "", raw)
    if not re.fullmatch(r"\+?[0-9]{6,15}", value):
        raise ValueError(f"{raw!r} is not a phone number")
    e164 = normalise(value)
    if e164 is None:
        raise ValueError(f"{raw!r} is not a phone number")
    number = phonenumbers.parse(e164)
    if not phonenumbers.is_valid_number(number):
        region = phonenumbers.region_code_for_country_code(number.country_code)
        raise ValueError(f"{raw!r} is not a valid "
                         f"{'' if region in (None, 'ZZ') else region + ' '}mobile number "
                         "(check the digits)")
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise ValueError(f"{raw!r} is not a mobile number: messages need one")
    return e164


MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE,
                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


NID = re.compile(r"[0-9]{10}|[0-9]{13}|[0-9]{17}", re.ASCII)


def national_id(raw: str) -> str:
    """A Bangladeshi national ID: 10, 13 or 17 digits (spaces and dashes ignored)."""
    value = re.sub(r"[\s-]", "", raw)
    if not NID.fullmatch(value):
        raise ValueError("a national ID (NID) is 10, 13 or 17 digits")
    return value


REGION = "BD"  # numbers typed without a country code are this country's (a setting later)
BD_NATIONAL = re.compile(r"01[0-9]{9}")


def normalise(value: str) -> str | None:
    """E.164 for a number in any spelling (digits, optional + or 00 first), or None when
    phonenumbers cannot make a possible number of it."""
    value = re.sub(r"[\s().-]", "", value or "")
    if value.startswith("00"):
        value = "+" + value[2:]
    elif value.startswith("880") and len(value) >= 12:  # 8801712345678: +880 without its +
        value = "+" + value
    try:
        number = phonenumbers.parse(value, REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mobile_key(value: str) -> str:
    """The number a stored mobile is, however it was written: its E.164 form (a legacy value
    phonenumbers cannot read stays as it is)."""
    return normalise(value) or value


def national(value: str | None) -> str | None:
    """A stored number as a person of REGION writes it: +8801712345678 -> 01712345678."""
    if not value or not value.startswith("+"):
        return value
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    if phonenumbers.region_code_for_number(number) != REGION:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL) \
        .replace(" ", "").replace("-", "")


def mobile_starts(q: str, min_digits: int = 1) -> list[str]:
    """How the stored (E.164) numbers that start as `q` is typed begin: a Bangladeshi one
    whichever way it was written (017..., +88017..., 88017..., 0088017..., +880 017...), another
    by + and its digits; [] when q is not (part of) a number or has fewer than min_digits."""
    value = re.sub(r"[\s().-]", "", q)
    if not re.fullmatch(r"\+?[0-9]+", value, re.ASCII) or len(value.lstrip("+")) < min_digits:
        return []
    digits = value.lstrip("+")
    if value.startswith("+"):
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        return [COUNTRY + digits[1:]]
    elif not digits.startswith(COUNTRY[1:]):  # 1712... (national, no 0) or a foreign number
        return [COUNTRY + digits, "+" + digits]
    if ("+" + digits).startswith(COUNTRY + "0"):  # +880 01712...: the trunk 0 kept by mistake
        digits = digits[:len(COUNTRY) - 1] + digits[len(COUNTRY):]
    return ["+" + digits]


def mobile_matches(q: str, column=None, min_digits: int = 6) -> list:
    """Conditions on the mobile column for a search `q` that is (part of) a number: its start
    in any spelling (mobile_starts; the lower(mobile) text_pattern_ops index) or its last
    digits (the reverse(mobile) text_pattern_ops index). [] when q is not digits or has fewer
    than min_digits."""
    column = Customer.mobile if column is None else column
    starts = mobile_starts(q, min_digits)
    if not starts:
        return []
    digits = re.sub(r"[^0-9]", "", q)
    terms = [sa.func.lower(column).like(s + "%") for s in starts]
    terms.append(sa.func.reverse(column).like(digits[::-1] + "%"))  # trailing digits
    return terms


COUNTRY = "+" + str(phonenumbers.country_code_for_region(REGION))


# advisory locks on mobile numbers: (MOBILE_LOCK, bucket). Buckets bound how many locks one
# transaction holds (an import of 100,000 rows must not fill the lock table); two numbers in
# one bucket only wait for each other.
MOBILE_LOCK, MOBILE_BUCKETS = 70520, 1024


def password(raw: str) -> str:
    if len(raw) > 64 or any(ord(c) < 32 for c in raw):
        raise ValueError("must be at most 64 printable characters")
    return raw


# what authorize hands out or checks: a live session must dial again to get the new values
RELOGIN = {"package_id", "mac", "static_ip", "ipv6_prefix", "delegated_prefix", "service",
           "username"}
# columns that change on their own, or are secrets (named in `changed` without their values)
NOT_CHANGES = {"updated_at", "last_seen_at"}


def ipv6_branches(q: str) -> list:
    """An IPv6 address finds the customer whose static prefix holds it (the exclusion
    constraints' GiST indexes answer `>>=`) or whose open session was given a prefix holding it
    (radacct's framed and delegated prefixes, from accounting)."""
    import ipaddress
    try:
        addr = ipaddress.IPv6Address(q.strip().split("/")[0])
    except ValueError:
        return []
    a = sa.cast(sa.literal(str(addr)), INET)
    online = sa.select(sa.func.lower(RadAcct.username)).where(
        RadAcct.acctstoptime.is_(None),
        sa.or_(RadAcct.framedipv6prefix.op(">>=")(a), RadAcct.delegatedipv6prefix.op(">>=")(a),
               RadAcct.framedipv6address == a))
    return [Customer.ipv6_prefix.op(">>=")(a), Customer.delegated_prefix.op(">>=")(a),
            sa.func.lower(Customer.username).in_(online)]


class Customers(Entity):
    name = "customer"
    model = Customer
    label = "username"
    fields = [
        F.Field("username", F.text(64, USERNAME_RE.strip("^$"), "1-64 letters, digits or _.@-"),
                required=True),
        F.Field("password", password, clearable=False),
        F.Field("hash_only", F.boolean, clearable=False,
                help="store only the NT hash (PAP and MS-CHAPv2 work, CHAP does not)"),
        F.Field("name", F.text(100)), F.Field("mobile", mobile), F.Field("email", F.email),
        F.Field("national_id", national_id, help="national ID (NID): 10, 13 or 17 digits"),
        F.Field("lang", F.choice("en", "bn"), clearable=False,
                help="the language of the customer's messages, invoices and portal"),
        F.Field("address", F.text(300)), F.Field("mac", F.mac, help="MAC binding"),
        F.Field("service", F.choice(*SERVICES), clearable=False),
        F.Field("static_ip", F.subscriber_ipv4),
        F.Field("ipv6_prefix", F.subscriber_prefix6,
                help="static IPv6 prefix of the link (Framed-IPv6-Prefix), usually a /64"),
        F.Field("delegated_prefix", F.subscriber_prefix6,
                help="static delegated IPv6 prefix (Delegated-IPv6-Prefix), e.g. a /56"),
        F.Field("package", str, help="package id or name; required when creating"),
        F.Field("operator", str), F.Field("zone", str), F.Field("billing_profile", str),
        F.Field("expires", F.when, help="ISO date or date-time in the ISP's zone"),
        F.Field("custom_price", F.amount()), F.Field("parent", str, help="parent customer"),
        F.Field("manager", str, help="manager login who collects from this customer"),
        F.Field("notes", F.text(2000)),
    ]
    columns = ["id", "username", "name", "mobile", "mac", "service", "static_ip", "ipv6_prefix",
               "delegated_prefix", "status",
               "expires_at", "operator_id", "package", "zone_id", "advance_balance",
               "last_seen_at", "created_at", "deleted_at"]
    search = ["username", "name", "mobile", "mac", "static_ip"]
    filters = {"status": "status", "service": "service", "operator": "operator_id",
               "package": "package_id", "zone": "zone_id", "deleted": "deleted_at"}
    list_roles = CUSTOMER_VIEWERS
    edit_roles = RESELLERS
    default_sort = "username"
    # by username without regard to case, byte by byte: one order on every server, read from
    # ix_customers_username_c, whose range also answers a username prefix search
    sort_exprs = {"username": lambda: sa.func.lower(Customer.username).collate("C")}
    search_by_branch = True  # every search column has its prefix index (models/web.py)

    def load_options(self) -> list:
        return [sa.orm.selectinload(Customer.package)]  # row() names each one's package

    def visible(self, call: Call, stmt: sa.Select, deleted: bool = False) -> sa.Select:
        stmt = stmt.where(in_subtree(call, Customer.operator_id))
        if call.caller.role == "manager":
            stmt = stmt.where(Customer.manager_id == call.caller.user_id)
        if not deleted and call.get("deleted") not in ("1", "on", "yes"):
            stmt = stmt.where(Customer.deleted_at.is_(None))
        return stmt

    def search_terms(self, q: str) -> list:
        """A mobile number found in any spelling or by its last digits (mobile_matches)."""
        return mobile_matches(q)

    def search_branches(self, call: Call, q: str) -> list:
        """Beside the columns' prefixes, a searchable custom field's exact value (normalised as
        stored: containment, which ix_customers_custom_fields answers)."""
        from customers import custom_fields as CF
        out = super().search_branches(call, q)
        if not q:
            return out
        out += ipv6_branches(q)
        seen = set()
        for d in CF.visible(call.session, call.caller.operator_path):
            value = CF.search_value(d, q) if d.searchable else None
            if value is not None and (d.name, value) not in seen:
                seen.add((d.name, value))
                out.append(Customer.custom_fields.op("@>")(
                    sa.cast(sa.literal(json.dumps({d.name: value})), JSONB)))
        return out

    def list(self, call: Call):
        """The list with a cf_<name> column for each custom field shown in the list (all of
        them with custom=all, as the CSV export asks)."""
        from customers import custom_fields as CF
        result = super().list(call)
        every = F.parse_one("custom", F.choice("all", "list"), call.get("custom") or "list") == "all"
        defs, names = [], set()
        for d in CF.visible(call.session, call.caller.operator_path):
            if (every or d.in_list) and d.name not in names:
                names.add(d.name)
                defs.append(d)
        if defs:
            ids = [r["id"] for r in result.rows]
            stored = dict(call.session.execute(sa.select(Customer.id, Customer.custom_fields)
                                               .where(Customer.id.in_(ids))).all()) if ids else {}
            for r in result.rows:
                values = stored.get(r["id"]) or {}
                for d in defs:
                    r[d.param] = values.get(d.name)
            result.columns = list(result.columns) + [d.param for d in defs]
        return result

    def custom_labels(self, call: Call) -> dict[str, str]:
        """cf_<name> -> the definition's label, for the pages' column headings."""
        from customers import custom_fields as CF
        return {d.param: d.label for d in CF.visible(call.session, call.caller.operator_path)}

    def form_extras(self, call: Call, values: dict) -> list:
        """The custom fields of the customer's operator (a new customer: the caller's), for
        the form pages: (definition, current value)."""
        from customers import custom_fields as CF
        operator_id = values.get("operator_id")
        if operator_id is None and call.elid:  # a posted form: the customer it edits
            operator_id = self.find(call, call.elid).operator_id
        if operator_id is None and call.get("operator"):
            operator_id = resolve_operator(call, call.get("operator")).id
        if operator_id is None:
            operator_id = resolve_operator(call, None).id
        stored = values.get("custom_fields") or {}
        return [(d, stored.get(d.name, "")) for d in CF.definitions(call.session, operator_id)]

    def filter(self, stmt, param, column, value):
        if param == "deleted":
            return stmt.where(Customer.deleted_at.is_not(None)) if value in ("1", "on", "yes") else stmt
        if param == "package" and not F.is_id(value):
            return stmt.where(Customer.package_id.in_(
                sa.select(Package.id).where(sa.func.lower(Package.name) == value.lower())))
        return super().filter(stmt, param, column, value)

    def row(self, obj: Customer) -> dict:
        row = {c: audit.jsonable(getattr(obj, c)) for c in self.columns if c != "package"}
        row["package"] = obj.package.name if obj.package else None
        row["customer_id"] = obj.id  # the staff list links the username to the customer's page
        return row

    def form(self, call: Call, obj):
        if obj is None:
            return {"service": "pppoe"}
        values = self.row(obj)
        values.update(email=obj.email, address=obj.address, notes=obj.notes,
                      custom_price=audit.jsonable(obj.custom_price),
                      billing_profile=obj.billing_profile.name if obj.billing_profile else None,
                      zone=obj.zone.name if obj.zone else None, hash_only=obj.password is None,
                      custom_fields=obj.custom_fields, parent_id=obj.parent_id,
                      parent=self._username(call, obj.parent_id),
                      manager_id=obj.manager_id, cycle_start=audit.jsonable(obj.cycle_start),
                      trial=bool(obj.package and obj.package.trial_days))
        return values

    def _username(self, call: Call, cid: int | None) -> str | None:
        return None if cid is None else call.session.scalar(
            sa.select(Customer.username).where(Customer.id == cid))

    def apply(self, call: Call, obj: Customer, values: dict, creating: bool) -> None:
        errors: dict[str, str] = {}
        if creating and "package" not in values:
            errors["package"] = "is required"
        if creating and "password" not in values:
            errors["password"] = "is required"
        if errors:
            raise FuncError(errors=errors)
        # taken before _refs moves package_id, so hooks see the real old values
        before = audit.snapshot(obj) if not creating else None
        given = set(values)
        leaving = None  # an existing customer's operator change: the operator it leaves
        if creating or "operator" in values:
            target = resolve_operator(call, values.pop("operator", None))
            if not creating and target.id != obj.operator_id:
                leaving = obj.operator_id
            obj.operator_id = target.id
        self._refs(call, obj, values)
        self._secret(obj, values)
        expires_given = "expires" in values
        if expires_given:
            obj.expires_at = values.pop("expires")
        self._custom(call, obj, creating)
        self._trial(call, obj, creating, before, expires_given)
        super().apply(call, obj, values, creating)
        if obj.service is None:
            obj.service = "pppoe"
        if creating:  # the ISP's day, not the database session's (UTC) current_date
            obj.cycle_start = dt.datetime.now(settings.get().tz).date()
        # a number is checked when it is new to this customer (or the customer moves to an
        # operator with other rules); one shared while sharing was allowed stays editable
        check_mobile = creating or mobile_key(obj.mobile or "") != \
            mobile_key(before.get("mobile") or "") or obj.operator_id != before.get("operator_id")
        with call.session.no_autoflush:  # checked before the row is written, not by its failure
            self._unique(call, obj, mobile=check_mobile)
            if "static_ip" in values and obj.static_ip:
                self._host_in_pool(call, obj.static_ip)
            for col in ("ipv6_prefix", "delegated_prefix"):
                if values.get(col):
                    self._prefix_free(call, obj, col)
        if obj.service == "static" and not obj.static_ip:
            raise FuncError("is required for the static service", field="static_ip")
        if leaving is not None:
            self._move(call, obj, leaving, target, given)
        call.session.add(obj)
        call.session.flush()
        if creating:
            hooks.run("customer_created", call, obj)
            events.emit(call.session, "customer.created", customer_id=obj.id,
                        operator_id=obj.operator_id, actor=call.caller.login, func=call.func,
                        username=obj.username, package=obj.package.name, service=obj.service)
        else:
            hooks.run("customer_changed", call, obj, before)
            after = audit.snapshot(obj)
            changed = sorted(k for k in after if k not in NOT_CHANGES and after[k] != before.get(k))
            if changed:
                events.emit(call.session, "customer.updated", customer_id=obj.id,
                            operator_id=obj.operator_id, actor=call.caller.login,
                            func=call.func, username=obj.username, changed=changed,
                            relogin=bool(RELOGIN & set(changed)))

    def _refs(self, call: Call, obj: Customer, values: dict) -> None:
        from rating.functions.billing_profiles import ENTITY as profiles
        from packages.functions.packages import ENTITY as packages
        if "package" in values:
            pkg = packages.find(call, values.pop("package"), field="package")
            self._usable_by(call, obj, Package, pkg.id, "package")
            obj.package_id = pkg.id
        if "billing_profile" in values:
            ref = values.pop("billing_profile")
            obj.billing_profile_id = None if ref is None else \
                profiles.find(call, ref, field="billing_profile").id
            self._usable_by(call, obj, BillingProfile, obj.billing_profile_id, "billing_profile")
        if "zone" in values:
            ref = values.pop("zone")
            obj.zone_id = None if ref is None else self._zone(call, obj, ref)
        if "parent" in values:
            ref = values.pop("parent")
            obj.parent_id = None if ref is None else self._parent(call, obj, ref)
        elif obj.parent_id is not None and "operator" in call.params:
            self._parent(call, obj, str(obj.parent_id))  # still in the same subtree?
        if "manager" in values:
            ref = values.pop("manager")
            obj.manager_id = None if ref is None else self._manager(call, ref)

    def _move(self, call: Call, obj: Customer, leaving: int, target: Operator,
              given: set[str]) -> None:
        """An existing customer's new operator is customer.transfer's move with bills=move
        (customers/functions/transfer.py, rating/transfer.py): its package and billing profile
        must be offered there and its family stay in one branch (else refused, naming the
        field; a split family names `operator`: clear the parent link first); a zone (per
        operator) not given with it and a manager who could no longer see it are cleared; the
        open bills, what is owed on them and the advance become the new operator's, and
        `customer.transferred` says so (the subscriber's notice), as after customer.transfer."""
        from customers.functions import transfer
        from rating import transfer as money
        # the advance as it is now: a payment at the same time waits for this, as for a transfer
        call.session.refresh(obj, ["advance_balance"], with_for_update=True)
        problems = transfer.held_at(call, obj, target)
        if problems:
            raise FuncError(errors={"operator" if k == "elid" else k: v
                                    for k, v in problems.items()})
        if "zone" not in given:
            obj.zone_id = None
        if "manager" not in given and transfer.manager_lost(call, obj, target):
            obj.manager_id = None
        moved = money.move(call.session, obj, target.id, "move", leaving=leaving)
        transfer.announce(call, obj, call.session.get(Operator, leaving), target, "move", moved)

    def _parent(self, call: Call, obj: Customer, ref: str) -> int:
        """A parent account (a family's or a business group's payer): a live customer the
        caller sees, in the same operator subtree as the child (one's operator at or above the
        other's), one level deep: the parent has no parent and the child no children."""
        parent = self.find(call, ref, field="parent")
        if obj.id is not None and parent.id == obj.id:
            raise FuncError("cannot be the customer itself", field="parent")
        paths = call.session.execute(sa.select(Operator.id, Operator.path).where(
            Operator.id.in_((parent.operator_id, obj.operator_id)))).all()
        path = dict(paths)
        a, b = path.get(parent.operator_id, ""), path.get(obj.operator_id, "")
        if not (a.startswith(b) or b.startswith(a)):
            raise FuncError(f"{parent.username!r} belongs to another operator's subtree",
                            field="parent")
        if parent.parent_id is not None:
            raise FuncError(f"{parent.username!r} is itself a child account; a parent has no "
                            "parent", field="parent")
        if obj.id is not None and call.session.scalar(sa.select(Customer.id).where(
                Customer.parent_id == obj.id, Customer.deleted_at.is_(None)).limit(1)):
            raise FuncError("this customer is a parent of others; a parent cannot have a parent",
                            field="parent")
        return parent.id

    def _trial(self, call: Call, obj: Customer, creating: bool, before: dict | None,
               expires_given: bool) -> None:
        """A trial package gives a new customer its fixed length (customers/trials.py); moving
        off a trial package converts it; no one moves onto a trial."""
        from customers import trials
        pkg = call.session.get(Package, obj.package_id)
        old_id = None if creating else before.get("package_id")
        if pkg.trial_days:
            if expires_given:
                raise FuncError(f"a trial lasts its package's {pkg.trial_days} days",
                                field="expires")
            if not creating and old_id != obj.package_id:
                raise FuncError("a trial package is for new customers only", field="package")
            if creating:
                tz = settings.get().tz
                trials.start(obj, pkg, dt.datetime.now(tz).date(), tz)
        elif not creating and old_id != obj.package_id and \
                call.session.scalar(sa.select(Package.trial_days).where(Package.id == old_id)):
            convert_trial(call, obj, pkg, keep_expiry=expires_given)

    def _custom(self, call: Call, obj: Customer, creating: bool) -> None:
        """Custom fields given as cf_<name> (customers/custom_fields.py): typed, required and
        unique as their definitions say; errors name cf_<name>."""
        from customers import custom_fields as CF
        given = {k[3:]: v for k, v in call.params.items() if k.startswith("cf_")}
        bad = [k for k in given if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", k)]
        if bad:
            raise FuncError("is not a custom field (cf_ then its name)",
                            field=f"cf_{F.short(bad[0], 30)}")
        if not given and not creating:
            return
        with call.session.no_autoflush:
            values, errors = CF.check(call.session, obj.operator_id, given,
                                      None if creating else obj.id, lock=True)
        if errors:
            raise FuncError(errors={f"cf_{k}": v for k, v in errors.items()})
        if values:
            obj.custom_fields = CF.merged(obj.custom_fields, values)

    def _usable_by(self, call: Call, obj: Customer, model, obj_id: int | None,
                   field: str) -> None:
        """A package (billing profile) must be offered to the customer's operator (its own, an
        ancestor's or global): customer.transfer's rule, `transfer.offered`."""
        from customers.functions.transfer import offered
        owner = call.session.get(Operator, obj.operator_id)
        if not offered(call, model, obj_id, owner):
            raise FuncError(f"is not offered to operator {owner.name!r}", field=field)

    def _zone(self, call: Call, obj: Customer, ref: str) -> int:
        stmt = sa.select(Zone.id).where(Zone.operator_id == obj.operator_id)
        stmt = stmt.where(Zone.id == F.as_id(ref)) if F.is_id(ref) else \
            stmt.where(sa.func.lower(Zone.name) == ref.lower())
        zone_id = call.session.scalar(stmt)
        if zone_id is None:
            raise FuncError(f"no zone {ref!r} for this customer's operator", field="zone")
        return zone_id

    def _manager(self, call: Call, ref: str) -> int:
        user = call.session.scalars(sa.select(StaffUser).where(
            sa.func.lower(StaffUser.login) == ref.lower(), StaffUser.role == "manager",
            in_subtree(call, StaffUser.operator_id))).first()
        if user is None:
            raise FuncError(f"no manager login {ref!r} in your subtree", field="manager")
        return user.id

    def _secret(self, obj: Customer, values: dict) -> None:
        hash_only = values.pop("hash_only", None)
        if "password" in values:
            pw = values.pop("password")
            obj.nt_hash = nt_hash(pw)
            obj.password = None if hash_only else pw
        elif hash_only is True:
            obj.password = None
        elif hash_only is False and obj.password is None:
            raise FuncError("give the password again to store it in clear", field="password")

    def _prefix_free(self, call: Call, obj: Customer, col: str) -> None:
        """No two live customers' static IPv6 prefixes overlap (ex_customers_<col> says so too);
        the holder is named only when the caller may see them."""
        column = getattr(Customer, col)
        clash = sa.select(Customer.username).where(
            column.op("&&")(sa.cast(getattr(obj, col), CIDR)), Customer.deleted_at.is_(None),
            Customer.id.is_distinct_from(obj.id))
        if call.session.scalars(clash).first():
            seen = call.session.scalars(self.visible(call, clash)).first()
            who = f"customer {seen!r}" if seen else "another customer"
            raise FuncError(f"{getattr(obj, col)} overlaps the prefix of {who}", field=col)

    def _host_in_pool(self, call: Call, ip: str) -> None:
        """A static address inside a pool's subnet must not be its network or broadcast."""
        edge = call.session.scalar(sa.text(
            "select 1 from ip_pools where cidr >>= cast(:ip as inet) and masklen(cidr) < 31 "
            "and host(cast(:ip as inet)) in (host(network(cidr)), host(broadcast(cidr))) limit 1"),
            {"ip": ip})
        if edge:
            raise FuncError(f"{ip} is the network or broadcast address of its subnet, not a host",
                            field="static_ip")

    def _unique(self, call: Call, obj: Customer, mobile: bool = True) -> None:
        def taken(*conds) -> str | None:
            return call.session.scalar(sa.select(Customer.username).where(
                Customer.id.is_distinct_from(obj.id), *conds).limit(1))

        def holder(*conds) -> str | None:
            """Who holds the value: named when in the caller's subtree, else only "another
            customer" (issue 10: an error must not reveal another tenant's customers)."""
            other = taken(*conds)
            if other is None:
                return None
            mine = taken(*conds, in_subtree(call, Customer.operator_id))
            return repr(mine) if mine else "another customer"
        errors = {}
        if taken(sa.func.lower(Customer.username) == obj.username.lower()):
            errors["username"] = f"{obj.username!r} is taken"
        if obj.mac and (other := holder(Customer.mac == obj.mac, Customer.deleted_at.is_(None))):
            errors["mac"] = f"{obj.mac} is bound to {other}"
        if obj.static_ip and (other := holder(Customer.static_ip == obj.static_ip,
                                              Customer.deleted_at.is_(None))):
            errors["static_ip"] = f"{obj.static_ip} belongs to {other}"
        if mobile and obj.mobile and not self._shares_mobiles(call, obj):
            key = mobile_key(obj.mobile)
            self._lock_mobile(call, key)
            same = (Customer.mobile == key, Customer.deleted_at.is_(None))
            if taken(*same):  # named only to those who see that customer, as holder() does
                mine = taken(*same, in_subtree(call, Customer.operator_id))
                errors["mobile"] = f"{national(obj.mobile)} is in use" \
                    + (f" by {mine!r}" if mine else "")  # as written at home: 01711000001
        if errors:
            raise FuncError(errors=errors)

    def _shares_mobiles(self, call: Call, obj: Customer) -> bool:
        """Whether the customer's operator lets its customers share a number (a family's)."""
        return bool(call.session.scalar(sa.select(Operator.allow_shared_mobile)
                                        .where(Operator.id == obj.operator_id)))

    def _lock_mobile(self, call: Call, key: str) -> None:
        """Hold the number until the transaction ends: a second customer.edit with it (a
        double submit) waits here, then its check sees the first's committed row."""
        bucket = zlib.crc32(key.encode()) % MOBILE_BUCKETS
        call.session.execute(sa.select(sa.func.pg_advisory_xact_lock(MOBILE_LOCK, bucket)))

    def delete(self, call: Call) -> OkResult:
        """Soft-delete: the lifecycle writes the audit row, the event and the Disconnect."""
        for ref in [r.strip() for r in (call.elid or "").split(",") if r.strip()]:
            try:
                obj = self.find(call, ref, lock=True)
            except NotFound:
                continue  # the seed's convention: deleting nothing succeeds
            _transition(call, [obj], "deleted")
        return OkResult()


ENTITY = Customers().register()


def convert_trial(call: Call, obj: Customer, pkg: Package, keep_expiry: bool = False) -> None:
    """Billing starts today on `pkg` (customers/trials.py); a reseller pays the paid
    package's activation now, as for a new customer."""
    from customers import trials
    from rating import resellers
    trials.convert(obj, dt.datetime.now(settings.get().tz).date(),
                   dt.datetime.now(dt.timezone.utc), keep_expiry)
    resellers.charge_activation(call.session, obj, pkg)


@function("customer.convert_trial", roles=RESELLERS, money={"billing_profile"}, params=(
    Param("elid", "the trial customer's id or username", True),
    Param("package", "the paid package (id or name)", True),
    Param("billing_profile", "postpaid: the billing profile (id or name); empty keeps its own")))
def convert_trial_fn(call: Call) -> OkResult:
    """Convert a trial to a paid package: billing starts today."""
    from packages.functions.packages import ENTITY as packages
    from rating.functions.billing_profiles import ENTITY as profiles
    obj = ENTITY.find(call, call.elid or "", lock=True)
    old = call.session.get(Package, obj.package_id)
    if not old.trial_days:
        raise FuncError(f"{obj.username!r} is not on a trial package", field="elid", status=409)
    pkg = packages.find(call, F.parse_one("package", F.text(100), call.get("package") or ""),
                        field="package")
    if pkg.trial_days:
        raise FuncError(f"{pkg.name!r} is a trial package; choose a paid one", field="package")
    ENTITY._usable_by(call, obj, Package, pkg.id, "package")
    before = audit.snapshot(obj)
    if call.get("billing_profile"):
        obj.billing_profile_id = profiles.find(call, F.parse_one(
            "billing_profile", F.text(100), call.get("billing_profile")), field="billing_profile").id
        ENTITY._usable_by(call, obj, BillingProfile, obj.billing_profile_id, "billing_profile")
    obj.package_id = pkg.id
    convert_trial(call, obj, pkg)
    call.session.flush()
    audit.record(call, "customer", obj.id, obj.username, before, audit.snapshot(obj),
                 obj.operator_id)
    events.emit(call.session, "customer.package_changed", customer_id=obj.id,
                operator_id=obj.operator_id, actor=call.caller.login, func=call.func,
                username=obj.username, kind="trial_conversion", **{"from": old.name, "to": pkg.name})
    return OkResult(obj.id)


def _transition(call: Call, customers: list[Customer], dest: str) -> None:
    """`reason` is a code the lifecycle knows for this change (suspend: unpaid or expired, so
    the payment that settles it lifts it) or else a free note; the code defaults to manual."""
    given = (call.get("reason") or "").strip()
    codes = {r for t in lifecycle.TRANSITIONS if t.dest == dest for r in t.reasons}
    reason = given if given in codes else "manual"
    note = None if given in codes else (given or None)
    try:
        lifecycle.change(call.session, customers, dest, reason, lifecycle.Actor.of(call), note)
    except lifecycle.TransitionRefused as exc:
        raise FuncError(str(exc), field="elid", status=409) from None


def _status_action(name: str, doc: str, dest: str):
    @function(f"customer.{name}", roles=RESELLERS,
              params=(Param("elid", "customer ids or usernames, comma-separated", True, multi=True),
                      Param("reason", "why: a note for the suspension log; suspend also "
                                      "takes unpaid or expired, which a payment lifts")))
    def action(call: Call) -> OkResult:
        refs = [r.strip() for r in (call.elid or "").split(",") if r.strip()]
        if not refs:
            raise FuncError("is required", field="elid")
        if call.get("reason") is not None and len(call.get("reason")) > 500:
            raise FuncError("must be at most 500 characters", field="reason")
        _transition(call, [ENTITY.find(call, ref, lock=True) for ref in refs], dest)
        return OkResult()
    action.__doc__ = doc
    return action


_status_action("suspend", "Suspend: the subscriber is sent to the suspension pool.", "suspended")
_status_action("resume", "Resume a suspended subscriber.", "active")
_status_action("disable", "Disable: authentication is rejected until enabled.", "disabled")
_status_action("enable", "Enable a disabled subscriber.", "active")


@function("customer.restore", roles=RESELLERS,
          params=(Param("elid", "deleted customer ids or usernames", True, multi=True),))
def restore(call: Call) -> OkResult:
    """Restore soft-deleted customers with their history."""
    for ref in [r.strip() for r in (call.elid or "").split(",") if r.strip()]:
        stmt = ENTITY.visible(call, sa.select(Customer), deleted=True)
        stmt = stmt.where(sa.or_(Customer.id == F.as_id(ref)) if F.is_id(ref) else
                          sa.func.lower(Customer.username) == ref.lower())
        obj = call.session.scalars(stmt.with_for_update()).first()
        if obj is None:
            raise FuncError(f"no customer {ref!r}", field="elid", status=404)
        if obj.deleted_at is None:
            continue
        with call.session.no_autoflush:  # checked as if restored: are its name, MAC, IP free?
            obj.deleted_at = None
            try:
                ENTITY._unique(call, obj)
            finally:
                call.session.expire(obj, ["deleted_at"])
        _transition(call, [obj], lifecycle.RESTORED)
    return OkResult()
