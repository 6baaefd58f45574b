"""The import page's side of customer.import (customers/functions/imports.py)."""
from __future__ import annotations

from customers.importing.files import MAX_ROWS, read  # noqa: F401
from customers.importing.mapping import guess  # noqa: F401
from customers.functions.imports import split_key, targets  # noqa: F401
