"""customer.import (issue 17): create or update by username from a CSV or an XLSX, with
customer.edit's checks and messages, opening balances in the ledger, no welcome notice."""
from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
import sqlalchemy as sa

from radbill.functions.registry import FuncError
from radbill.models import AuditLog, Bill, Customer, Event, Outbox
from rating import ledger
from tests.support.factories import (fn, make, make_customer, make_isp, make_operator,
                                     make_package)
from tests.support.admin_fixtures import caller_of, make_user  # noqa: F401


@pytest.fixture
def world(session):
    isp = make_isp(session)
    res = make_operator(session, parent=isp.name, name="resA")
    make_package(session, name="home")
    make_package(session, name="fiber", price="1000")
    make(session, "billing_profile", name="monthly", term="monthly", due_day="1")
    make(session, "zone", name="north", operator=isp.name)
    return isp, res


def imp(session, text, **kw):
    return fn(session, "customer.import", file=text, **kw)


def errors_of(session, text, **kw) -> dict[str, str]:
    with pytest.raises(FuncError) as err:
        imp(session, text, **kw)
    return err.value.errors


def count(session, cond) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Customer).where(cond))


CSV = ("username,password,package,mobile,mac,static_ip,zone,billing_profile,expires,"
       "advance_balance,opening_due,status\n"
       "cut1,pw1,home,01711000201,AA:BB:CC:00:00:01,10.50.0.11,north,monthly,2027-01-31,"
       "100,,\n"
       "cut2,pw2,fiber,01711000202,,,,,,,250.50,suspended\n"
       "cut3,pw3,home,,,,,,,50,75,disabled\n")


def test_a_file_creates_customers_with_balances_dues_and_statuses(session, world):
    isp, _ = world
    before = ledger.balance(session, isp.id, "opening_balance")
    result = imp(session, CSV)
    assert result.extra["created"] == 3 and result.extra["committed"]
    c1 = session.scalar(sa.select(Customer).where(Customer.username == "cut1"))
    assert c1.mobile == "+8801711000201" and c1.mac == "AA:BB:CC:00:00:01"
    assert str(c1.static_ip) == "10.50.0.11" and c1.advance_balance == Decimal("100")
    assert c1.zone.name == "north" and c1.billing_profile.name == "monthly"
    assert c1.nt_hash and c1.password == "pw1"
    statuses = dict(session.execute(sa.select(Customer.username, Customer.status)
                                    .where(Customer.username.like("cut%"))).all())
    assert statuses == {"cut1": "active", "cut2": "suspended", "cut3": "disabled"}
    bills = session.execute(sa.select(Customer.username, Bill.total, Bill.status)
                            .join(Customer, Customer.id == Bill.customer_id)
                            .where(Customer.username.like("cut%"))
                            .order_by(Customer.username)).all()
    assert bills == [("cut2", Decimal("250.50"), "open"), ("cut3", Decimal("75.00"), "open")]
    session.flush()
    assert ledger.balance(session, isp.id, "receivable") >= Decimal("325.50")
    assert ledger.balance(session, isp.id, "opening_balance") - before == \
        Decimal("150") - Decimal("325.50")
    assert ledger.balance(session, isp.id, "advances") <= Decimal("-150")
    assert ledger.unbalanced_transactions(session) == []
    audits = session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.func == "customer.import", AuditLog.object_type == "customer"))
    assert audits >= 3 + 2  # a row each, and the two status changes
    audited = session.scalar(sa.select(AuditLog.after).where(
        AuditLog.object_name == "cut1", AuditLog.func == "customer.import"))
    assert audited["password"] == "***" and audited["nt_hash"] == "***"


def test_a_cut_over_sends_no_welcome_and_no_suspension_notice(session, world):
    imp(session, CSV)
    ids = list(session.scalars(sa.select(Customer.id).where(Customer.username.like("cut%"))))
    names = sorted(session.scalars(sa.select(Event.name).where(Event.customer_id.in_(ids))))
    assert names == ["customer.created"] * 3 + ["customer.disabled", "customer.suspended"]
    created = session.scalar(sa.select(Event.data).where(Event.customer_id == ids[0],
                                                         Event.name == "customer.created"))
    assert created["cutover"] is True
    kinds = set(session.scalars(sa.select(Outbox.kind).where(Outbox.customer_id.in_(ids))))
    assert "notify" not in kinds
    # customer.edit's own customer still gets the welcome
    c = make_customer(session, username="walkin", package="home")
    assert session.scalar(sa.select(sa.func.count()).select_from(Outbox).where(
        Outbox.customer_id == c.id, Outbox.kind == "notify")) == 1


