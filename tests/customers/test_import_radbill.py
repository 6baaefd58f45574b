"""customer.import_radbill (issue 17): another radbill instance, made in a scratch database and
saved with the real `radbill backup`, imported here: customers (passwords and NT hashes, MAC,
static IP, expiry, status, custom fields), packages and billing profiles by name (a conflict
reported), open bills as opening dues, advances as advances, paid history kept read-only, the
ledger balanced; a second run changes nothing; rights; a flipped byte refuses the backup."""
from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from radbill.functions.registry import FuncError
from radbill.models import (AuditLog, Bill, Customer, Event, ImportedRecord, LedgerEntry,
                            Outbox, Package)
from rating import ledger
from tests.support.admin_fixtures import caller_of, make_user  # noqa: F401 (fixtures)
from tests.support.factories import fn, make, make_isp, make_operator, make_package
from tests.support.scratch_db import radbill_at, scratch_database

SOURCE_CSV = ("username,password,nt_hash,package,mobile,mac,static_ip,zone,billing_profile,"
              "expires,advance_balance,opening_due,status,cf_plot\n"
              "alice,pw-a,,home,01711000301,AA:BB:CC:00:03:01,10.60.0.11,north,monthly,"
              "2027-01-31,,500,,A-1\n"
              "bob,,0123456789ABCDEF0123456789ABCDEF,fiber,,,,,,,,800,suspended,B-2\n"
              "carol,pw-c,,home,,,,,,,100,,disabled,\n"
              "dave,pw-d,,home,,,,,,,,,,\n")


@pytest.fixture(scope="module")
def backup_folder(database_url, tmp_path_factory):
    """A source instance: 4 customers (one deleted), open and paid bills, payments; backed up."""
    with scratch_database(database_url, "rbsrc") as url:
        up = radbill_at(url, "db", "upgrade", timeout=300)
        assert up.returncode == 0, up.stderr
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with Session(engine) as s, s.begin():
            isp = make_isp(s)
            make_package(s, name="home", price="500")
            make_package(s, name="fiber", price="1000", rate_down="50M", rate_up="20M")
            make(s, "billing_profile", name="monthly", term="monthly", due_day="5")
            make(s, "zone", name="north", operator=isp.name)
            fn(s, "custom_field.edit", sok="ok", name="plot", label="Plot", operator=isp.name)
            fn(s, "customer.import", file=SOURCE_CSV)
            fn(s, "payment.edit", sok="ok", customer="alice", method="cash", amount="500")
            fn(s, "payment.edit", sok="ok", customer="bob", method="cash", amount="300")
            dave = s.scalar(sa.select(Customer.id).where(Customer.username == "dave"))
            fn(s, "customer.delete", elid=str(dave))
        engine.dispose()
        r = radbill_at(url, "backup", "--to", str(tmp_path_factory.mktemp("rb")), timeout=300)
        assert r.returncode == 0, r.stderr
        yield Path(r.stdout.strip())


@pytest.fixture
def here(session):
    isp = make_isp(session)
    make_operator(session, parent=isp.name, name="resA")
    make_package(session, name="home", price="600")  # the same name on other terms
    return isp


def counts(session) -> dict:
    return {m.__name__: session.scalar(sa.select(sa.func.count()).select_from(m))
            for m in (Customer, Bill, ImportedRecord, LedgerEntry, Event, Outbox, Package)}


