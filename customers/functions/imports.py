"""customer.import, customer.import_mikrotik, import_mapping: the cut-over import (issue 17;
the work is customers/importing/).

customer.import reads a .csv or .xlsx (`file`: the CSV text, or the path of an uploaded file
under var/imports/; any path from the CLI), maps its columns (`mapping` = `column:field,...`,
a column by its header or 0-based number; or `saved_mapping` = a name saved with
`save_mapping`; by default columns named like a field), and creates or updates customers by
username. `dry_run=yes` checks every row and keeps nothing; errors name the row (its line in the
file) and the field: `row 3: mobile`. A real run with bad rows imports nothing unless
`skip_bad=yes` (then the good rows go in and the bad ones are listed). Up to one chunk (2,000
rows) is written at once, all or nothing; more (or `background=yes`) runs as the background task
customer_import, a chunk per transaction, resumable; the answer's elid is the import run.
"""
from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa

from radbill import settings
from radbill.functions import audit, fields as F
from radbill.functions.crud import root_operator
from radbill.functions.registry import (Call, FormResult, FuncError, NotFound, OkResult, Param,
                                       function)
from radbill.functions.roles import ISP_ADMINS, RESELLERS

from customers.importing import files, mapping as maps, runs
from customers.importing.plan import Ctx

ROW_ERROR = re.compile(r"row (\d+): (.+)")
YES = ("1", "yes", "on", "true")


def error_key(line: int, field: str) -> str:
    return f"row {line}: {field}"


def keyed(errors: dict[int, dict[str, str]]) -> dict[str, str]:
    """Errors by line and field as the answer names them: `row 3: mobile`."""
    return {error_key(line, f): reason for line, errs in sorted(errors.items())
            for f, reason in errs.items()}


def split_key(key: str) -> tuple[int, str]:
    """(line, field) of an error key made by error_key."""
    found = ROW_ERROR.fullmatch(key)
    return (int(found.group(1)), found.group(2)) if found else (0, key)


def targets() -> list[str]:
    """The fields a column can feed (custom fields as cf_<name>)."""
    return list(maps.TARGETS)


def uploads() -> Path:
    """Where the import page keeps uploaded files (the only paths the web and API may name)."""
    return Path(settings.get().var_dir) / "imports"


def source(call: Call) -> tuple[str | Path, str]:
    """The file to read (CSV text or a path) and its name."""
    raw = call.get("file") or ""
    if "\n" in raw or not raw.lower().endswith((".csv", ".xlsx")):
        return raw, call.get("file_name") or ""
    path = Path(raw)
    if call.caller.channel != "cli":
        path = (uploads() / path.name) if not path.is_absolute() else path
        if path.resolve().parent != uploads().resolve():
            raise FuncError("must be a file uploaded on the import page", field="file")
    if not path.is_file():
        raise FuncError(f"no file {path.name!r}", field="file")
    return path, call.get("file_name") or path.name


def yes(call: Call, name: str) -> bool:
    value = call.get(name)
    return value is not None and F.parse_one(name, F.boolean, value) is True


def operator_of(call: Call) -> int:
    return call.caller.operator_id or root_operator(call).id


def column_map(call: Call, header: list[str]) -> dict[int, str]:
    if call.get("saved_mapping"):
        found = maps.saved(call.session, operator_of(call), call.get("saved_mapping"), header)
    else:
        found = maps.parse(call.get("mapping"), header)
    maps.check(found)
    name = (call.get("save_mapping") or "").strip()
    if name:
        maps.save(call.session, operator_of(call), F.parse_one("save_mapping", F.text(100), name),
                  found, header)
    return found


