"""Issue 12: every admin and portal page in Bangla. With lang=bn, no English phrase from the
catalogue (a msgid whose Bangla msgstr is not empty and differs from it) may be left on a page:
the menus are walked as every role, the portal as a customer, the login pages anonymously."""
from __future__ import annotations

import functools
import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from radbill.models import Customer, StaffUser

from tests.admin.test_pages import ROLES, menu_links
from tests.support.factories import make_customer, make_package

PO = Path(__file__).resolve().parents[2] / "admin/translations/bn/LC_MESSAGES/messages.po"
BENGALI = re.compile(r"[\u0980-\u09FF]")


@functools.cache
def english_phrases() -> list[tuple[str, re.Pattern]]:
    """The catalogue's English (placeholders cut out): each piece of a msgid between its
    %(x)s or {x} placeholders, matched as whole words, case-sensitive."""
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    found = {}
    for m in catalog:
        msgid = m.id if isinstance(m.id, str) else m.id[0]
        msgstr = m.string if isinstance(m.string, str) else (m.string or ("",))[0]
        if not msgid or not msgstr or msgstr == msgid or m.fuzzy:
            continue
        pieces = re.split(r"%\(\w+\)s|%%|\{\w+\}|#", msgid)
        for piece in pieces:
            piece = piece.strip(" .,:;()·-/%")
            # a whole msgid counts; a piece between placeholders only when it says something
            # ("and", "of", "up" alone are no sign of an untranslated sentence)
            wanted = r"[A-Za-z]{2,}" if len(pieces) == 1 else r"[A-Za-z]{4,}"
            if re.search(wanted, piece) and piece not in found:
                # whole words, not part of an identifier (customer.created, card_distributor)
                found[piece] = re.compile(r"(?<![\w.-])" + re.escape(piece) + r"(?![\w-]|\.\w)")
    return sorted(found.items())


SKIP = ("script", "style", "code", "pre", "kbd", "samp")


