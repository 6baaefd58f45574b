"""REST under /api/v1 (issue 15): resources from the registry, scopes, subtrees, paging, problems,
Idempotency-Key, audit, the OpenAPI document."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from admin.rest.resources import RESOURCES, missing
from radbill.models import AuditLog, Customer
from tests.support.api_fixtures import bearer, make_client, revoke
from tests.support.factories import caller_of, fn, make, make_customer

PROBLEM = "application/problem+json"


@pytest.fixture
def api(world, client):
    """A client of reseller opA with every scope, as an operator."""
    c, token = make_client(world.dbs, world.op_a, name="crm")
    world.dbs.commit()
    return Api(client, token, c)


class Api:
    def __init__(self, client, token, row):
        self.client, self.token, self.row = client, token, row

    def __call__(self, method, path, body=None, headers=None, **query):
        kw = {"headers": bearer(self.token, **(headers or {})), "query_string": query}
        if body is not None:
            kw["data"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
            kw["content_type"] = "application/json"
        return self.client.open("/api/v1" + path, method=method, **kw)


def problem(resp, status):
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.content_type == PROBLEM
    body = resp.get_json(force=True)
    assert body["status"] == status and body["title"] and body["type"]
    return body


def fields(body) -> set[str]:
    return {e["field"] for e in body["errors"]}


def test_every_resource_and_action_the_table_names_is_registered():
    assert missing() == []
    assert {"customers", "packages", "bills", "payments", "cards", "nas", "pools", "operators",
            "complaints", "events"} <= set(RESOURCES)


def test_a_read_only_client_gets_403_on_create(world, client):
    _, token = make_client(world.dbs, world.op_a, scopes=["customer:read"])
    world.dbs.commit()
    api = Api(client, token, None)
    assert api("GET", "/customers").status_code == 200
    body = problem(api("POST", "/customers", {"username": "zed", "password": "s3cret99",
                                              "package": "home10"}), 403)
    assert "customer:write" in body["detail"]
    problem(api("GET", "/packages"), 403)  # no package scope at all


def test_a_reseller_does_not_see_another_resellers_customer(world, client):
    nas = make(world.dbs, "nas", name="core1", ip="10.20.0.1", secret="s3cret", operator="isp")
    world.dbs.commit()
    tokens = {}
    for op in (world.op_a, world.op_b):
        tokens[op.name] = make_client(world.dbs, op)[1]
    world.dbs.commit()
    a, b = Api(client, tokens["opA"], None), Api(client, tokens["opB"], None)
    for who in (a, b):  # both resellers use the ISP's NAS
        assert nas.id in {r["id"] for r in who("GET", "/nas").get_json()["data"]}
    bob = world.cust_b.id
    assert a("GET", f"/customers/{world.cust_a.id}").status_code == 200
    assert bob not in {r["id"] for r in a("GET", "/customers", limit=500).get_json()["data"]}
    problem(a("GET", f"/customers/{bob}"), 404)
    problem(a("PATCH", f"/customers/{bob}", {"name": "x"}), 404)
    problem(a("POST", f"/customers/{bob}/suspend", {"reason": "manual"}), 404)
    problem(a("DELETE", f"/customers/{bob}"), 404)
    assert b("GET", f"/customers/{bob}").get_json()["username"] == "bob"
    assert world.dbs.get(Customer, bob).deleted_at is None


def test_paging_120_customers_by_cursor_has_no_duplicate_and_no_gap(world, api):
    op = caller_of(world.dbs, world.operator_a)
    made = {make_customer(world.dbs, op, username=f"pg{i:03d}", package="home10").id
            for i in range(120)}
    world.dbs.commit()
    seen, cursor, pages = [], None, 0
    limits = iter([25, 40, 7, 50, 50, 50])  # a cursor may be followed with another limit
    while True:
        query = {"search": "pg", "limit": next(limits), "total": "true"}
        if cursor:
            query["cursor"] = cursor
        body = api("GET", "/customers", **query).get_json()
        assert body["total"] == 120
        seen += [r["id"] for r in body["data"]]
        cursor, pages = body["next_cursor"], pages + 1
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 120 and set(seen) == made
    names = [world.dbs.get(Customer, i).username for i in seen]
    assert names == sorted(names)  # the list's own order: by username, then id
    assert pages == 4  # 25 + 40 + 7 + 48


def walk(api, path, **query):
    """Every page of a list: the ids in order, and how many pages."""
    seen, cursor, pages = [], None, 0
    while True:
        body = api("GET", path, **query, **({"cursor": cursor} if cursor else {})).get_json()
        seen += [r["id"] for r in body["data"]]
        cursor, pages = body["next_cursor"], pages + 1
        if cursor is None:
            return seen, pages


def test_keyset_cursor_survives_rows_added_and_removed_between_pages(world, api):
    """The cursor is the last row's key: a customer created or deleted before it between two
    calls shifts nothing; total is null unless asked for."""
    op = caller_of(world.dbs, world.operator_a)
    for i in range(0, 20, 2):
        make_customer(world.dbs, op, username=f"ks{i:02d}", package="home10")
    world.dbs.commit()
    first = api("GET", "/customers", search="ks", limit=4).get_json()
    assert first["total"] is None
    assert [r["username"] for r in first["data"]] == ["ks00", "ks02", "ks04", "ks06"]
    make_customer(world.dbs, op, username="ks01", package="home10")  # before the cursor
    make_customer(world.dbs, op, username="ks07", package="home10")  # after it
    fn(world.dbs, "customer.delete", elid="ks02")
    world.dbs.commit()
    second = api("GET", "/customers", search="ks", limit=4, cursor=first["next_cursor"])
    assert [r["username"] for r in second.get_json()["data"]] == ["ks07", "ks08", "ks10", "ks12"]


def test_keyset_pages_sort_descending_and_by_a_column_with_nulls(world, api):
    op = caller_of(world.dbs, world.operator_a)
    ids = {}
    for i in range(13):
        c = make_customer(world.dbs, op, username=f"nn{i:02d}", package="home10",
                          name=None if i % 3 == 0 else f"Name {i % 4}")
        ids[c.id] = c
    world.dbs.commit()
    for sort in ("name", "-name", "-username", "-id", "created_at", "-expires_at"):
        seen, pages = walk(api, "/customers", search="nn", limit=3, sort=sort)
        assert len(seen) == len(set(seen)) == 13, sort
        assert pages == 5, sort
        # the same order as one page of them all
        whole = api("GET", "/customers", search="nn", limit=50, sort=sort).get_json()["data"]
        assert seen == [r["id"] for r in whole], sort
    assert fields(problem(api("GET", "/customers", total="maybe"), 422)) == {"total"}


def test_filters_and_search_are_the_lists_own(world, api):
    body = api("GET", "/customers", search="01711000001").get_json()
    assert [r["username"] for r in body["data"]] == ["alice"]
    assert {r["username"] for r in api("GET", "/customers", status="active").get_json()["data"]} \
        == {"alice", "amos"}
    first = api("GET", "/customers", search="a", limit=1).get_json()
    assert first["next_cursor"]
    other = api("GET", "/customers", search="b", cursor=first["next_cursor"])
    assert fields(problem(other, 422)) == {"cursor"}
    assert fields(problem(api("GET", "/customers", cursor="forged"), 422)) == {"cursor"}
    assert fields(problem(api("GET", "/customers", limit=501), 422)) == {"limit"}
    assert fields(problem(api("GET", "/customers", colour="red"), 422)) == {"colour"}


def test_create_change_suspend_delete_round_trip_audited_as_the_client(world, api):
    resp = api("POST", "/customers", {"username": "carol", "password": "s3cret99",
                                      "package": "home10", "mobile": "01711000077",
                                      "hash_only": False})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    row = resp.get_json()
    assert row["username"] == "carol" and row["package"] == "home10"
    assert resp.headers["Location"] == f"/api/v1/customers/{row['id']}"
    path = f"/customers/{row['id']}"
    assert api("GET", path).get_json()["mobile"] == row["mobile"]
    resp = api("PATCH", path, {"name": "Carol C"})
    assert resp.status_code == 200 and resp.get_json()["name"] == "Carol C"
    resp = api("POST", path + "/suspend", {"reason": "manual"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "suspended"
    assert api("POST", path + "/resume", {"reason": "manual"}).get_json()["status"] == "active"
    assert api("DELETE", path).status_code == 204
    problem(api("GET", path), 404)
    audit = world.dbs.execute(sa.select(AuditLog.func, AuditLog.actor)
                              .where(AuditLog.object_id == row["id"],
                                     AuditLog.object_type == "customer")).all()
    assert {f for f, _ in audit} >= {"customer.edit", "customer.delete"}
    assert {a for _, a in audit} == {"api:crm"}


def test_numbers_and_booleans_become_the_registrys_strings(world, api):
    resp = api("POST", "/packages", {"name": "fibre50", "rate_down": "50M", "rate_up": "20M",
                                     "price": 1200.50, "validity_days": 30, "hotspot": False})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    row = resp.get_json()
    assert row["price"] == "1200.50" and row["validity_days"] == 30 and row["hotspot"] is False
    assert api("PATCH", f"/packages/{row['id']}", {"hotspot": True}).get_json()["hotspot"] is True


def test_problems_name_each_bad_field(world, api):
    body = problem(api("POST", "/customers", {"password": "s3cret99", "mobile": "12",
                                              "package": "home10", "colour": "red"}), 422)
    assert fields(body) == {"colour"}  # unknown fields first: nothing reaches the function
    body = problem(api("POST", "/customers", {"password": "s3cret99", "mobile": "12",
                                              "package": "home10"}), 422)
    assert {"username", "mobile"} <= fields(body)
    assert all(e["message"] for e in body["errors"])
    problem(api("POST", "/customers", {"username": {"a": 1}}), 422)
    problem(api("POST", "/customers", "{not json"), 400)
    problem(api("POST", "/customers", "[1, 2]"), 400)
    problem(api("GET", "/nowhere"), 404)
    problem(api("GET", "/customers/abc"), 404)
    problem(api("POST", "/customers/1/explode"), 404)
    resp = api("PUT", "/customers")
    problem(resp, 405)
    assert resp.headers["Allow"] == "GET, POST"
    problem(api("POST", "/events"), 405)
    resp = api.client.get("/api/v1/customers")
    problem(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    problem(api.client.get("/api/v1/customers", headers=bearer("rbk_x.nope")), 401)


def test_an_idempotency_key_makes_one_customer(world, api):
    body = {"username": "dave", "password": "s3cret99", "package": "home10"}
    key = {"Idempotency-Key": "order-1"}
    first = api("POST", "/customers", body, key)
    second = api("POST", "/customers", body, key)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert world.dbs.scalar(sa.select(sa.func.count()).select_from(Customer)
                            .where(Customer.username == "dave")) == 1
    other = api("POST", "/customers", {**body, "username": "dave2"}, key)
    assert fields(problem(other, 422)) == {"Idempotency-Key"}
    assert world.dbs.scalar(sa.select(sa.func.count()).select_from(Customer)
                            .where(Customer.username == "dave2")) == 0


def test_a_revoked_client_gets_401_at_once(world, api):
    assert api("GET", "/customers").status_code == 200
    revoke(world.dbs, api.row)
    world.dbs.commit()
    problem(api("GET", "/customers"), 401)


def test_the_openapi_document_validates_and_the_docs_page_lists_it(world, client):
    from openapi_spec_validator import validate
    resp = client.get("/api/v1/openapi.json")
    doc = resp.get_json()
    validate(doc)
    assert doc["openapi"].startswith("3.1")
    assert {"/api/v1/customers", "/api/v1/customers/{id}",
            "/api/v1/customers/{id}/suspend"} <= set(doc["paths"])
    create = doc["paths"]["/api/v1/customers"]["post"]
    props = create["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert props["hash_only"]["description"].startswith("store only the NT hash")
    flows = doc["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/api/oauth/token"
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "<script" not in page and "/api/v1/customers/{id}/suspend" in page
    assert "store only the NT hash" in page


def test_every_call_is_rate_limited_and_logged(world, api):
    """/api/v1 goes through the same door as the token endpoint: the client's limit answers 429
    with Retry-After, and every call (the refused one too) lands in the request log."""
    from radbill.models import ApiRequest
    api.row.rate_limit = 2
    world.dbs.commit()
    assert [api("GET", "/customers").status_code for _ in range(2)] == [200, 200]
    over = problem(api("GET", "/customers"), 429)
    assert "2 requests a minute" in over["detail"]
    rows = world.dbs.scalars(sa.select(ApiRequest).order_by(ApiRequest.id)).all()
    assert [(r.client_id, r.method, r.path, r.status) for r in rows] == [
        (api.row.id, "GET", "/api/v1/customers", 200)] * 2 + [
        (api.row.id, "GET", "/api/v1/customers", 429)]


def test_a_search_pages_the_union_of_its_branches_in_the_lists_order(world, api):
    """Each way a search matches (a username, name or mobile prefix, a mobile's last digits) is
    looked up on its own and the pages are the first of their union: the same rows, in the
    same order (username without regard to case, then id), as reading them all."""
    op = caller_of(world.dbs, world.operator_a)
    made = [("Qa01", None, None), ("qa02", "Zed", None), ("zz1", "qab Rahman", None),
            ("aa1", "QAZ", None), ("QB9", "qa", None), ("mm1", None, "+8801711990011"),
            ("nq", "no", None), ("qa03", "x", None), ("Qa04", None, None), ("b1", "Qa", None)]
    for username, name, mobile in made:
        make_customer(world.dbs, op, username=username, package="home10", name=name,
                      mobile=mobile)
    world.dbs.commit()
    expect = sorted((u for u, n, _m in made if u.lower().startswith("qa")
                     or (n or "").lower().startswith("qa")), key=str.lower)
    for limit in (1, 2, 3, 50):
        seen, _pages = walk(api, "/customers", search="qa", limit=limit)
        assert [world.dbs.get(Customer, i).username for i in seen] == expect, limit
    desc, _ = walk(api, "/customers", search="qa", limit=2, sort="-username")
    assert [world.dbs.get(Customer, i).username for i in desc] == expect[::-1]
    mine, _ = walk(api, "/customers", search="990011", limit=1)
    assert [world.dbs.get(Customer, i).username for i in mine] == ["mm1"]