def run_rows(call: Call, header: list[str], rows, mapping: dict[int, str],
             file_name: str) -> OkResult:
    """Check the rows; then a dry run ends, a small file is written now, a large one queued."""
    dry_run, skip_bad = yes(call, "dry_run"), yes(call, "skip_bad")
    ctx = Ctx(call.session, call.caller, func=call.func, params=call.params)
    checking = call.session.begin_nested()
    background = call.get("background")
    later = (len(rows) > runs.CHUNK and background != "no") or \
        (background is not None and yes(call, "background"))
    try:  # a background run that skips bad rows checks the database chunk by chunk
        report = runs.check(ctx, rows, mapping, database=dry_run or not later or not skip_bad)
    except BaseException:
        checking.rollback()
        raise
    if dry_run:
        checking.rollback()  # nothing at all stays (a lookup may have made the root)
    else:
        checking.commit()
    extra = {"rows": report.rows, "creates": report.creates, "updates": report.updates,
             "bad_rows": len(report.errors), "dry_run": dry_run, "committed": False,
             "created": 0, "updated": 0}
    if report.errors and (dry_run or not skip_bad):
        errors = keyed(report.errors)
        what = "dry run, nothing was saved" if dry_run else \
            "nothing was imported (skip_bad=yes imports the good rows)"
        raise FuncError(f"{len(report.errors)} of {report.rows} rows have errors; {what}",
                        errors=errors)
    if dry_run:  # created/updated: what the import would do
        return OkResult(None, {**extra, "created": report.creates, "updated": report.updates})
    if later:
        run = runs.stage(ctx, report, mapping, header, file_name)
        audit.record(call, "customer_import", run.id, file_name or None, None,
                     {"rows": report.rows, "bad_rows": len(report.errors), "task": run.task_id})
        return OkResult(run.id, {**extra, "task": run.task_id, "background": True})
    created, updated = runs.write_now(ctx, report.good, f"import:{call.caller.login}")
    return OkResult(None, {**extra, "committed": True, "created": created, "updated": updated,
                           "errors": keyed(report.errors)})


COMMON = (
    Param("dry_run", "yes: check every row and keep nothing"),
    Param("skip_bad", "yes: import the good rows when some are bad (listed in the answer)"),
    Param("background", "yes: run as a background task however small; no: now (up to one chunk)"),
)


@function("customer.import", roles=RESELLERS, money=True, params=(
    Param("file", "the CSV text, or an uploaded .csv/.xlsx file's name (any path from the CLI)",
          True),
    Param("file_name", "the uploaded file's own name, for the report"),
    Param("mapping", "column:field,... (column by header or 0-based number); default: by name"),
    Param("saved_mapping", "the name of a mapping saved before"),
    Param("save_mapping", "keep this mapping under this name"),
    *COMMON))
def import_customers(call: Call) -> OkResult:
    """Create or update customers by username from a CSV or XLSX file; a dry run first."""
    src, name = source(call)
    header, rows = files.read(src, name)
    return run_rows(call, header, rows, column_map(call, header), name)


@function("customer.import_mikrotik", roles=ISP_ADMINS, money=False, params=(
    Param("router", "the NAS (MikroTik) id, name or address", True),
    Param("packages", "profile:package,... (a PPP profile to a package); default: same name"),
    Param("operator", "the operator the customers belong to; default yours"),
    *COMMON))
def import_mikrotik(call: Call) -> OkResult:
    """Customers from a MikroTik's PPP secrets: password, profile (a package), remote address."""
    from provisioning import mikrotik
    from provisioning.errors import ProvisioningError
    from provisioning.functions.routers import device_error, owner_only, router_of
    # router_of reads a NAS's elid; here the customers are the rows, so it is `router`
    as_nas = Call(call.session, call.caller, call.func, {**call.params, "elid": call.get("router")})
    try:
        nas, router = router_of(as_nas)
        owner_only(as_nas, nas, "imports from it")
    except FuncError as exc:
        if exc.field == "elid":
            raise FuncError(exc.message, field="router", status=exc.status) from None
        raise
    try:
        secrets, _, _ = mikrotik.inventory(router)
    except ProvisioningError as exc:
        raise device_error(exc) from None
    header, rows = secret_rows(secrets, profile_map(call.get("packages")), call.get("operator"))
    mapping = {i: name for i, name in enumerate(header)}
    return run_rows(call, header, rows, mapping, f"{nas.shortname or nas.nasname} PPP secrets")


