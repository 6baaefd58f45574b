"""/operators/<id>: an operator's page (issue 19): its subscription plan, its bills with a pay
button, its suspension, and the delete button, which shows the dry run first. Every read and
change is a function called as the logged-in staff member (operator_plan, operator_bill,
operator_bill.pay, operator.delete)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from admin.calls import may, page_caller, run
from radbill.functions.registry import FuncError

bp = Blueprint("operators", __name__, url_prefix="/operators")


def N_(text: str) -> str:  # marker: extracted into the catalogue, translated in the template
    return text


# what the dry run's tables are called on the page (any other shows its table name)
TABLES = {
    "operators": N_("Operators (it and those below it)"), "customers": N_("Customers"),
    "staff_users": N_("Staff logins"), "packages": N_("Packages"),
    "billing_profiles": N_("Billing profiles"), "zones": N_("Zones"),
    "bills": N_("Customers' bills"), "bill_lines": N_("Bill lines"),
    "payments": N_("Payments"), "payment_allocations": N_("Payments applied to bills"),
    "ledger_accounts": N_("Ledger accounts"), "ledger_entries": N_("Ledger entries"),
    "ledger_transactions": N_("Ledger transactions"), "operator_bills": N_("Subscription bills"),
    "operator_plans": N_("Subscription plan"), "payment_gateways": N_("Payment gateways"),
    "nas_settings": N_("Routers (NAS)"), "olts": N_("OLTs"), "checks": N_("Status checks"),
    "check_results": N_("Check results"), "usage_counters": N_("Usage counters"),
    "api_sessions": N_("Staff sessions"), "api_clients": N_("API clients"),
    "audit_log": N_("Audit log"), "login_attempts": N_("Login attempts"),
    "recharge_cards": N_("Recharge cards"), "expenses": N_("Expenses"),
    "messages": N_("Messages"), "outbox": N_("Outbox"), "tasks": N_("Tasks"),
    "operator_suspensions": N_("Suspensions"), "package_changes": N_("Package changes"),
}
# the accounts a delete waits on (staff/operator_delete.POSITIONS), as the page names them
ACCOUNTS = {"upstream": N_("its balance with its parent"),
            "downstream": N_("its resellers' balances"), "receivable": N_("customers' dues"),
            "advances": N_("customers' advances"), "fees_payable": N_("unpaid subscription bills"),
            "fees_receivable": N_("subscription bills owed to it"),
            "commission_payable": N_("commission owed"), "payable": N_("owed to providers"),
            "transfers": N_("owed between operators for moved customers")}
EFFECTS = {"deleted": N_("deleted"), "archived and deleted": N_("archived, then deleted"),
           "kept, link cleared": N_("kept, no longer linked to it")}


def _row(oid: int) -> dict:
    """The operator's row of operator_plan (its plan, balance and suspension), or 404."""
    try:
        rows = run("operator_plan", {"operator": str(oid)}).rows
    except FuncError as exc:
        abort(exc.status if exc.status in (403, 404) else 404, exc.message)
    if not rows:
        abort(404, _("no such operator"))
    return rows[0]


@bp.route("/<int:oid>")
@login_required
def show(oid: int):
    op = _row(oid)
    bills = run("operator_bill", {"operator": str(oid), "per_page": "24"})
    own = page_caller().operator_id == oid
    below = not own and op["parent_id"] is not None
    return render_template(
        "operators/show.html", op=op, bills=bills.rows, title=op["operator"],
        may_plan=below and may("operator_plan.edit"), may_pay=may("operator_bill.pay"),
        may_edit=not own and may("operator.edit"), may_delete=below and may("operator.delete"))


@bp.route("/<int:oid>/bills/<int:bid>/pay", methods=["POST"])
@login_required
def pay(oid: int, bid: int):
    try:
        done = run("operator_bill.pay", {"elid": str(bid)})
    except FuncError as exc:
        flash(exc.errors.get("elid") or exc.message, "error")
    else:
        flash(_("Bill paid from the balance.") + (" " + _("The operator is active again.")
                                                  if done.extra.get("resumed") else ""), "ok")
    return redirect(url_for("operators.show", oid=oid))


@bp.route("/<int:oid>/delete", methods=["POST"])
@login_required
def delete(oid: int):
    """The dry run (what goes, by table, with counts), then the delete when confirmed."""
    op = _row(oid)
    if request.form.get("confirm") != "yes":
        try:
            dry = run("operator.delete", {"elid": str(oid), "dry_run": "yes"})
        except FuncError as exc:
            flash(exc.errors.get("elid") or exc.message, "error")
            return redirect(url_for("operators.show", oid=oid))
        rows = [dict(r, label=TABLES.get(r["table"]), effect_label=EFFECTS[r["effect"]])
                for r in dry.extra["rows"]]
        return render_template("operators/delete.html", op=op, rows=rows,
                               total=dry.extra["total"], customers=dry.extra["customers"],
                               balances=dry.extra["balances"], blockers=dry.extra["blockers"],
                               title=op["operator"],
                               account_label=lambda kind: ACCOUNTS.get(kind, kind))
    try:
        done = run("operator.delete", {"elid": str(oid)})
    except FuncError as exc:
        flash(exc.errors.get("elid") or exc.message, "error")
        return redirect(url_for("operators.show", oid=oid))
    if done.extra.get("task"):
        flash(_("Deleting %(name)s in the background: its staff are shut out now.",
                name=op["operator"]), "ok")
        return redirect("/billmgr?func=task")
    flash(_("%(name)s deleted; its money history is archived.", name=op["operator"]), "ok")
    return redirect("/billmgr?func=operator_archive")
