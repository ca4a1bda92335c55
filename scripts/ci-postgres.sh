#!/usr/bin/env bash
# Start a PostgreSQL server for the store tests and print its URL on the last line.
#
#   export CASECOACH_TEST_POSTGRES_URL=$(bash scripts/ci-postgres.sh | tail -1)
#
# Installs Debian's `postgresql` package if missing, starts the cluster without systemd
# (pg_ctlcluster), and creates role `casecoach` (password `casecoach`, password auth on
# 127.0.0.1) owning database `casecoach_test`. Idempotent: safe to run again. Every
# progress message goes to stderr; stdout carries only the URL. Needs root.
set -euo pipefail

PG_USER="${CASECOACH_PG_USER:-casecoach}"
PG_PASSWORD="${CASECOACH_PG_PASSWORD:-casecoach}"
PG_DB="${CASECOACH_PG_DB:-casecoach_test}"

log() { echo "ci-postgres: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
    log "must run as root (it installs and starts PostgreSQL)"
    exit 1
fi

if ! command -v pg_lsclusters >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing postgresql with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

# The newest installed major version, and its first cluster (creating "main" if none).
version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
cluster="$(pg_lsclusters -h 2>/dev/null | awk -v v="$version" '$1 == v { print $2; exit }')"
if [ -z "$cluster" ]; then
    cluster=main
    log "creating cluster $version/$cluster"
    pg_createcluster "$version" "$cluster" >&2
fi
port="$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $3 }')"

status="$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c { print $4 }')"
if [[ "$status" != online* ]]; then
    log "starting cluster $version/$cluster on port $port"
    mkdir -p /var/run/postgresql
    chown postgres:postgres /var/run/postgresql
    pg_ctlcluster "$version" "$cluster" start >&2
fi

# Wait until it accepts connections (a fresh start can take a moment).
for _ in $(seq 1 60); do
    if pg_isready -q -h 127.0.0.1 -p "$port"; then
        break
    fi
    sleep 0.5
done
if ! pg_isready -q -h 127.0.0.1 -p "$port"; then
    log "PostgreSQL did not come up on 127.0.0.1:$port"
    exit 1
fi

psql_admin() {
    # As the postgres superuser over the local socket (peer auth); quiet, stop on error.
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"
}

role_exists="$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")"
if [ "$role_exists" != "1" ]; then
    log "creating role $PG_USER"
    psql_admin -c "CREATE ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASSWORD'" >&2
else
    # Re-set the password so a role left by an earlier run with another password still works.
    psql_admin -c "ALTER ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASSWORD'" >&2
fi

db_exists="$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")"
if [ "$db_exists" != "1" ]; then
    log "creating database $PG_DB"
    psql_admin -c "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\"" >&2
fi

# Prove the URL works the way the tests will use it: TCP to 127.0.0.1 with the password.
can_login() {
    PGPASSWORD="$PG_PASSWORD" psql -X -q -h 127.0.0.1 -p "$port" -U "$PG_USER" -d "$PG_DB" \
        -tAc "SELECT 1" >/dev/null 2>&1
}
if ! can_login; then
    # An image whose pg_hba.conf does not allow password logins over TCP: allow ours,
    # first in the file (the first matching line wins), then reload.
    hba="$(psql_admin -tAc "SHOW hba_file")"
    line="host $PG_DB $PG_USER 127.0.0.1/32 scram-sha-256"
    if ! grep -qxF "$line" "$hba"; then
        log "allowing $PG_USER on 127.0.0.1 in $hba"
        { echo "$line"; cat "$hba"; } >"$hba.new"
        chown --reference="$hba" "$hba.new"
        chmod --reference="$hba" "$hba.new"
        mv "$hba.new" "$hba"
    fi
    psql_admin -tAc "SELECT pg_reload_conf()" >/dev/null
    sleep 1
fi
if ! can_login; then
    log "cannot log in as $PG_USER on 127.0.0.1:$port"
    exit 1
fi

log "ready"
echo "postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/$PG_DB"
