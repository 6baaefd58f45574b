"""pricelist: the tariffs on offer, as the seed's own examples ask for them (`func=pricelist`,
read under doc/elem/name): the package list with the columns a price list shows."""
from __future__ import annotations

from radbill.functions.registry import Call, ListResult, Param, function
from radbill.functions.roles import CUSTOMER_VIEWERS

COLUMNS = ["id", "name", "price", "rate_down", "rate_up", "validity_days", "data_cap",
           "time_limit", "data_limit", "hotspot"]


@function("pricelist", kind="list", roles=CUSTOMER_VIEWERS, money=("price",),
          params=(Param("q", "search"), Param("page"), Param("per_page"), Param("sort")))
def pricelist(call: Call) -> ListResult:
    """Tariffs (packages) on offer to the caller: name, price, rates, validity."""
    from packages.functions.packages import ENTITY as packages
    result = packages.list(call)
    rows = [{c: r.get(c) for c in COLUMNS} for r in result.rows]
    return ListResult(rows, result.total, result.page, result.per_page, list(COLUMNS))
