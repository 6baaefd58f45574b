"""The functions rlm_python3 calls. Thin: pairs become a dict once, `policy.decide` decides,
the decision is mapped back. Nothing here waits on PostgreSQL (FREERADIUS-NOTES.md): authorize
reads the in-process state, and the log of an answer is appended to a buffer (by authorize for a
PAP accept it checks whole, else by post-auth). Accounting does not come through
Python at all: rlm_sql stores each record in radius_acct_inbox concurrently, the sync thread's
radbill_drain() applies the inbox (radbill/sql/radius_accounting.sql) and learns of opened and
closed sessions from its notices (radbill bench radius, 100k customers, before the inbox:
FreeRADIUS spent ~215 us of CPU per accounting record with a python3 call on Start/Stop, ~132 us
without; stock rlm_sql ~146-155 us).
"""
from __future__ import annotations

import hmac
import logging
import time

from radius_module import policy
from radius_module.state import Config, State
from radius_module.sync import PostAuthLog, Sync

# rlm_python3 checks exact types and codes (FREERADIUS-NOTES.md): plain ints, plain tuples
REJECT, FAIL, OK, HANDLED, INVALID, USERLOCK, NOTFOUND, NOOP, UPDATED = range(9)

STATE = State()
POSTAUTH = PostAuthLog()
SYNC: Sync | None = None


def request_dict(pairs) -> dict[str, str]:
    """The request as {attribute: first value}; the checks never need a repeated attribute."""
    req: dict[str, str] = {}
    for pair in pairs or ():
        req.setdefault(pair[0], pair[1])
    return req


class _RadLog(logging.Handler):
    """Send the module's log records to FreeRADIUS' log (radiusd.radlog)."""

    def emit(self, record: logging.LogRecord) -> None:
        import radiusd
        level = radiusd.L_ERR if record.levelno >= logging.ERROR else \
            radiusd.L_WARN if record.levelno >= logging.WARNING else radiusd.L_INFO
        radiusd.radlog(level, self.format(record))


def instantiate(_p) -> int:
    """Start the sync thread and wait for its first full load (fail closed until then)."""
    global SYNC
    import radiusd
    cfg = dict(radiusd.config)
    logger = logging.getLogger("radius_module")
    logger.handlers[:] = [_RadLog()]
    logger.setLevel(logging.INFO)
    STATE.config = Config(
        interim_interval=int(cfg.get("interim_interval", 300)),
        suspended_session_timeout=int(cfg.get("suspended_session_timeout", 300)),
        suspended_address_list=cfg.get("suspended_address_list", "radbill-suspended"))
    POSTAUTH.seen_every = float(cfg.get("last_seen_every", 60))
    SYNC = Sync(cfg["dsn"], STATE, POSTAUTH,
                resync_seconds=float(cfg.get("resync_seconds", 300)),
                flush_seconds=float(cfg.get("flush_seconds", 0.2)))
    SYNC.start()
    if not SYNC.ready.wait(float(cfg.get("load_timeout", 30))):
        logger.error("radbill: initial load not finished; rejecting with FAIL until it is")
    return 0


def literal(text: str) -> str:
    """FreeRADIUS un-escapes the values we hand back (as it does rlm_sql's): keep backslashes."""
    return text.replace("\\", "\\\\")


# the accept's control list when authorize checked the PAP password itself: FreeRADIUS then
# skips pap and the authenticate section, and post-auth does not call us (radiusd.conf)
ACCEPTED = (("Auth-Type", ":=", "Accept"),)


