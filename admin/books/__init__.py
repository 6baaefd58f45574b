"""The books' staff pages (issue 19, menu Accounts): expenses (list, form with a receipt
upload), income vs expense, the yearly summary, payable and receivable with resellers, account
statements, and a spreadsheet (.xlsx) export of their lists. Every read and change is a
function called as the logged-in staff member (rating/functions/books*.py)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("books", __name__, url_prefix="/books")

from admin.books import expenses, export, reports  # noqa: E402,F401  (routes)
