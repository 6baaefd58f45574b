"""The authorize decision without FreeRADIUS or a database: each rule of the precedence list."""
from __future__ import annotations

import pytest

from radius_module import policy
from radius_module.state import Config, Customer, Package, State

NOW = 1_800_000_000.0


def pkg(**kw) -> Package:
    base = dict(id=1, rate_down=10_000_000, rate_up=5_000_000, burst_down=None, burst_up=None,
                burst_threshold_down=None, burst_threshold_up=None, burst_time=None,
                data_cap=None, fup_rate_down=None, fup_rate_up=None, pool="main", fup_pool=None,
                sim_use=1)
    base.update(kw)
    return Package(**base)


def cust(**kw) -> Customer:
    base = dict(id=7, username="Alice", password="pw", nt_hash="A" * 32, mac=None, static_ip=None,
                status="active", deleted=False, expires_at=None, operator_id=2, package_id=1)
    base.update(kw)
    return Customer(**base)


def state(c: Customer | None = None, p: Package | None = None, used=None) -> State:
    s = State(config=Config(interim_interval=600, suspended_session_timeout=120,
                            suspended_address_list="radbill-suspended"))
    s.set_packages([tuple(p or pkg())])
    s.set_customers([tuple(c or cust())])
    s.set_operators([(1, "/1/"), (2, "/1/2/"), (3, "/1/3/")])
    s.suspension_pool = "walled"
    if used:
        s.set_usage([(s.customers["alice"].id, *used)])
    return s


def decide(s: State, **req) -> policy.Decision:
    req = {k.replace("_", "-"): v for k, v in req.items()}
    req.setdefault("User-Name", "alice")
    req.setdefault("Radbill-Client-IP", "10.9.9.9")
    return policy.decide(s, req, NOW)


def test_active_subscriber_gets_rate_pool_and_interim():
    d = decide(state())
    assert d.verdict == policy.ACCEPT and d.reason == "active"
    assert d.reply == (("Mikrotik-Rate-Limit", ":=", "5M/10M"), ("Framed-Pool", ":=", "main"),
                       ("Acct-Interim-Interval", ":=", "600"))
    assert d.control == (("Cleartext-Password", ":=", "pw"),)


def test_hash_only_account_supplies_nt_password_and_refuses_chap():
    s = state(cust(password=None))
    assert decide(s).control == (("NT-Password", ":=", "0x" + "A" * 32),)
    d = decide(s, CHAP_Password="0x01")
    assert d.verdict == policy.REJECT and "CHAP" in d.reason


@pytest.mark.parametrize("change, reason", [
    (dict(deleted=True), "account deleted"),
    (dict(status="disabled"), "account disabled"),
])
def test_deleted_and_disabled_are_rejected_at_once(change, reason):
    d = decide(state(cust(**change)))
    assert (d.verdict, d.reason) == (policy.REJECT, reason)


def test_unknown_and_nameless_requests_are_rejected():
    assert decide(state(), User_Name="bob").reason == "unknown user 'bob'"
    assert policy.decide(state(), {}, NOW).reason == "no User-Name in the request"


def test_mac_binding_is_checked_after_the_password():
    s = state(cust(mac="AA:BB:CC:DD:EE:FF"))
    assert decide(s, Calling_Station_Id="aa-bb-cc-dd-ee-ff").verdict == policy.ACCEPT
    d = decide(s, Calling_Station_Id="11:22:33:44:55:66")
    assert d.verdict == policy.DEFER and "MAC address 11:22:33:44:55:66" in d.reason
    assert d.control == (("Cleartext-Password", ":=", "pw"),)


def test_nas_of_another_operator_is_refused_shared_and_ancestor_nas_allowed():
    s = state()
    s.set_nas([("10.0.0.1", 1, None), ("10.0.0.2", 2, 1), ("10.0.0.3", 3, 3)])
    assert decide(s, Radbill_Client_IP="10.0.0.1").verdict == policy.ACCEPT
    assert decide(s, Radbill_Client_IP="10.0.0.2").verdict == policy.ACCEPT
    d = decide(s, Radbill_Client_IP="10.0.0.3")
    assert d.verdict == policy.DEFER and "NAS 10.0.0.3" in d.reason