class Visible(HTMLParser):
    """The text a reader sees: text nodes (not scripts, styles, nor code: the API call a page
    shows is no prose) and the placeholder, title, aria-label and alt attributes."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP:
            self.skip += 1
        for k, v in attrs:
            if k in ("placeholder", "title", "aria-label", "alt") and v:
                self.parts.append(v)

    def handle_endtag(self, tag):
        if tag in SKIP:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    p = Visible()
    p.feed(page)
    return " \n ".join(html.unescape(x) for x in p.parts)


def untranslated(page: str, allowed: set[str] = frozenset()) -> list[str]:
    text = visible_text(page)
    return [phrase for phrase, rx in english_phrases() if phrase not in allowed and rx.search(text)]


def assert_bangla(page: str, where: str, allowed: set[str] = frozenset()) -> None:
    assert BENGALI.search(visible_text(page)), f"{where}: no Bangla at all"
    left = untranslated(page, allowed)
    assert not left, f"{where}: English left untranslated: {left}"


def test_the_catalogue_is_complete_and_in_bangla():
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    empty = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str)
                                                    else all(m.string))]
    assert not empty, f"untranslated msgids: {empty}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy (unchecked) translations: {fuzzy}"
    assert len(english_phrases()) > 100
    mo = PO.with_suffix(".mo")
    assert mo.exists(), "compile the catalogue: scripts/setup or scripts/i18n-update"


# Lists whose cells hold what customers are told (issue 13), in the wording's own language: an
# `en` template's or message's text is English by design, so those cells are not the page's
# prose (their column headings still are).
WORDING = {"template": ("subject", "body"), "message": ("subject", "body"),
           "incoming": ("body",), "broadcast": ("text",)}


@functools.cache
def bangla(msgid: str) -> str:
    with PO.open("rb") as fh:
        message = read_po(fh).get(msgid)
    return (message.string if message is not None else "") or msgid


def without_wording(page: str, link: str) -> str:
    """`page` without the cells of the WORDING columns of the list at `link`."""
    from admin import labels
    func = re.search(r"[?&]func=([\w.]+)", link)
    cols = WORDING.get(func.group(1) if func else "", ())
    shown = {bangla(labels.column(c, func.group(1))) for c in cols}
    if not shown:
        return page
    cell = r'<td[^>]*\bdata-label="(?:%s)"[^>]*>.*?</td>' % "|".join(map(re.escape, shown))
    return re.sub(cell, "<td></td>", page, flags=re.S)


# The done-when of issue 12: every page a role's menu reaches, shown in Bangla, has no English
# msgid left on it (list cells that hold codes -- roles, levels, metrics, methods -- are shown
# by their labels, admin/labels.py VALUES).
@pytest.mark.parametrize("login", ROLES)
def test_every_admin_menu_page_is_in_bangla_for_every_role(world, auth, dbs, login):
    dbs.execute(sa.update(StaffUser).where(StaffUser.login == login).values(lang="bn"))
    dbs.commit()
    auth.login(login)
    home = auth.get("/")
    assert home.status_code == 200
    page = home.get_data(as_text=True)
    problems = {}
    for link in ["/"] + menu_links(page) + ["/account"]:
        resp = auth.get(link)
        assert resp.status_code == 200, (login, link, resp.status_code)
        text = without_wording(resp.get_data(as_text=True), link)
        left = untranslated(text) or ([] if BENGALI.search(visible_text(text)) else ["(no Bangla)"])
        if left:
            problems[link] = left
    assert not problems, f"{login}: English left on pages shown in Bangla: {problems}"


def test_a_staff_member_switches_language_on_the_account_page(world, auth, dbs):
    auth.login("opera")
    assert "Two-factor login" in auth.get("/account").get_data(as_text=True)
    resp = auth.post("/account/lang", {"lang": "bn"})
    assert resp.status_code in (302, 303)
    dbs.expire_all()
    assert dbs.scalar(sa.select(StaffUser.lang).where(StaffUser.login == "opera")) == "bn"
    assert_bangla(auth.get("/account").get_data(as_text=True), "/account after the switch")
    auth.post("/account/lang", {"lang": "xx"})
    dbs.expire_all()
    assert dbs.scalar(sa.select(StaffUser.lang).where(StaffUser.login == "opera")) == "bn"


def test_the_staff_login_page_in_bangla_by_the_link_and_the_cookie(client):
    page = client.get("/login?lang=bn").get_data(as_text=True)
    assert_bangla(page, "/login?lang=bn")
    assert_bangla(client.get("/login").get_data(as_text=True), "/login (cookie)")
    assert "Log in" in client.get("/login?lang=en").get_data(as_text=True)


TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def karim(dbs, world):
    make_package(dbs, name="bn-home", price="500")
    c = make_customer(dbs, username="karim", password="s3cret-pw", package="bn-home",
                      operator="opA", name="করিম উদ্দিন")
    dbs.commit()
    return c


def portal_login(client, username="karim", password="s3cret-pw"):
    page = client.get("/portal/login").get_data(as_text=True)
    return client.post("/portal/login", data={"username": username, "password": password,
                                              "csrf_token": TOKEN.search(page).group(1)})


def test_the_portal_in_bangla_for_a_customer_who_chose_it(client, dbs, karim):
    dbs.execute(sa.update(Customer).where(Customer.id == karim.id).values(lang="bn"))
    dbs.commit()
    assert portal_login(client).status_code == 302
    home = client.get("/portal/").get_data(as_text=True)
    assert "করিম উদ্দিন" in home and '<html lang="bn">' in home
    assert_bangla(home, "/portal/")
    assert "৫০০.০০" in home  # the price in Bangla digits
    assert_bangla(client.get("/portal/suspended").get_data(as_text=True), "/portal/suspended")
    assert_bangla(client.get("/portal/bills/99999999.pdf").get_data(as_text=True), "portal 404")
    assert_bangla(client.get("/portal/pay/l/not-a-token").get_data(as_text=True), "bad link")


def test_the_portal_switch_stores_the_customers_language(client, dbs, karim):
    portal_login(client)
    home = client.get("/portal/").get_data(as_text=True)
    assert "My account" in home and 'id="lang-bn"' in home
    resp = client.post("/portal/lang", data={"lang": "bn", "next": "/portal/",
                                             "csrf_token": TOKEN.search(home).group(1)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/portal/")
    dbs.expire_all()
    assert dbs.get(Customer, karim.id).lang == "bn"
    assert_bangla(client.get("/portal/").get_data(as_text=True), "/portal/ after the switch")
    # a wrong password is refused in Bangla too
    client.post("/portal/logout", data={"csrf_token": TOKEN.search(home).group(1)})
    refused = portal_login(client, password="wrong-one")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "ভুল ব্যবহারকারীর নাম বা পাসওয়ার্ড" in page
    assert_bangla(page, "a refused portal login")


def test_anonymous_portal_pages_in_bangla_by_the_link(client):
    assert_bangla(client.get("/portal/login?lang=bn").get_data(as_text=True), "/portal/login")
    assert_bangla(client.get("/portal/suspended").get_data(as_text=True), "/portal/suspended")
    page = client.get("/portal/hotspot/login").get_data(as_text=True)
    assert_bangla(page, "/portal/hotspot/login")
