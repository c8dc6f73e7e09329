# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
# Sourced by the fault tests: a throw-away PostgreSQL 15 cluster on a free
# 127.0.0.1 port, as src/store/pg_test_cluster_test.cpp makes one for the
# C++ tests (initdb -A trust, run as the postgres user when root, since
# PostgreSQL refuses to run as root). Needs tests/lib/real-part.sh sourced.
#   pg_cluster_start DIR   sets PG_DIR, PG_PORT, PG_BIN; missing_real_part if absent
#   pg_ctl_cluster ARGS... runs pg_ctl on the cluster (e.g. restart -m immediate)
#   pg_psql DB SQL         runs one statement, prints unaligned tuples
#   pg_cluster_stop        stops it (for the EXIT trap; safe to call twice)

PG_BIN=${KCI_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=""
PG_PORT=""

pg_run() {  # CMD (a shell command line) as the cluster's owner
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "$1"
  else
    sh -c "$1"
  fi
}

pg_cluster_start() {
  [ -x "$PG_BIN/initdb" ] || missing_real_part "PostgreSQL 15 is not installed (no $PG_BIN/initdb)"
  PG_DIR=$1
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || missing_real_part "running as root and there is no postgres user"
    chown postgres: "$PG_DIR"
  fi
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  pg_run "$PG_BIN/initdb -D '$PG_DIR/data' -A trust -U postgres --no-sync -E UTF8" \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; echo "FAIL: initdb" >&2; exit 1; }
  # fsync=off: the faults here are process crashes, not power cuts (the OS
  # keeps what PostgreSQL wrote).
  cat >>"$PG_DIR/data/postgresql.conf" <<CONF
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
fsync = off
max_connections = 50
CONF
  pg_ctl_cluster start >/dev/null || { cat "$PG_DIR/log" >&2; echo "FAIL: pg_ctl start" >&2; exit 1; }
}

pg_ctl_cluster() {
  pg_run "$PG_BIN/pg_ctl -D '$PG_DIR/data' -l '$PG_DIR/log' -w $*"
}

pg_psql() {  # DB SQL
  "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$1" -v ON_ERROR_STOP=1 -c "$2"
}

pg_cluster_stop() {
  if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
    pg_ctl_cluster stop -m immediate >/dev/null 2>&1 || true
  fi
}