def test_simultaneous_use_over_the_package_limit():
    s = state(p=pkg(sim_use=2))
    s.sessions.open("u1", "alice", "10.0.0.1")
    assert decide(s).verdict == policy.ACCEPT
    s.sessions.open("u2", "alice", "10.0.0.1")
    d = decide(s)
    assert d.verdict == policy.DEFER and "2 session(s) online; the package allows 2" in d.reason
    s.sessions.close("u2")
    s.sessions.open("u2", "alice", "10.0.0.1")  # a late Interim must not reopen a stopped one
    assert decide(s).verdict == policy.ACCEPT


@pytest.mark.parametrize("change, reason", [
    (dict(status="suspended"), "suspended"),
    (dict(expires_at=NOW - 1), "expired"),
])
def test_suspended_or_expired_go_to_the_walled_garden(change, reason):
    d = decide(state(cust(static_ip="100.64.0.9", **change)))
    assert (d.verdict, d.reason) == (policy.ACCEPT, reason)
    assert d.reply == (("Framed-Pool", ":=", "walled"),
                       ("Mikrotik-Address-List", ":=", "radbill-suspended"),
                       ("Session-Timeout", ":=", "120"), ("Acct-Interim-Interval", ":=", "600"))


def test_ranking_wrong_nas_beats_suspension():
    s = state(cust(status="suspended", mac="AA:BB:CC:DD:EE:FF"))
    assert decide(s, Calling_Station_Id="00:00:00:00:00:01").verdict == policy.DEFER


def test_over_the_cap_gets_fup_rate_and_pool():
    p = pkg(data_cap=10 * 2**30, fup_rate_down=1_000_000, fup_rate_up=512_000, fup_pool="slow")
    d = decide(state(cust(status="fup", expires_at=NOW + 3600), p))
    assert d.reason == "over the data cap"
    assert d.reply == (("Mikrotik-Rate-Limit", ":=", "512k/1M"), ("Framed-Pool", ":=", "slow"),
                       ("Session-Timeout", ":=", "3600"), ("Acct-Interim-Interval", ":=", "600"))


def test_static_ip_burst_and_session_capped_at_expiry():
    p = pkg(burst_down=20_000_000, burst_up=8_000_000, burst_threshold_down=8_000_000,
            burst_threshold_up=4_000_000, burst_time=16)
    d = decide(state(cust(static_ip="100.64.0.9", expires_at=NOW + 90.5), p))
    assert d.reply == (("Mikrotik-Rate-Limit", ":=", "5M/10M 8M/20M 4M/8M 16/16"),
                       ("Framed-IP-Address", ":=", "100.64.0.9"), ("Session-Timeout", ":=", "90"),
                       ("Acct-Interim-Interval", ":=", "600"))


def test_radreply_and_group_replies_follow_freeradius_operators():
    s = state()
    s.set_radreply([("Alice", "Mikrotik-Rate-Limit", ":=", "1M/1M"),
                    ("Alice", "Idle-Timeout", "=", "600")])
    s.set_usergroups([("Alice", "gold")])
    s.set_groupreply([("gold", "Idle-Timeout", "=", "900"), ("gold", "Class", "+=", "x"),
                      ("gold", "Class", "+=", "y")])
    assert decide(s).reply == (
        ("Mikrotik-Rate-Limit", ":=", "1M/1M"), ("Framed-Pool", ":=", "main"),
        ("Acct-Interim-Interval", ":=", "600"), ("Idle-Timeout", ":=", "600"),
        ("Class", ":=", "x"), ("Class", "+=", "y"))


def test_rate_format_matches_units():
    from radbill import units
    for bps in (512_000, 1_500_000, 10_000_000, 1_000_000_000, 1234):
        assert policy.rate(bps) == units.format_rate(bps)


# -- the hotspot's limits: what the cycle has left goes to the NAS; nothing left is a reject --
def reply(d: policy.Decision) -> dict[str, str]:
    return {a: v for a, _, v in d.reply}


def test_time_limit_sends_what_is_left_as_session_timeout():
    s = state(cust(), pkg(time_limit=3_600), used=(1_200, 0))
    d = decide(s)
    assert d.verdict == policy.ACCEPT and reply(d)["Session-Timeout"] == "2400"
    # the paid period ending sooner wins
    s = state(cust(expires_at=NOW + 600), pkg(time_limit=3_600), used=(1_200, 0))
    assert reply(decide(s))["Session-Timeout"] == "600"
    # and the time left wins over a longer period
    s = state(cust(expires_at=NOW + 86_400), pkg(time_limit=3_600), used=(3_000, 0))
    assert reply(decide(s))["Session-Timeout"] == "600"


