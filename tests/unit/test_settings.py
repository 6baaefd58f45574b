"""Where the database is: RADBILL_DATABASE_URL, else var/database-url (scripts/setup writes it
when the PostgreSQL cluster is not on 5432, as Debian sets up a second installation), else the
default socket and port."""
from __future__ import annotations

from radbill import settings


def test_the_url_setup_wrote_is_the_default_and_the_environment_still_wins(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(settings, "PROJECT_ROOT", tmp_path)
    assert settings.from_env({}).database_url == settings.DEFAULT_DATABASE_URL
    (tmp_path / "var").mkdir()
    written = "postgresql+psycopg://radbill:pw@/radbill?host=/var/run/postgresql&port=5433"
    (tmp_path / "var" / "database-url").write_text(written + "\n")
    s = settings.from_env({})
    assert s.database_url == written
    assert s.psycopg_dsn.endswith("port=5433")
    from radbill.radiusconf import conninfo
    assert "port=5433" in conninfo(s.psycopg_dsn)  # what FreeRADIUS' rlm_sql connects with
    env = {"RADBILL_DATABASE_URL": "postgresql+psycopg://x:y@/other?host=/tmp"}
    assert settings.from_env(env).database_url.endswith("/other?host=/tmp")
    (tmp_path / "var" / "database-url").write_text("\n")
    assert settings.from_env({}).database_url == settings.DEFAULT_DATABASE_URL
