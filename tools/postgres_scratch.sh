#!/usr/bin/env bash
# A scratch PostgreSQL server for the cluster scripts: `tools/postgres_scratch.sh start DIR` initialises a database
# cluster in DIR (a user glmm with a password, scram-sha-256 authentication, listening on 127.0.0.1 only, a random port),
# starts it, creates the database glmm and prints its URL (postgres://glmm:PASS@127.0.0.1:PORT/glmm); `... stop DIR`
# stops it. Uses the Debian package's binaries (apt-get install postgresql); as root the server runs as the postgres user.
set -euo pipefail
cmd=${1:?usage: postgres_scratch.sh start|stop DIR}; dir=${2:?usage: postgres_scratch.sh start|stop DIR}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown postgres "$dir"
    password="p$RANDOM$RANDOM"
    echo "$password" >"$dir/pw"; [ "$(id -u)" = 0 ] && chown postgres "$dir/pw"
    as_owner "$pgbin/initdb" -D "$dir/data" -U glmm --pwfile="$dir/pw" --auth=scram-sha-256 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$((20000 + RANDOM % 20000))
    as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    PGPASSWORD=$password "$pgbin/psql" -h 127.0.0.1 -p "$port" -U glmm -d postgres -q -c "CREATE DATABASE glmm" >/dev/null
    echo "postgres://glmm:$password@127.0.0.1:$port/glmm";;
  stop) as_owner "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true;;
  *) echo "usage: postgres_scratch.sh start|stop DIR" >&2; exit 2;;
esac
