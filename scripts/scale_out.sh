#!/usr/bin/env bash
# The docker-compose topology without Docker: two `taskql serve` processes on one database
# behind Debian's nginx (deploy/nginx/taskql.conf.template), on free ports, until Ctrl-C.
#   TASKQL_DATABASE__URL=postgres://postgres@127.0.0.1:5432/taskql scripts/scale_out.sh
# (default: the test SQLite file). Events cross the replicas by LISTEN/NOTIFY on PostgreSQL;
# on SQLite set TASKQL_EVENTS__BACKEND=redis and TASKQL_EVENTS__REDIS_URL.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${VENV:-.venv}/bin/python"
TASKQL_ENV=test "$python" -m server.cli migrate
exec "$python" -m tests.topology
