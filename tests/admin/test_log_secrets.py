"""Secrets stay out of logs (issue 10): gunicorn's access and error lines mask credentials in
query strings, and FreeRADIUS gets the database password from a passfile, never in a string
it prints."""
from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import quote

from radbill import db
from tests.support.gunicorn import gunicorn

SECRETS = {"authinfo": "gunny:Zebra-Pass-11", "password": "Horse-Battery-22", "key": "Key-33-zz",
           "pin": "445566778899", "totp": "123456"}


def test_gunicorn_masks_credentials_in_every_log_line(committed):
    from tests.support.factories import make_operator, make_user
    with db.session_scope() as s:
        make_operator(s, name="isp")
        make_user(s, login="gunny", role="group_admin", operator="isp", password="Zebra-Pass-11")
    # as `radbill up` starts it (the project's gunicorn.conf.py is read from the root)
    with gunicorn("--access-logfile", "-",
                  "--access-logformat", '%(h)s "%(r)s" %(s)s q=%(q)s "%(f)s"',
                  workers=2) as (base, log):
        query = "&".join(f"{k}={quote(v, safe=':')}" for k, v in SECRETS.items())
        for url in (f"{base}/billmgr?func=operator&out=xml&{query}",
                    f"{base}/billmgr?func=auth&username=gunny&password=Horse-Battery-22&out=xml",
                    f"{base}/nowhere?{query}"):
            req = urllib.request.Request(url, headers={"Referer": url})
            try:
                urllib.request.urlopen(req, timeout=10).read()
            except urllib.error.HTTPError:
                pass
    log = "".join(log)
    assert "func=operator" in log and "/nowhere" in log  # the lines are there...
    assert "authinfo=***" in log and "password=***" in log
    for secret in SECRETS.values():  # ...without a credential in any of them
        assert secret not in log and quote(secret) not in log, secret
