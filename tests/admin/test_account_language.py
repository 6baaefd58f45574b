"""Every login switches its own language on /account (issue 18's loose ends): the control posts
me.lang, which any role may call for its own login only (user.edit is for resellers' staff, so a
NOC, manager or card-distributor login could not switch before); bad values are refused naming
the field; the change is audited; nobody reaches another login's language through it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from radbill.functions.registry import FuncError, NotFound
from radbill.models import AuditLog, StaffUser
from tests.admin.test_bangla_pages import assert_bangla
from tests.admin.test_pages import ROLES
from tests.support.factories import caller_of, fn
from radbill.functions.caller import SYSTEM

pytestmark = pytest.mark.integration


def lang_of(dbs, login: str) -> str | None:
    dbs.expire_all()
    return dbs.scalar(sa.select(StaffUser.lang).where(StaffUser.login == login))


@pytest.mark.parametrize("login", ROLES)
def test_every_role_switches_its_own_language_on_the_account_page(world, auth, dbs, login):
    others = {u: lang_of(dbs, u) for u in ROLES if u != login}
    auth.login(login)
    assert 'action="/account/lang"' in auth.get("/account").get_data(as_text=True)
    resp = auth.post("/account/lang", {"lang": "bn"})
    assert resp.status_code == 303 and resp.location.endswith("/account")
    assert lang_of(dbs, login) == "bn"
    page = auth.get("/account").get_data(as_text=True)
    assert '<html lang="bn">' in page and '<option value="bn" lang="bn" selected>' in page
    assert_bangla(page, f"/account as {login}")
    refused = auth.post("/account/lang", {"lang": "xx"}, follow_redirects=True)
    assert refused.status_code == 200 and lang_of(dbs, login) == "bn"
    assert 'class="flash error"' in refused.get_data(as_text=True)
    auth.post("/account/lang", {"lang": "en"})
    assert lang_of(dbs, login) == "en"
    assert 'Two-factor login' in auth.get("/account").get_data(as_text=True)
    assert {u: lang_of(dbs, u) for u in others} == others  # nobody else's changed


def test_me_lang_changes_only_the_callers_own_login(world, dbs):
    noc, cards = caller_of(dbs, world.noc), caller_of(dbs, world.cards)
    assert fn(dbs, "me.lang", noc).values == {"lang": "en"}
    # an elid (another login's id) is no parameter of me.lang: the caller's own changes
    fn(dbs, "me.lang", noc, sok="ok", lang="bn", elid=str(world.cards.id))
    assert lang_of(dbs, "noc1") == "bn" and lang_of(dbs, "cards1") in (None, "en")
    fn(dbs, "me.lang", cards, sok="ok", lang="bn")
    assert lang_of(dbs, "cards1") == "bn"
    row = dbs.scalars(sa.select(AuditLog).where(AuditLog.func == "me.lang")
                      .order_by(AuditLog.id)).first()
    assert (row.object_type, row.object_id, row.after["lang"]) == ("user", world.noc.id, "bn")
    with pytest.raises(FuncError) as bad:
        fn(dbs, "me.lang", noc, sok="ok", lang="fr")
    assert bad.value.errors == {"lang": bad.value.errors["lang"]} and "en" in str(bad.value)
    for missing in ({}, {"lang": ""}):
        with pytest.raises(FuncError) as bad:
            fn(dbs, "me.lang", noc, sok="ok", **missing)
        assert "lang" in (bad.value.errors or {bad.value.field: 1})
    assert lang_of(dbs, "noc1") == "bn"
    with pytest.raises(NotFound):  # the system (or an API client) has no login of its own
        fn(dbs, "me.lang", SYSTEM, sok="ok", lang="bn")


def test_user_edit_still_refuses_a_noc_login(world, dbs):
    """The reason for me.lang: user.edit is for resellers' staff."""
    from radbill.functions.registry import AccessDenied
    with pytest.raises(AccessDenied):
        fn(dbs, "user.edit", caller_of(dbs, world.noc), elid=str(world.noc.id), sok="ok",
           lang="bn")
