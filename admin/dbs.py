"""One SQLAlchemy session per request: committed when the response succeeds, else rolled back."""
from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session


def db() -> Session:
    """The request's session, opened on first use."""
    if "db" not in g:
        g.db = current_app.config["SESSION_FACTORY"]()
    return g.db


def keep_writes() -> None:
    """Commit this request's writes though it answers with an error (a failed login's record)."""
    g.keep_writes = True


def init_app(app: Flask) -> None:
    @app.after_request
    def finish(response):
        # commit before the response leaves, so a failed commit is a 500 and not a false success
        session = g.pop("db", None)
        if session is not None:
            try:
                if response.status_code < 400 or g.pop("keep_writes", False):
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_request
    def discard(exc):
        session = g.pop("db", None)
        if session is not None:
            session.rollback()
            session.close()
