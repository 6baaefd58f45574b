"""/hooks/messages/<gateway id>/<token>: delivery reports and incoming messages that message
gateways post (messaging/webhooks.py). Server to server: no login, no CSRF; the token in the
path and the provider's own signature (checked by the driver) are the credentials."""
from __future__ import annotations

from flask import Blueprint, Response, request

from admin.dbs import db
from admin.extensions import csrf
from messaging import drivers, webhooks

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
MAX_BODY = 256 * 1024


@bp.route("/messages/<int:gateway_id>/<token>", methods=["GET", "POST"])
@csrf.exempt
def messages(gateway_id: int, token: str):
    session = db()
    gw = webhooks.gateway_for(session, gateway_id, token)
    if gw is None:
        return Response("unknown gateway\n", 404, mimetype="text/plain")
    body = request.get_data(cache=True)[:MAX_BODY]
    req = drivers.Request(method=request.method, args=request.args.to_dict(),
                          form=request.form.to_dict() if request.form else {}, body=body,
                          headers={k.lower(): v for k, v in request.headers.items()},
                          url=request.url)
    try:
        hook = webhooks.receive(session, gw, req)
    except drivers.Permanent as exc:  # a bad signature, a body that is not the provider's
        session.rollback()
        return Response(f"{exc}\n", 403, mimetype="text/plain")
    session.commit()
    status, ctype, text = hook.reply
    return Response(text, status, mimetype=ctype)
