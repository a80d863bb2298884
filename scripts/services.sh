#!/usr/bin/env bash
# A throwaway PostgreSQL and Redis for the cluster tests and benchmarks, from Debian's packages, in
# a directory of their own (no Docker, nothing system-wide).
#   scripts/services.sh start DIR   starts both; prints the `export` lines the tests read
#   scripts/services.sh stop DIR    stops both
#   scripts/services.sh restart-pg DIR      PostgreSQL stopped with -m immediate (a crash) and started
#   scripts/services.sh restart-redis DIR   Redis shut down without saving and started again
# PostgreSQL's initdb and pg_ctl refuse to run as root: as root they run as the postgres user.
# fsync is off: these databases are thrown away, and a killed process still loses nothing (the page
# cache outlives it); only a power loss would.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?directory}
# A port nothing listens on now (several runs on one machine must not collide).
free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
# From the services directory: the postgres user may not be allowed into the caller's.
as_pg() { if [ "$(id -u)" = 0 ]; then (cd "$dir" && runuser -u postgres -- "$@"); else "$@"; fi; }

start_redis() {
  redis-server --bind 127.0.0.1 --port "$1" --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"
  for _ in $(seq 50); do redis-cli -p "$1" ping >/dev/null 2>&1 && break; sleep 0.1; done
}

case $cmd in
restart-pg)
  as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -m immediate -w -l "$dir/pg.log" restart >/dev/null
  ;;
restart-redis)
  port=$(cat "$dir/redis.port")
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 || break; sleep 0.1; done
  start_redis "$port"
  ;;
start)
  [ -n "$pg_bin" ] || { echo "PostgreSQL is not installed (apt-get install -y postgresql)" >&2; exit 1; }
  command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install -y redis-server)" >&2; exit 1; }
  pg_port=${PARLEY_PG_PORT:-$(free_port)}
  redis_port=${PARLEY_REDIS_PORT:-$(free_port)}
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  as_pg "$pg_bin/initdb" -D "$dir/pg" -A trust -U postgres >"$dir/initdb.log"
  as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -w -l "$dir/pg.log" \
    -o "-k $dir -c listen_addresses=127.0.0.1 -p $pg_port -c fsync=off -c full_page_writes=off -c max_connections=300" start >/dev/null
  echo "$redis_port" >"$dir/redis.port"
  start_redis "$redis_port"
  echo "export PARLEY_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/postgres"
  echo "export PARLEY_TEST_REDIS_URL=redis://127.0.0.1:$redis_port"
  echo "export PARLEY_TEST_SERVICES_DIR=$dir"
  ;;
stop)
  if [ -f "$dir/pg/postmaster.pid" ]; then as_pg "$pg_bin/pg_ctl" -D "$dir/pg" -m fast stop >/dev/null || true; fi
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  rm -f "$dir/redis.pid"
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2
  exit 2
  ;;
esac
