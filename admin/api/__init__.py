"""/billmgr: the func API over HTTP (GET and POST), with every convention of the seed."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, g, redirect, request, url_for

from radbill.functions import auth as kernel_auth
from radbill.functions.registry import FuncError, OkResult, join_repeated, load_all

from admin import i18n, security
from admin.api import respond
from admin.api.authn import Unauthorized, identify, password_login
from admin.auth.user import finish_login
from admin.calls import client_ip, run
from admin.dbs import db, keep_writes
from admin.extensions import csrf

bp = Blueprint("api", __name__)
# parameters about the call itself, never handed to the function
CONTROL = {"func", "out", "su", "lang", "auth", "authinfo", "redirect", "csrf_token", "totp",
           "clicked_button", "sfrom", "progressid", "operafake"}


def function_params(func: str, params: dict[str, str]) -> dict[str, str]:
    """What the function gets: every parameter but the control ones, except those the function
    itself takes (`totp` is authinfo's second factor, and me.totp's enrolment code)."""
    fn = load_all().get(func)
    own = {p.name for p in fn.params} if fn is not None else set()
    return {k: v for k, v in params.items() if k not in CONTROL or k in own}


def param_lists() -> dict[str, list[str]]:
    """GET and POST values, each name with every value it was given."""
    out: dict[str, list[str]] = {}
    for source in (request.args, request.form):  # in the order given, for a readable log line
        for k, v in source.items(multi=True):
            out.setdefault(k, []).append(v)
    return out


def flat_params() -> dict[str, str]:
    """GET and POST values; a repeated name (ticked rows) becomes a comma-separated list (the
    call is refused unless the function declares that parameter multi-valued: join_repeated).
    An `Idempotency-Key` header is the `idempotency_key` parameter (a change counts once)."""
    params = {k: ",".join(v) for k, v in param_lists().items()}
    if request.headers.get("Idempotency-Key") and "idempotency_key" not in params:
        params["idempotency_key"] = request.headers["Idempotency-Key"]
    return params


@bp.route("/billmgr", methods=["GET", "POST"])
@csrf.exempt  # token callers carry no cookie; cookie callers are checked in cookie_change_ok
def billmgr():
    params = flat_params()
    g.lang = i18n.pick(params.get("lang"))
    out = params.get("out") or None
    func = params.get("func", "")
    if not func and out is None:
        return redirect("/")  # a browser at the bare URL: the panel
    try:
        if not func:
            raise FuncError("name a function with func=", field="func")
        join_repeated(func, param_lists())  # a repeated name only where the function takes a list
        if func == "auth":
            return login(params, out)
        if func == "logout" and params.get("auth"):
            security.close_api_session(db(), params["auth"])  # the id is dead everywhere at once
            return respond.formatted(OkResult(), out or "xml")
        user, how = identify(params)
        g.cookie_auth = how == "cookie"
        # a browser cookie may change data only by POST with its CSRF token; authinfo and API
        # sessions carry their own credential, which a third-party page cannot make a browser send
        caller = kernel_auth.caller_for(db(), user, client_ip(), g.lang).via(
            "web" if g.cookie_auth else "api", not g.cookie_auth or cookie_change_ok())
        if params.get("su"):
            caller = kernel_auth.su(db(), caller, params["su"])
        g.caller = caller
    except FuncError as exc:
        return failure(exc, out)
    fparams = function_params(func, params)
    if func == "session.newkey" and out is None and not g.cookie_auth:
        return key_redirect(fparams)
    if out is None:
        from admin.pages.dispatch import page
        return page(func, fparams, params)
    return answer(func, fparams, params, out)


def key_redirect(fparams: dict[str, str]):
    """The seed's flow: an outside system makes the key and sends the person's browser on to
    func=auth&username=..&key=.., which logs them in once."""
    try:
        run("session.newkey", fparams, g.caller)
    except FuncError as exc:
        return failure(exc, "xml")
    return redirect("/billmgr?" + urlencode({"func": "auth", "username": fparams.get("username", ""),
                                             "key": fparams.get("key", "")}))


def cookie_change_ok() -> bool:
    if request.method != "POST":
        return False
    try:
        csrf.protect()
    except Exception:
        return False
    return True


def answer(func: str, fparams: dict[str, str], params: dict[str, str], out: str):
    try:
        result = run(func, fparams, g.caller)
    except FuncError as exc:
        return failure(exc, out)
    if isinstance(result, OkResult) and (target := respond.startform(params, result)):
        return redirect(target)
    if out == "devel":
        return respond.devel(result, func)
    return respond.formatted(result, out)


def failure(exc: FuncError, out: str | None):
    if out is None and isinstance(exc, Unauthorized) and exc.status == 401:
        return redirect(url_for("auth.login", next=request.full_path))
    exc = respond.translated(exc, g.get("lang", "en"))
    if out is None:
        from admin.pages.dispatch import error_page
        return error_page(exc)
    return respond.formatted(exc, "xml" if out == "devel" else out, exc.status)


def login(params: dict[str, str], out: str | None):
    """func=auth: by password (and TOTP when enrolled), or once by a key an administrator made."""
    login_name = params.get("username", "")
    if params.get("key"):
        user = security.use_key(db(), login_name, params["key"])
        if user is None:
            security.record(db(), login_name, None, client_ip(), "api", False, "bad key")
            keep_writes()
            return failure(Unauthorized("the key is wrong or already used"), out)
        security.succeeded(db(), user, client_ip(), "api")
        via = "key"
    else:
        try:
            user = password_login(login_name, params.get("password", ""), params.get("totp"),
                                  record_ok=True)
        except FuncError as exc:
            return failure(exc, out)
        via = "password"
    if out is None:  # a browser: log it in and show the panel
        finish_login(user)
        return redirect(respond.startform(params, None) or "/")
    token = security.open_api_session(db(), user, client_ip(), via)
    return respond.auth_doc(token, user.role, out)
