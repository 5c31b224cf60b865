#!/usr/bin/env bash
# Starts the whole KEP Connect service on this machine (called by `make run`).
#
# - Secrets are generated once into var/handoff.env (never committed) and reused.
# - Redis: REDIS_URL if set; else a local redis-server with redis/redis.conf (AOF) storing
#   its data in var/redis; else the service's embedded store, which persists nothing.
# - Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

if [[ ! -f var/handoff.env ]]; then
  umask 077
  {
    echo "HANDOFF_SECRET_KEY=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
    echo "HANDOFF_SERVICE_TOKEN=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
  } > var/handoff.env
  echo "Generated local secrets in var/handoff.env"
fi
set -a; source var/handoff.env; set +a
export HANDOFF_HOST="${HANDOFF_HOST:-127.0.0.1}" HANDOFF_PORT="${HANDOFF_PORT:-8080}"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

if [[ -z "${REDIS_URL:-}" ]] && command -v redis-server >/dev/null; then
  port="${REDIS_PORT:-6379}"
  mkdir -p var/redis
  redis-server redis/redis.conf --port "$port" --dir "$PWD/var/redis" --logfile "$PWD/var/redis/redis.log" &
  pids+=($!)
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$port" ping >/dev/null 2>&1 || { echo "redis-server did not start on port $port (see var/redis/redis.log; set REDIS_PORT to use another port)"; exit 1; }
  export REDIS_URL="redis://127.0.0.1:$port/0"
fi
if [[ -z "${REDIS_URL:-}" ]]; then
  echo "!! No REDIS_URL and no redis-server: using the embedded store. NOTHING WILL PERSIST."
  echo "!! Install Redis (apt-get install -y redis-server) to keep bookings."
fi

.venv-handoff/bin/python -m handoff serve &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://$HANDOFF_HOST:$HANDOFF_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

base="http://$HANDOFF_HOST:$HANDOFF_PORT"
cat <<MSG

KEP Connect is running (Ctrl-C to stop):
  Handoff API        $base/api/topics
  OpenAPI document   $base/api/openapi.json
  Health             $base/healthz
  Redis              ${REDIS_URL:-embedded (not persistent)}
  Service token      in var/handoff.env (HANDOFF_SERVICE_TOKEN)

MSG
wait -n "${pids[@]}"
