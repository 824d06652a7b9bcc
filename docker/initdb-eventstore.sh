#!/bin/sh
# Run by the official image's entrypoint once, after initdb: load the event store's settings
# (docker/eventstore.conf) from the new cluster's postgresql.conf. They take effect when the
# entrypoint restarts the server for good (pg_cron can only be preloaded at start).
set -eu
echo "include '/etc/postgresql/eventstore.conf'" >> "$PGDATA/postgresql.conf"
