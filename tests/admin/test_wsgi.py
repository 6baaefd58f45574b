"""The admin as `radbill up` runs it: gunicorn admin.wsgi:app against the real database."""
from __future__ import annotations

import re

from radbill import db
from tests.support.gunicorn import get, gunicorn


def test_gunicorn_serves_pages_and_the_func_api(committed):
    from tests.support.factories import make_operator, make_user
    with db.session_scope() as s:
        make_operator(s, name="isp")
        make_user(s, login="gunny", role="group_admin", operator="isp", password="correct-horse")
    with gunicorn() as (base, log):
        assert "Log in" in get(base + "/login")
        body = get(base + "/billmgr?func=auth&username=gunny&password=correct-horse&out=xml")
        sid = re.search(r'<auth id="([0-9a-f]+)"', body).group(1)
        assert "<name>isp</name>" in get(f"{base}/billmgr?func=operator&auth={sid}&out=xml")
    log = "".join(log)
    assert "Request [127.0.0.1][gunny] 'func=operator'" in log
