"""Custom fields (issue 17): definitions per operator, values typed, required and unique,
searchable and listed; a second reseller neither sees nor sets another's fields."""
from __future__ import annotations

import pytest

from customers import custom_fields as CF
from radbill.functions.registry import AccessDenied, FuncError
from tests.support.factories import (caller_of, fn, make_customer, make_isp, make_operator,
                                     make_package, make_user)


@pytest.fixture
def tree(session):
    isp = make_isp(session)
    ops = {n: make_operator(session, name=n, parent=isp.name) for n in ("resA", "resB")}
    make_package(session, name="Home", price="500")
    callers = {n: caller_of(session, make_user(session, login=f"op-{n}", role="operator",
                                               operator=n)) for n in ops}
    return {"isp": isp, "ops": ops, **callers}


def refused(call) -> FuncError:
    with pytest.raises(FuncError) as err:
        call()
    return err.value


def define(session, caller=None, **kw):
    from radbill.functions.caller import SYSTEM
    kw.setdefault("label", kw["name"].title())
    return fn(session, "custom_field.edit", caller or SYSTEM, sok="ok", **kw).elid


def test_values_are_typed_normalised_and_stored(session, tree):
    a = tree["resA"]
    define(session, a, name="meter", kind="number")
    define(session, a, name="installed", kind="date")
    define(session, a, name="tower", kind="choice", choices="north, south")
    define(session, a, name="landmark")
    c = make_customer(session, a, package="Home", cf_meter="0012.50", cf_installed="2028-02-29",
                      cf_tower="south", cf_landmark="  blue gate ")
    assert c.custom_fields == {"meter": "12.5", "installed": "2028-02-29", "tower": "south",
                               "landmark": "blue gate"}
    err = refused(lambda: fn(session, "customer.edit", a, sok="ok", elid=str(c.id),
                             cf_meter="12,5", cf_installed="2027-02-29", cf_tower="east"))
    assert err.errors == {"cf_meter": "'12,5' is not a number",
                          "cf_installed": "'2027-02-29' is not a date like 2026-12-31",
                          "cf_tower": "'east' is not one of north, south"}
    fn(session, "customer.edit", a, sok="ok", elid=str(c.id), cf_landmark="")  # clears it
    session.refresh(c)
    assert "landmark" not in c.custom_fields
    for hostile in ("NaN", "1e999999", "Infinity", "１２"):
        assert "cf_meter" in refused(lambda: fn(session, "customer.edit", a, sok="ok",
                                                elid=str(c.id), cf_meter=hostile)).errors


def test_required_and_unique_are_enforced_naming_the_field(session, tree):
    a = tree["resA"]
    define(session, a, name="nid_card", required="on", unique="on")
    err = refused(lambda: make_customer(session, a, package="Home"))
    assert err.errors == {"cf_nid_card": "is required"}
    first = make_customer(session, a, package="Home", cf_nid_card="A-1")
    err = refused(lambda: make_customer(session, a, package="Home", cf_nid_card="A-1"))
    assert err.errors == {"cf_nid_card": "'A-1' is already another customer's"}
    # the holder itself may save its own value again
    fn(session, "customer.edit", a, sok="ok", elid=str(first.id), cf_nid_card="A-1")
    err = refused(lambda: fn(session, "customer.edit", a, sok="ok", elid=str(first.id),
                             cf_nid_card=" "))
    assert err.errors == {"cf_nid_card": "is required"}


def test_an_isp_field_applies_to_the_resellers_customers_who_cannot_edit_it(session, tree):
    a, b = tree["resA"], tree["resB"]
    isp_field = define(session, name="zone_code", unique="on", searchable="on", in_list="on")
    make_customer(session, a, package="Home", cf_zone_code="Z1")
    # unique across the ISP tree: reseller B cannot reuse A's value, and is not told whose
    err = refused(lambda: make_customer(session, b, package="Home", cf_zone_code="Z1"))
    assert err.errors == {"cf_zone_code": "'Z1' is already another customer's"}
    names = [r["name"] for r in fn(session, "custom_field", b).rows]
    assert names == ["zone_code"]
    with pytest.raises(AccessDenied):
        fn(session, "custom_field.edit", b, sok="ok", elid=str(isp_field), label="mine now")
    with pytest.raises(AccessDenied):
        fn(session, "custom_field.delete", b, elid=str(isp_field))
    assert [r["name"] for r in fn(session, "custom_field", b).rows] == ["zone_code"]


