"""The staff pages of status checks (issue 18): the list with its state and uptime, the form,
incidents and announcements, as the ISP's admin and as a reseller, in Bangla too."""
from __future__ import annotations

import sqlalchemy as sa

from radbill.models import StaffUser
from tests.admin.test_bangla_pages import assert_bangla
from tests.support.factories import caller_of, fn


def test_the_check_pages(world, auth, dbs):
    fn(dbs, "check.edit", caller_of(dbs, world.operator_a), sok="ok", name="A portal",
       kind="http", target="https://portal.example.com/")
    fn(dbs, "check.edit", caller_of(dbs, world.operator_b), sok="ok", name="B portal",
       kind="http", target="https://b.example.com/")
    dbs.commit()
    auth.login("opera")
    page = auth.get("/billmgr?func=check").get_data(as_text=True)
    assert "A portal" in page and "B portal" not in page and "Uptime 24 h" in page
    form = auth.get("/billmgr?func=check.edit")
    assert form.status_code == 200 and "Failures before an incident" in form.get_data(as_text=True)
    for func in ("incident", "announcement", "announcement.edit"):
        assert auth.get(f"/billmgr?func={func}").status_code == 200
    dbs.execute(sa.update(StaffUser).where(StaffUser.login == "opera").values(lang="bn"))
    dbs.commit()
    for link in ("/billmgr?func=check", "/billmgr?func=check.edit", "/billmgr?func=incident",
                 "/billmgr?func=announcement.edit"):
        assert_bangla(auth.get(link).get_data(as_text=True), link, {"portal"})
