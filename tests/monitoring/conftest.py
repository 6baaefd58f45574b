"""The operator tree the monitoring tests share: the ISP (group) with two resellers, a login
in each reseller and the ISP's NOC login."""
from __future__ import annotations

import pytest

from tests.support.factories import caller_of, make_operator, make_user


@pytest.fixture
def tree(session):
    """(isp, resA, resB, resA's caller, resB's caller, the ISP's noc caller)."""
    isp = make_operator(session, name="isp")
    a = make_operator(session, name="resA", parent="isp")
    b = make_operator(session, name="resB", parent="isp")
    ua = caller_of(session, make_user(session, login="ra", role="operator", operator="resA"))
    ub = caller_of(session, make_user(session, login="rb", role="operator", operator="resB"))
    noc = caller_of(session, make_user(session, login="noc", role="noc", operator="isp"))
    return isp, a, b, ua, ub, noc
