"""Pure parsing: rates, sizes, money and field parsers, without a database."""
from decimal import Decimal

import pytest

from radbill import money, units
from radbill.functions import fields as F
from radbill.functions.registry import FuncError
from radbill.nthash import nt_hash


@pytest.mark.parametrize("text,bps", [("10M", 10_000_000), ("512k", 512_000), ("1G", 10**9),
                                      ("1.5M", 1_500_000), ("64000", 64_000)])
def test_rates_are_parsed_1000_based(text, bps):
    assert units.parse_rate(text) == bps


@pytest.mark.parametrize("bad", ["", "10X", "-5M", "M", "ten"])
def test_bad_rates_are_refused_with_an_example(bad):
    with pytest.raises(ValueError, match="is not a rate like"):
        units.parse_rate(bad)


def test_sizes_are_1024_based_and_round_trip():
    assert units.parse_size("50G") == 50 * 2**30
    assert units.format_size(units.parse_size("50G")) == "50G"
    assert units.format_rate(1_500_000) == "1500k"
    assert units.format_rate(10_000_000) == "10M"


def test_money_is_decimal_and_refuses_floats_and_fractions_of_cents():
    assert money.parse_money("500") == Decimal("500.00")
    assert money.parse_money("1,250.5") == Decimal("1250.50")
    with pytest.raises(ValueError):
        money.parse_money(1.5)
    with pytest.raises(ValueError, match="two decimal places"):
        money.parse_money("1.005")
    with pytest.raises(ValueError):
        money.parse_money("NaN")


@pytest.mark.parametrize("raw", ["aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff",
                                 "aabbccddeeff"])
def test_mac_spellings_normalise_to_mikrotik_form(raw):
    assert F.mac(raw) == "AA:BB:CC:DD:EE:FF"


@pytest.mark.parametrize("raw", ["zz", "aa:bb:cc:dd:ee", "aa:bb-cc:dd:ee:ff", "gg:bb:cc:dd:ee:ff"])
def test_malformed_macs_are_refused(raw):
    with pytest.raises(ValueError, match="is not a MAC address"):
        F.mac(raw)


def test_parse_fields_reports_every_bad_field_at_once():
    fields = [F.Field("name", F.name_text, required=True), F.Field("price", F.amount()),
              F.Field("rate", F.rate)]
    with pytest.raises(FuncError) as err:
        F.parse_fields(fields, {"price": "-1", "rate": "fast"}, creating=True)
    assert set(err.value.errors) == {"name", "price", "rate"}
    assert err.value.errors["price"] == "must not be negative"
    assert "name: is required" in err.value.message


def test_nt_hash_matches_the_known_vector():
    # MS-CHAP's NT hash of "password" (RFC 2759 test vectors use the same MD4/UTF-16LE rule)
    assert nt_hash("password") == "8846F7EAEE8FB117AD06BDD830B7586C"


def test_output_formats_follow_the_func_api_seed():
    import json
    from xml.etree import ElementTree as ET

    from radbill.functions import output
    from radbill.functions.registry import FormResult, ListResult, OkResult

    lst = ListResult([{"id": 1, "name": "Home"}, {"id": 2, "name": "Biz"}], 2, 1, 50)
    doc = ET.fromstring(output.render(lst, "xml")[1].split("\n", 1)[1])
    assert doc.tag == "doc" and [e.findtext("name") for e in doc.findall("elem")] == ["Home", "Biz"]
    assert json.loads(output.render(lst, "JSONdata")[1]) == lst.rows
    assert json.loads(output.render(lst, "json")[1])["doc"]["elem"][1]["name"] == "Biz"
    form = ET.fromstring(output.render(FormResult(7, {"name": "Home"}), "xml")[1].split("\n", 1)[1])
    assert form.findtext("elid") == "7" and form.findtext("name") == "Home"
    ok = ET.fromstring(output.render(OkResult(), "xml")[1].split("\n", 1)[1])
    assert ok.find("ok") is not None
    err = FuncError("is taken", field="username")
    e = ET.fromstring(output.render(err, "xml")[1].split("\n", 1)[1]).find("error")
    assert e.text == "username: is taken" and e.get("object") == "username"
    assert output.render(err, "text")[1] == "ERROR username: is taken"
    with pytest.raises(FuncError, match="unknown output format"):
        output.render(ok, "yaml")


@pytest.mark.parametrize("text,seconds", [("90m", 5400), ("5h", 18_000), ("1d", 86_400),
                                          ("3600", 3600), ("1d 12h", 129_600), ("45s", 45),
                                          ("1 h 30 m", 5400), ("2H", 7200)])
def test_durations_are_parsed_to_seconds_and_read_back(text, seconds):
    assert units.parse_duration(text) == seconds
    assert units.parse_duration(units.format_duration(seconds)) == seconds


@pytest.mark.parametrize("bad", ["", "h", "1.5h", "5 hours", "-5m", "1 2", "\u0663h"])
def test_bad_durations_are_refused_with_an_example(bad):
    with pytest.raises(ValueError, match="is not a duration like 90m, 5h or 1d"):
        units.parse_duration(bad)


def test_durations_and_sizes_are_shown_as_people_read_them():
    assert units.format_duration(5400) == "1 h 30 m" and units.format_duration(86_400) == "1 d"
    assert units.format_duration(0) == "0 s" and units.format_duration(None) == ""
    assert units.format_bytes(2 * 2**30) == "2 GB" and units.format_bytes(1500) == "1500 B"
    assert units.parse_size(units.format_bytes(500 * 2**20)) == 500 * 2**20
