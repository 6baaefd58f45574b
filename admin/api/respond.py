"""Answers of /billmgr in the seed's formats, including the `auth` document and `print`."""
from __future__ import annotations

import json
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from flask import Response, render_template

from radbill.functions import output
from radbill.functions.registry import FileResult, FuncError, ListResult, OkResult, load_all

from admin import i18n, menus

CARRIED = ("out", "auth", "authinfo", "su", "lang")


def translated(exc: FuncError, lang: str) -> FuncError:
    """The error with the admin's own messages in `lang` (function messages stay English)."""
    text = i18n.t(exc.message, lang)
    if text == exc.message:
        return exc
    copy = FuncError(text, errors=exc.errors, status=exc.status)
    copy.field = exc.field
    return copy


def file(result: FileResult, inline: bool = False) -> Response:
    """A function's file: a download, or shown in the browser (`inline`), never sniffed into
    something else."""
    how = "inline" if inline else "attachment"
    headers = {"Content-Disposition": f'{how}; filename="{result.filename}"',
               "X-Content-Type-Options": "nosniff"}
    if result.content_type.startswith("image/"):  # an uploaded image: nothing may run in it
        headers["Content-Security-Policy"] = "default-src 'none'"
    return Response(result.data, content_type=result.content_type, headers=headers)


def formatted(result, out: str, status: int = 200) -> Response:
    if isinstance(result, FileResult):
        return file(result)
    if out == "print":
        if not isinstance(result, ListResult):
            result, status = FuncError("out=print is only for lists", field="out"), 400
        else:
            return Response(render_template("print.html", result=result), status)
    try:
        ctype, body = output.render(result, out)
    except FuncError as exc:
        ctype, body = output.render(exc, "xml")
        status = 400
    return Response(body, status, content_type=f"{ctype}; charset=utf-8")


def devel(result, func: str) -> Response:
    """xml plus a description of the function's interface (kind, roles, parameters)."""
    body = output.to_xml(result)
    fn = load_all().get(func)
    if fn is not None:
        root = ET.fromstring(body.split("\n", 1)[1])
        meta = ET.SubElement(root, "metadata", {"name": fn.name, "type": fn.kind,
                                                "title": menus.title(fn.name)})
        for p in fn.params:
            ET.SubElement(meta, "field", {"name": p.name, "required": "yes" if p.required else "no",
                                          "hint": p.help})
        body = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    return Response(body, content_type="application/xml; charset=utf-8")


def auth_doc(token: str, level: str, out: str) -> Response:
    """`<auth id="..."/>`: the session id to send as auth= on later calls."""
    if out in ("json",):
        return Response(json.dumps({"doc": {"auth": {"id": token, "level": level}}}),
                        content_type="application/json")
    if out == "JSONdata":
        return Response(json.dumps({"auth": token, "level": level}),
                        content_type="application/json")
    if out == "text":
        return Response(f"auth={token}\n", content_type="text/plain")
    root = ET.Element("doc")
    ET.SubElement(root, "auth", {"id": token, "level": level}).text = token
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
    return Response(body, content_type="application/xml; charset=utf-8")


def startform(params: dict[str, str], result) -> str | None:
    """Where `redirect=startform=FUNC` sends the caller after a successful change."""
    target = params.get("redirect") or ""
    if not target.startswith("startform="):
        return None
    query = {"func": target.split("=", 1)[1]}
    if isinstance(result, OkResult) and result.elid is not None:
        query["elid"] = str(result.elid)
    query.update({k: params[k] for k in CARRIED if params.get(k)})
    return "/billmgr?" + urlencode(query)