def test_a_second_reseller_neither_sees_nor_sets_anothers_fields(session, tree):
    a, b = tree["resA"], tree["resB"]
    define(session, a, name="secret_a")
    assert fn(session, "custom_field", b).rows == []
    err = refused(lambda: make_customer(session, b, package="Home", cf_secret_a="x"))
    assert err.errors == {"cf_secret_a": "is not a custom field of this customer's operator"}
    # B may define its own field of that name (another chain); A's own chain may not
    define(session, b, name="secret_a")
    err = refused(lambda: define(session, name="secret_a"))  # ISP: would clash with both
    assert "already a custom field" in err.errors["name"]
    err = refused(lambda: define(session, a, name="x", operator=tree["ops"]["resB"].name))
    assert "operator" in err.errors


def test_hostile_definitions_are_refused_with_reasons(session, tree):
    a = tree["resA"]
    for kw, field in ((dict(name="Bad Name"), "name"), (dict(name="a" * 41), "name"),
                      (dict(name="ok", kind="blob"), "kind"),
                      (dict(name="ok", kind="choice"), "choices"),
                      (dict(name="ok", choices="x,x", kind="choice"), "choices"),
                      (dict(name="ok", choices="x"), "choices"),
                      (dict(name="ok", label="\x00"), "label")):
        assert field in refused(lambda: define(session, a, **kw)).errors, kw
    fid = define(session, a, name="kind_fixed", kind="number")
    make_customer(session, a, package="Home", cf_kind_fixed="5")
    err = refused(lambda: fn(session, "custom_field.edit", a, sok="ok", elid=str(fid), kind="text"))
    assert "kind" in err.errors


def test_unique_cannot_be_switched_on_over_duplicates(session, tree):
    a = tree["resA"]
    fid = define(session, a, name="plot")
    for _ in range(2):
        make_customer(session, a, package="Home", cf_plot="7")
    err = refused(lambda: fn(session, "custom_field.edit", a, sok="ok", elid=str(fid), unique="on"))
    assert err.errors == {"unique": "2 customers share the value '7'; make them differ first"}


def test_the_list_shows_searches_and_exports_custom_fields(session, tree):
    a, b = tree["resA"], tree["resB"]
    define(session, a, name="meter", kind="number", searchable="on", in_list="on")
    define(session, a, name="hidden_note")
    amy = make_customer(session, a, package="Home", username="amy", cf_meter="42.0",
                        cf_hidden_note="n")
    make_customer(session, a, package="Home", username="ann", cf_meter="43")
    result = fn(session, "customer", a, q="42")
    assert [r["username"] for r in result.rows] == ["amy"]
    assert "cf_meter" in result.columns and "cf_hidden_note" not in result.columns
    assert result.rows[0]["cf_meter"] == "42"
    assert fn(session, "customer", a, q="42.00").rows[0]["id"] == amy.id  # as stored: 42
    every = fn(session, "customer", a, custom="all")
    assert {"cf_meter", "cf_hidden_note"} <= set(every.columns)
    assert fn(session, "customer", b, q="42").rows == []  # B sees neither field nor customer
    assert "custom" in refused(lambda: fn(session, "customer", a, custom="x")).errors


def test_check_many_checks_thousands_of_rows_with_one_query_per_unique_field(session, tree):
    a = tree["resA"]
    define(session, a, name="serial", unique="on")
    define(session, a, name="meter", kind="number")
    op_id = tree["ops"]["resA"].id
    make_customer(session, a, package="Home", cf_serial="S-5")
    rows = [{"serial": f"S-{i}", "meter": str(i)} for i in range(2000)]
    rows.append({"serial": "S-7", "meter": "x"})
    import sqlalchemy as sa
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)
    engine = session.get_bind().engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        out = CF.check_many(session, op_id, rows)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) <= 3  # operator path, definitions, one unique check
    assert out[0] == ({"serial": "S-0", "meter": "0"}, {})
    assert out[5][1] == {"serial": "'S-5' is already another customer's"}
    assert out[2000][1] == {"serial": "'S-7' is also given for row 8", "meter": "'x' is not a number"}
    values, errors = CF.check(session, op_id, {"serial": "S-9"})
    assert errors == {} and values == {"serial": "S-9"}