def test_an_existing_username_is_updated_not_created(session, world):
    make_customer(session, username="old1", package="home", mobile="01711000301")
    csv = ("username,package,name,mobile,password\n"
           "OLD1,fiber,Rahim,,\nnew1,home,Karim,01711000302,pw\n")
    result = imp(session, csv)
    assert (result.extra["created"], result.extra["updated"]) == (1, 1)
    old = session.scalar(sa.select(Customer).where(Customer.username == "old1"))
    session.refresh(old)
    assert old.package.name == "fiber" and old.name == "Rahim"
    assert old.mobile == "+8801711000301"  # an empty cell leaves it
    ev = session.scalar(sa.select(Event.data).where(Event.customer_id == old.id,
                                                    Event.name == "customer.updated"))
    assert ev["relogin"] is True and "package_id" in ev["changed"] and "name" in ev["changed"]


def test_the_dry_run_names_every_bad_row_and_field_and_keeps_nothing(session, world):
    make_customer(session, username="taken1", package="home", mac="AA:BB:CC:00:00:09")
    csv = ("username,password,package,mobile,mac,advance_balance\n"
           "ok1,pw,home,01711000401,,\n"            # line 2: fine
           "bad 2,pw,home,,,\n"                     # 3: username
           "ok3,pw,nosuch,01711000401,,\n"          # 4: package, mobile (line 2 has it)
           "ok4,pw,home,,AA:BB:CC:00:00:09,-5\n"    # 5: mac taken, negative money
           "ok5,,home,,,\n"                         # 6: password required (a new customer)
           "ok1,pw,home,,,\n")                      # 7: the file's own duplicate
    errs = errors_of(session, csv, dry_run="yes")
    assert set(errs) == {"row 3: username", "row 4: package", "row 4: mobile", "row 5: mac",
                         "row 5: advance_balance", "row 6: password", "row 7: username"}
    assert errs["row 4: mobile"] == "01711000401 is in use by 'ok1'"
    assert errs["row 5: mac"] == "AA:BB:CC:00:00:09 is bound to 'taken1'"
    assert errs["row 4: package"] == "no package 'nosuch'"
    assert count(session, Customer.username.like("ok%")) == 0
    # a real run refuses the same file, unless told to skip the bad rows
    errors_of(session, csv)
    assert count(session, Customer.username.like("ok%")) == 0
    result = imp(session, csv, skip_bad="yes")
    assert result.extra["created"] == 1 and result.extra["bad_rows"] == 5
    assert count(session, Customer.username.like("ok%")) == 1


def test_the_import_and_customer_edit_refuse_alike(session, world):
    """The two must not drift: each bad value gets customer.edit's own field and message."""
    make_customer(session, username="holder", package="home", mac="AA:BB:CC:00:00:77",
                  mobile="01711000777", static_ip="10.60.0.7", national_id="1234567890")
    make(session, "pool", name="edge", cidr="10.70.0.0/24")
    cases = [{"mobile": "12"}, {"mobile": "01711000777"}, {"mac": "zz"},
             {"mac": "AA:BB:CC:00:00:77"}, {"static_ip": "10.60.0.7"}, {"email": "x@"},
             {"national_id": "1234567890"}, {"static_ip": "10.70.0.255"},
             {"package": "nosuch"}, {"zone": "nowhere"}, {"expires": "31/12/2026"},
             {"service": "static"}, {"username": "no spaces"}, {"national_id": "123"}]
    for case in cases:
        params = {"username": "drift1", "password": "pw", "package": "home", **case}
        with pytest.raises(FuncError) as edit:
            fn(session, "customer.edit", sok="ok", **params)
        header = ",".join(params)
        with pytest.raises(FuncError) as imported:
            imp(session, header + "\n" + ",".join(params.values()) + "\n", dry_run="yes")
        want = edit.value.errors or {edit.value.field: edit.value.message}
        got = {k.split(": ", 1)[1]: v for k, v in imported.value.errors.items()}
        assert got == want, case