def profile_map(raw: str | None) -> dict[str, str]:
    out = {}
    for item in filter(None, (i.strip() for i in (raw or "").split(","))):
        profile, sep, package = item.partition(":")
        if not sep or not profile.strip() or not package.strip():
            raise FuncError(f"{item[:40]!r} is not profile:package", field="packages")
        out[profile.strip().lower()] = package.strip()
    return out


IPV4 = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
MAC = re.compile(r"[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}")


def secret_rows(secrets, packages: dict[str, str], operator: str | None):
    """PPP secrets as import rows: a line per secret (its place in /ppp/secret, from 1); a
    remote-address that is an address (not a pool's name) becomes the static IP, a caller-id
    that is a MAC the MAC binding, a disabled secret a disabled customer."""
    header = ["username", "password", "package", "static_ip", "mac", "status", "notes"]
    if operator:
        header.append("operator")
    rows = []
    for n, s in enumerate(secrets, start=1):
        cells = [s.name, s.password, packages.get(s.profile.lower(), s.profile),
                 s.remote_address if IPV4.fullmatch(s.remote_address or "") else "",
                 s.caller_id if MAC.fullmatch(s.caller_id or "") else "",
                 "disabled" if s.disabled else "", s.comment or ""]
        if operator:
            cells.append(operator)
        rows.append((n, [c or "" for c in cells]))
    return header, rows


@function("import_mapping", kind="list", roles=RESELLERS, params=())
def import_mappings(call: Call):
    """The column mappings saved for imports, by name."""
    from radbill.functions.registry import ListResult
    from radbill.models import ImportMapping
    rows = [{"id": m.id, "name": m.name, "mapping": ", ".join(f"{k}:{v}" for k, v in
                                                              m.mapping.items())}
            for m in call.session.scalars(sa.select(ImportMapping).where(
                ImportMapping.operator_id == operator_of(call)).order_by(ImportMapping.name))]
    return ListResult(rows, len(rows), 1, max(len(rows), 1), ["name", "mapping"])



RUN_PAGE = 50  # bad rows a page of a run's progress


@function("customer.import_run", kind="form", roles=RESELLERS, params=(
    # `run`, not elid: an elid would offer it as an action on the customers' list
    Param("run", "the import run (the elid customer.import answered)", True),
    Param("page", "a page of its bad rows (50 a page)")))
def import_run(call: Call) -> FormResult:
    """A background import's progress and one page of its bad rows, for whoever sees its
    operator's subtree (as the task list shows its task)."""
    from radbill import tasks
    from radbill.functions.crud import in_subtree
    from radbill.models import CustomerImport, CustomerImportRow, Task
    run_id = F.as_id(call.get("run"), CustomerImport.id)
    run_ = None if run_id is None else call.session.scalars(sa.select(CustomerImport).where(
        CustomerImport.id == run_id, in_subtree(call, CustomerImport.operator_id))).first()
    if run_ is None:
        raise NotFound(f"no import run {call.get('run')!r}", field="run")
    task = call.session.get(Task, run_.task_id) if run_.task_id else None
    done, failed, total = tasks.progress(call.session, task) if task else (0, 0, run_.rows)
    bad = sa.select(CustomerImportRow.line, CustomerImportRow.errors).where(
        CustomerImportRow.import_id == run_.id, CustomerImportRow.errors.is_not(None))
    count = call.session.scalar(sa.select(sa.func.count()).select_from(bad.subquery()))
    pages = max(1, -(-count // RUN_PAGE))
    page = min(F.parse_one("page", F.integer(1), call.get("page") or "1"), pages)
    rows = call.session.execute(bad.order_by(CustomerImportRow.line).limit(RUN_PAGE)
                                .offset((page - 1) * RUN_PAGE)).all()
    return FormResult(run_.id, {
        "id": run_.id, "file_name": run_.file_name, "status": run_.status,
        "created": run_.created, "updated": run_.updated, "note": task.note if task else None,
        "done": done, "failed": failed, "total": total,
        "percent": tasks.percent(done, failed, total) or 0,
        "bad": [(line, errors) for line, errors in rows], "page": page, "pages": pages,
        "finished": run_.status in ("done", "failed", "cancelled")})