def pap_matches(req: dict[str, str], control: tuple) -> bool:
    """A PAP request whose password is the customer's clear-text one, compared as rlm_pap does
    (the bytes, in constant time). Anything else (CHAP, MS-CHAP, an NT hash only, a wrong
    password) is left to FreeRADIUS' modules, as before. (rlm_python3 hands over a value as a C
    string: a password sent with a NUL and more after it compares as its part before the NUL,
    which rlm_pap would refuse; it takes knowing the password already.)"""
    sent = req.get("User-Password")
    if sent is None or not control or control[0][0] != "Cleartext-Password" or \
            "CHAP-Password" in req or "MS-CHAP-Challenge" in req:
        return False
    return hmac.compare_digest(sent.encode("utf-8", "surrogateescape"),
                               control[0][2].encode("utf-8", "surrogateescape"))


def authorize(p):
    req = request_dict(p)
    if not STATE.loaded:
        return FAIL
    d = policy.decide(STATE, req, time.time())
    if d.verdict == policy.ACCEPT:
        if pap_matches(req, d.control):
            # the common case, whole here: one Python call a request instead of two (post-auth
            # and pap were ~10 of FreeRADIUS' ~55 us an accept), no tags for post-auth to read
            _log(req, "Access-Accept", d.reason, d.customer_id)
            return OK, {"reply": d.reply, "config": ACCEPTED}
        # an accept is told by its reason alone: each pair handed back costs FreeRADIUS ~1 us
        return OK, {"reply": d.reply, "config": d.control,
                    "request": (("Radbill-Reason", ":=", literal(d.reason)),)}
    reason = literal(d.reason)
    tags = (("Radbill-Verdict", ":=", d.verdict), ("Radbill-Reason", ":=", reason))
    if d.verdict == policy.REJECT:
        return REJECT, {"reply": (("Reply-Message", ":=", reason),), "request": tags}
    return OK, {"reply": d.reply, "config": d.control, "request": tags}


def verdict_of(req: dict[str, str]) -> str | None:
    """What authorize decided: its Radbill-Verdict, or accept when it gave only a reason."""
    verdict = req.get("Radbill-Verdict")
    if verdict is None and "Radbill-Reason" in req:
        return policy.ACCEPT
    return verdict


def post_auth(p):
    """Log every answer with its reason; turn a deferred reject into the reject it is.

    The Post-Auth-Type REJECT section sets Radbill-Stage = reject before calling us: there the
    password or our authorize refused the request, or we did just below (FreeRADIUS runs that
    section after a post-auth reject too, so the reject is logged there, once).
    """
    req = request_dict(p)
    verdict = verdict_of(req)
    if req.get("Radbill-Stage") == "reject":
        reason = req.get("Radbill-Reason") if verdict == policy.REJECT else None
        reason = reason or _password_reason(req, verdict)
        _log(req, "Access-Reject", reason)
        return UPDATED, {"reply": (("Reply-Message", ":=", literal(reason)),)}
    if verdict == policy.DEFER:
        # the password was right; now the reason that ranks below it decides
        return REJECT, {"request": (("Radbill-Verdict", ":=", policy.REJECT),)}
    _log(req, "Access-Accept", req.get("Radbill-Reason", "accepted"))
    return NOOP


def _password_reason(req: dict[str, str], verdict: str | None) -> str:
    if verdict is None:
        return "rejected before authorize"
    if not any(k in req for k in ("User-Password", "CHAP-Password", "MS-CHAP2-Response",
                                  "MS-CHAP-Response")):
        return "no password in the request"
    return "wrong password"


def _log(req: dict[str, str], reply: str, reason: str, cid: int | None = None) -> None:
    now = time.time()
    name = req.get("User-Name", "")
    if cid is None and name:
        cid = STATE.customers.id_of(name.lower())
    # pass is left empty: a log is no place for passwords
    POSTAUTH.add((name, None, reply, req.get("Called-Station-Id"), req.get("Calling-Station-Id"),
                  req.get("Class"), reason), cid, now)


def detach(_p=None) -> int:
    """SIGTERM: stop the thread; it flushes the post-auth buffer on its way out."""
    if SYNC is not None:
        logging.getLogger("radius_module").info("radbill: stopping; %d post-auth rows to write",
                                                len(POSTAUTH.rows))
        SYNC.stop()
    return 0