def test_an_xlsx_file_reads_as_the_csv(session, world, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Login", "Pass", "Plan", "Phone", "Balance"])
    sheet.append(["x1", "pw", "home", 1711000501, 20.5])  # a number the sheet kept as one
    sheet.append([None, None, None, None, None])
    sheet.append(["x2", "pw", "home", "01711000502", None])
    path = tmp_path / "cut.xlsx"
    book.save(path)
    from radbill.functions.caller import SYSTEM
    result = fn(session, "customer.import", SYSTEM, file=str(path))  # the CLI's channel
    assert result.extra["created"] == 2
    x1 = session.scalar(sa.select(Customer).where(Customer.username == "x1"))
    assert x1.mobile == "+8801711000501" and x1.advance_balance == Decimal("20.50")
    bad = io.BytesIO()
    sheet.append(["x3", "pw", "home", "bad", None])
    book.save(bad)
    path.write_bytes(bad.getvalue())
    errs = errors_of(session, str(path), dry_run="yes")
    # x1 exists now: an opening balance is for new customers; the blank row 3 still counts
    assert list(errs) == ["row 2: advance_balance", "row 5: mobile"]


def test_a_path_outside_the_upload_folder_is_refused_to_web_callers(session, world):
    from radbill.functions.caller import SYSTEM
    web = SYSTEM.via("web", True)
    with pytest.raises(FuncError) as err:
        fn(session, "customer.import", web, file="/etc/passwd.csv")
    assert err.value.field == "file"


def test_a_mapping_is_saved_and_used_by_name(session, world):
    csv = "Login,Secret,Plan\nm1,pw,home\n"
    imp(session, csv, mapping="Login:username,Secret:password,Plan:package",
        save_mapping="old panel", dry_run="yes")
    # the dry run kept nothing, the mapping included: save it with a real run
    imp(session, csv, mapping="Login:username,Secret:password,Plan:package",
        save_mapping="old panel")
    result = imp(session, "Login,Secret,Plan\nm2,pw,home\n", saved_mapping="old panel")
    assert result.extra["created"] == 1
    rows = fn(session, "import_mapping").rows
    assert rows[0]["name"] == "old panel"


def test_a_reseller_imports_into_its_subtree_only(session, world):
    isp, res = world
    staff = caller_of(session, make_user(session, role="operator", operator=res.name))
    make_customer(session, username="ispown", package="home")
    with pytest.raises(FuncError) as err:
        fn(session, "customer.import", staff,
           file="username,password,package,operator\nispown,pw,home,\nr1,pw,home,"
                + isp.name + "\n")
    assert err.value.errors == {"row 2: username": "'ispown' is taken",
                                "row 3: operator": "is outside your subtree"}


def test_custom_fields_are_imported_typed_required_and_unique(session, world):
    from radbill.functions.caller import SYSTEM
    isp, _ = world
    fn(session, "custom_field.edit", SYSTEM, sok="ok", name="meter", label="Meter",
       kind="number", operator=isp.name)
    fn(session, "custom_field.edit", SYSTEM, sok="ok", name="tower", label="Tower",
       kind="choice", choices="north, south", required="on", unique="on")
    csv = ("username,password,package,cf_meter,cf_tower\n"
           "cf1,pw,home,0012.50,north\n"
           "cf2,pw,home,12;5,east\n"       # 3: not a number, not a choice
           "cf3,pw,home,,\n")              # 4: tower is required
    errs = errors_of(session, csv, dry_run="yes")
    assert errs == {"row 3: cf_meter": "'12;5' is not a number",
                    "row 3: cf_tower": "'east' is not one of north, south",
                    "row 4: cf_tower": "is required"}
    imp(session, csv, skip_bad="yes")
    cf1 = session.scalar(sa.select(Customer).where(Customer.username == "cf1"))
    assert cf1.custom_fields == {"meter": "12.5", "tower": "north"}
    errs = errors_of(session, "username,password,package,cf_tower\ncf9,pw,home,north\n")
    assert errs == {"row 2: cf_tower": "'north' is already another customer's"}


def test_a_trial_package_gives_a_new_customer_its_length_and_no_one_moves_onto_it(session, world):
    make_package(session, name="trial7", trial_days="7")
    make_customer(session, username="paying", package="home")
    csv = ("username,password,package,expires\n"
           "tr1,pw,trial7,\n"
           "tr2,pw,trial7,2027-01-01\n"
           "paying,,trial7,\n")
    errs = errors_of(session, csv, dry_run="yes")
    assert errs == {"row 3: expires": "a trial lasts its package's 7 days",
                    "row 4: package": "a trial package is for new customers only"}
    imp(session, csv, skip_bad="yes")
    tr1 = session.scalar(sa.select(Customer).where(Customer.username == "tr1"))
    assert tr1.expires_at is not None
