"""The repository's test run: one throwaway cluster per session (per pytest-xdist worker) for
the core's tests (tests/) and the Order example's (examples/orders/tests), which use the
package's pytest plugin as an application does; the plugin's server is this cluster, as
``--eventstore-dsn`` would make it, instead of one more cluster of its own.

The cluster runs as the postgres OS user (harness/cluster.py); it loads pg_cron with
cron.database_name = 'eventstore', which therefore cannot be a template."""

from __future__ import annotations

import os

import pytest

from eventstore.testing import Server
from harness.cluster import CRON_DATABASE, Cluster, throwaway_cluster

pytest_plugins = ["eventstore.pytest_plugin"]


@pytest.fixture(scope="session")
def cluster():
    c = throwaway_cluster("eventstore-test-", outlive=bool(os.environ.get("EVENTSTORE_KEEP_CLUSTER")))
    yield c
    if os.environ.get("EVENTSTORE_KEEP_CLUSTER"):
        print(f"\nkept the test cluster: {c.conninfo(CRON_DATABASE)}")
        return
    c.stop()


@pytest.fixture(scope="session")
def eventstore_server(cluster: Cluster) -> Server:
    """The plugin's server is this session's cluster (not one of its own)."""
    return Server(cluster.conninfo("postgres"))
