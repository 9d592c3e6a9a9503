#!/bin/sh
# PostgreSQL for Crane's compose topology: initializes $PGDATA on first start (user and database
# from POSTGRES_USER / POSTGRES_DB, password POSTGRES_PASSWORD, scram-sha-256 over TCP), then runs
# the server in the foreground as this (non-root) user, listening on POSTGRES_LISTEN (default: every
# interface of the container) and POSTGRES_PORT (default 5432). Extra arguments go to postgres.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
user=${POSTGRES_USER:-crane}
db=${POSTGRES_DB:-crane}
bin=/usr/lib/postgresql/current/bin

if [ "$(id -u)" = 0 ]; then
    echo "entrypoint: PostgreSQL refuses to run as root; run this image as its default user (postgres)" >&2
    exit 1
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        echo "entrypoint: set POSTGRES_PASSWORD" >&2
        exit 1
    fi
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    "$bin/initdb" -D "$PGDATA" -U "$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C >/tmp/initdb.log 2>&1 || { cat /tmp/initdb.log >&2; rm -f "$pwfile"; exit 1; }
    rm -f "$pwfile"
    printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >> "$PGDATA/pg_hba.conf"
    if [ "$db" != postgres ]; then
        echo "CREATE DATABASE \"$db\" OWNER \"$user\";" | "$bin/postgres" --single -D "$PGDATA" -j postgres >/dev/null
    fi
    echo "entrypoint: initialized $PGDATA (user $user, database $db)"
fi

exec "$bin/postgres" -D "$PGDATA" -c listen_addresses="${POSTGRES_LISTEN:-*}" -p "${POSTGRES_PORT:-5432}" \
    -c unix_socket_directories=/tmp "$@"