def test_a_backup_carries_customers_packages_bills_and_payments(session, here, backup_folder):
    before = counts(session)
    dry = fn(session, "customer.import_radbill", source=str(backup_folder), operator=here.name,
             dry_run="yes")
    e = dry.extra
    assert (e["customers"], e["created"], e["deleted_not_carried"]) == (3, 3, 1)
    assert e["conflicts"] == ["package 'home': price 600.00 here, 500.00 there"]
    assert (e["bills"], e["payments"], e["open_bills"], e["advances"]) == (2, 2, 1, 1)
    assert Decimal(e["opening_dues"]) == 500 and Decimal(e["advance_total"]) == 100
    assert counts(session) == before  # the dry run kept nothing

    done = fn(session, "customer.import_radbill", source=str(backup_folder),
              operator=here.name).extra
    assert (done["created"], done["committed"]) == (3, True)
    assert done["created_catalog"]["packages"] == ["fiber"]
    got = {c.username: c for c in session.scalars(sa.select(Customer))}
    assert set(got) == {"alice", "bob", "carol"}
    alice, bob, carol = got["alice"], got["bob"], got["carol"]
    assert (alice.password, alice.mac, str(alice.static_ip), alice.mobile) == \
        ("pw-a", "AA:BB:CC:00:03:01", "10.60.0.11", "+8801711000301")
    assert (alice.zone.name, alice.billing_profile.name, alice.package.price) == \
        ("north", "monthly", Decimal("600"))  # this instance's 'home'
    assert alice.expires_at.date().isoformat() == "2027-01-31"
    assert alice.custom_fields == {"plot": "A-1"} and bob.custom_fields == {"plot": "B-2"}
    assert (bob.password, bob.nt_hash, bob.status) == \
        (None, "0123456789ABCDEF0123456789ABCDEF", "suspended")
    assert (bob.package.name, bob.package.rate_down) == ("fiber", 50_000_000)
    assert (carol.status, carol.advance_balance) == ("disabled", Decimal("100"))
    assert {c.operator_id for c in got.values()} == {here.id}
    # bob's open bill (800, 300 paid) is his opening due here; alice's paid one is history
    bills = session.scalars(sa.select(Bill)).all()
    assert [(b.customer_id, b.total, b.status) for b in bills] == [(bob.id, Decimal("500"), "open")]
    assert "bill #" in bills[0].note and "total 800.00, paid 300.00" in bills[0].note
    history = fn(session, "imported_record", customer="alice").rows
    assert sorted((r["kind"], r["amount"], r["status"]) for r in history) == \
        [("bill", Decimal("500.00"), "paid"), ("payment", Decimal("500.00"), "completed")]
    rec = session.scalar(sa.select(ImportedRecord).where(ImportedRecord.customer_id == bob.id,
                                                         ImportedRecord.kind == "bill"))
    assert rec.bill_id == bills[0].id and rec.paid == Decimal("300")
    # the ledger: dues and advances against opening_balance, every transaction balanced
    assert ledger.balance(session, here.id, "receivable") == Decimal("500")
    assert ledger.balance(session, here.id, "advances") == Decimal("-100")
    assert ledger.balance(session, here.id, "opening_balance") == Decimal("-400")
    assert session.scalar(sa.select(sa.func.sum(LedgerEntry.amount))) == 0
    # a cut-over: no welcome SMS queued
    welcome = session.scalar(sa.select(sa.func.count()).select_from(Outbox)
                             .where(Outbox.kind == "notify"))
    assert welcome == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.func == "customer.import_radbill", AuditLog.object_name == "alice")) == 1

    after = counts(session)
    again = fn(session, "customer.import_radbill", source=str(backup_folder),
               operator=here.name).extra
    assert (again["created"], again["updated"], again["bills"], again["payments"],
            again["advances"], again["already_carried"]) == (0, 0, 0, 0, 0, 5)
    assert counts(session) == after  # nothing twice


def test_a_reseller_cannot_import_into_its_own_nor_another_subtree(session, here,
                                                                 backup_folder):
    """An ISP admin's function: a reseller is refused whatever operator it names."""
    make_operator(session, parent=here.name, name="resB")
    reseller = caller_of(session, make_user(session, role="operator", operator="resA"))
    for target in ("resB", "resA", None):
        with pytest.raises(FuncError) as err:
            fn(session, "customer.import_radbill", reseller, source=str(backup_folder),
               operator=target, dry_run="yes")
        assert err.value.status == 403
    assert session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


def test_a_flipped_byte_refuses_the_backup_naming_the_file(session, here, backup_folder,
                                                             tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(backup_folder, copy)
    dump = copy / "database.dump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0x01
    dump.write_bytes(bytes(data))
    with pytest.raises(FuncError) as err:
        fn(session, "customer.import_radbill", source=str(copy), operator=here.name)
    assert err.value.field == "source"
    assert "database.dump: checksum differs from the manifest" in err.value.message
    assert session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 0


def test_the_customer_page_shows_the_imported_history_in_bangla(world, auth, dbs):
    """A customer's carried bills and payments on their page (a staff member reading Bangla)."""
    import datetime as dt

    from radbill.models import StaffUser
    from tests.admin.test_bangla_pages import untranslated, without_wording
    alice = world.cust_a
    for kind, number, amount in (("bill", "41", "500"), ("payment", "RC000042", "500")):
        dbs.add(ImportedRecord(source="radbill:test", kind=kind, source_id=int(number[-2:]),
                               customer_id=alice.id, operator_id=alice.operator_id,
                               number=number, on_date=dt.date(2026, 10, 5),
                               period_from=dt.date(2026, 10, 1) if kind == "bill" else None,
                               amount=Decimal(amount), status="paid" if kind == "bill"
                               else "completed", method="cash" if kind == "payment" else None))
    dbs.execute(sa.update(StaffUser).where(StaffUser.login == "gadmin").values(lang="bn"))
    dbs.commit()
    auth.login("gadmin")
    page = auth.get(f"/customers/{alice.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="imported_records"' in html
    assert "RC000042" in html and ">৪১<" in html and "আমদানি করা ইতিহাস" in html  # bill 41
    link = f"/customers/{alice.id}"
    assert untranslated(without_wording(html, link)) == []
    bob = world.cust_b  # no history: no section
    assert 'id="imported_records"' not in auth.get(f"/customers/{bob.id}").get_data(as_text=True)
