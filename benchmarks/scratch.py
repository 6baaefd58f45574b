"""A benchmark's own database beside the configured one: its URL, made afresh, dropped."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from radbill import db, settings


def url_of(name: str) -> str:
    """The configured database URL with database `name`."""
    url = make_url(settings.get().database_url)
    return url.set(database=name).render_as_string(hide_password=False)


def _server(url: str):
    server = make_url(url).set(database="postgres").render_as_string(hide_password=False)
    return sa.create_engine(server, isolation_level="AUTOCOMMIT")


def _drop_create(url: str, create: bool) -> None:
    name = make_url(url).database
    admin = _server(url)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if create:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def recreate(url: str) -> None:
    """Drop the URL's database if it is there, and create it empty."""
    _drop_create(url, create=True)


def drop(url: str) -> None:
    """Close this process's connections to the URL's database and drop it."""
    db.engine(url).dispose()
    _drop_create(url, create=False)
