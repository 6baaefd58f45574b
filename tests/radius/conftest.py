"""The FreeRADIUS every test module here talks to: one server with radius_module per module, on
free ports, stopped cleanly at the end (a non-zero exit shows the server's last output)."""
from __future__ import annotations

import pytest

from tests.support.radius_helpers import RadiusServer


@pytest.fixture(scope="module")
def server(request, database_url, tmp_path_factory):
    srv = RadiusServer(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])).start()
    yield srv
    assert srv.stop() == 0, srv.output()[-3000:]