def test_data_limit_sends_total_limit_with_gigawords_above_4_gib():
    s = state(cust(), pkg(data_limit=1_000_000_000), used=(0, 400_000_000))
    r = reply(decide(s))
    assert r["Mikrotik-Total-Limit"] == "600000000"
    assert "Mikrotik-Total-Limit-Gigawords" not in r and "Session-Timeout" not in r
    left = 10 * 2**30 + 5  # 10 GiB and 5 bytes: 2 gigawords of 4 GiB and 2 GiB + 5
    s = state(cust(), pkg(data_limit=11 * 2**30 + 5), used=(0, 2**30))
    r = reply(decide(s))
    assert int(r["Mikrotik-Total-Limit-Gigawords"]) << 32 | int(r["Mikrotik-Total-Limit"]) == left


@pytest.mark.parametrize("used, limits, why", [
    ((3_600, 0), dict(time_limit=3_600), "online time"),
    ((0, 2_000), dict(data_limit=1_000), "data"),
])
def test_used_up_is_refused_after_the_password_check(used, limits, why):
    d = decide(state(cust(), pkg(**limits), used=used))
    assert d.verdict == policy.DEFER and why in d.reason and "used up" in d.reason
    assert d.control == (("Cleartext-Password", ":=", "pw"),)


def test_an_expired_hotspot_account_goes_to_the_walled_garden_not_a_reject():
    d = decide(state(cust(expires_at=NOW - 1), pkg(time_limit=3_600), used=(9_999, 0)))
    assert d.verdict == policy.ACCEPT and d.reason == "expired"


def test_limits_apply_in_fup_too():
    s = state(cust(status="fup"),
              pkg(data_cap=10, fup_rate_down=1_000_000, fup_rate_up=1_000_000, time_limit=400),
              used=(100, 0))
    d = decide(s)
    assert d.reason == "over the data cap" and reply(d)["Session-Timeout"] == "300"


def test_dual_stack_gets_the_ipv4_pool_and_both_ipv6_pools():
    d = decide(state(p=pkg(pool6="v6-link", pd_pool="v6-pd")))
    assert d.reply == (("Mikrotik-Rate-Limit", ":=", "5M/10M"), ("Framed-Pool", ":=", "main"),
                       ("Framed-IPv6-Pool", ":=", "v6-link"),
                       ("Delegated-IPv6-Prefix-Pool", ":=", "v6-pd"),
                       ("Acct-Interim-Interval", ":=", "600"))


def test_static_prefixes_win_over_the_package_pools_each_of_its_kind():
    c = cust(static_ip="100.64.0.9", delegated_prefix="2001:db8:ff00::/56")
    d = decide(state(c, pkg(pool6="v6-link", pd_pool="v6-pd")))
    assert d.reply == (("Mikrotik-Rate-Limit", ":=", "5M/10M"),
                       ("Framed-IP-Address", ":=", "100.64.0.9"),
                       ("Framed-IPv6-Pool", ":=", "v6-link"),
                       ("Delegated-IPv6-Prefix", ":=", "2001:db8:ff00::/56"),
                       ("Acct-Interim-Interval", ":=", "600"))
    c = cust(ipv6_prefix="2001:db8:1:2::/64")  # a static link prefix on a package without IPv6
    assert ("Framed-IPv6-Prefix", ":=", "2001:db8:1:2::/64") in decide(state(c)).reply


def test_the_walled_garden_has_its_ipv6_pool_and_no_static_prefix():
    s = state(cust(status="suspended", delegated_prefix="2001:db8:ff00::/56"),
              pkg(pd_pool="v6-pd"))
    s.suspension_pool6 = "walled6"
    d = decide(s)
    assert d.reply[:3] == (("Framed-Pool", ":=", "walled"), ("Framed-IPv6-Pool", ":=", "walled6"),
                           ("Delegated-IPv6-Prefix-Pool", ":=", "walled6"))
    assert not any("2001:db8" in v for _, _, v in d.reply)


def test_over_the_cap_keeps_its_ipv6_beside_the_fup_pool():
    p = pkg(data_cap=10, fup_rate_down=1_000_000, fup_rate_up=512_000, fup_pool="slow",
            pd_pool="v6-pd")
    d = decide(state(cust(status="fup"), p))
    assert ("Delegated-IPv6-Prefix-Pool", ":=", "v6-pd") in d.reply
