"""docker/: no container engine runs here, so what can be checked without one is checked:
the image's settings are the test cluster's (the same file, really in effect here), the
Dockerfile builds what it says, and compose deploys only once the server is healthy."""

from __future__ import annotations

import re
import subprocess

import yaml

from harness.cluster import CONF_INCLUDE, REPO

DOCKER = REPO / "docker"


def settings(path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"\s*([a-z_.]+)\s*=\s*'?([^'#]*?)'?\s*(#.*)?$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_the_image_and_the_test_cluster_share_one_settings_file(cluster):
    assert CONF_INCLUDE == DOCKER / "eventstore.conf"
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert "COPY eventstore.conf /etc/postgresql/eventstore.conf" in dockerfile
    assert "include '/etc/postgresql/eventstore.conf'" in (DOCKER / "initdb-eventstore.sh").read_text()
    wanted = settings(DOCKER / "eventstore.conf")
    assert {"shared_preload_libraries", "cron.database_name", "cron.use_background_workers"} <= set(wanted)
    # ... and they are what the test suite's server actually runs with.
    for name, value in wanted.items():
        actual = cluster.execute("postgres", "SELECT current_setting(%s)", (name,))[0][0]
        assert actual == value, f"{name}: {actual} != {value}"


def test_the_dockerfile_takes_the_major_version_and_installs_its_pg_cron_and_pgtap():
    text = (DOCKER / "Dockerfile").read_text()
    assert re.search(r"^ARG PG_MAJOR=17$", text, re.M)
    assert re.search(r"^FROM postgres:\$\{PG_MAJOR\}$", text, re.M)
    assert '"postgresql-${PG_MAJOR}-cron"' in text and '"postgresql-${PG_MAJOR}-pgtap"' in text
    assert "ENV POSTGRES_DB=eventstore" in text, "the database is pg_cron's (cron.database_name)"
    assert re.search(r"^HEALTHCHECK .*pg_isready -h 127\.0\.0\.1", text, re.M | re.S)
    subprocess.run(["sh", "-n", str(DOCKER / "initdb-eventstore.sh")], check=True)


def test_compose_deploys_with_sqitch_once_the_server_is_healthy():
    compose = yaml.safe_load((DOCKER / "compose.yaml").read_text())
    db, deploy = compose["services"]["db"], compose["services"]["deploy"]
    assert db["build"]["args"]["PG_MAJOR"] == "${PG_MAJOR:-17}"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert deploy["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert deploy["image"].startswith("sqitch/sqitch:")
    assert deploy["command"][0] == "deploy" and deploy["command"][-1] == "db:pg://postgres@db:5432/eventstore"
    assert deploy["volumes"] == ["..:/repo:ro"] and deploy["working_dir"] == "/repo"
    assert (REPO / "sqitch.plan").exists(), "the mounted repository holds the bundle"
