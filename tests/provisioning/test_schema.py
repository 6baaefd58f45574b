"""The provisioning migration (0005) creates exactly what radbill/models/devices.py describes."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from radbill import migrate

pytestmark = pytest.mark.integration
OURS = {"olts", "onus", "device_status", "interface_samples"}


def _table(diff) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None) if not isinstance(part, str) else None
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if name in OURS:
            return name
        if isinstance(part, str) and part in OURS:
            return part
    return None


def test_models_match_the_migration(database_url):
    diffs = [d for d in migrate.pending_model_changes(database_url) if _table(d) in OURS]
    assert diffs == []


def test_optics_floor_is_enforced_by_the_database(session):
    with pytest.raises(sa.exc.IntegrityError):
        with session.begin_nested():
            session.execute(sa.text(
                "insert into olts (name, brand, host, optics_interval) values ('x', 'vsol', 'h', 60)"))
