#!/usr/bin/env bash
# The Redis store in CI (called by .ci/run, inside its venv):
#   1. the whole acceptance suite against two workers sharing one Redis
#      (API_URL set, as a user of the platform would point it);
#   2. the @redis scenarios, which start their own Redis and two instances.
# redis-server comes from Debian (installed here under CI=true when
# missing); this script stops exactly what it started, by PID.
# Both run the parallel runner (python -m steps.support.parallel).
# Usage: .ci/redis.sh [behave arguments for step 1, e.g. --tags=@smoke]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null; then
  if [ "${CI:-}" != true ]; then
    echo "redis: redis-server is not installed (apt-get install redis-server); skipped" >&2
    exit 0
  fi
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y --no-install-recommends redis-server
fi
python -m pip install --quiet -r requirements/redis.txt

workdir=$(mktemp -d)
pids=()
# Every run also writes behave.ini's own output, reports/report.html,
# whatever -o it is given: keep the main suite's report there.
if [ -f reports/report.html ]; then cp reports/report.html "$workdir/report-main.html"; fi
stop_started() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -f "$workdir/report-main.html" ]; then cp "$workdir/report-main.html" reports/report.html; fi
  rm -rf "$workdir"
}
trap stop_started EXIT

free_port() {
  python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits for a local URL to answer 200, or for the process to die; 30 s at most.
wait_until_up() {
  python - "$1" "$2" <<'PY'
import os, sys, time, urllib.request

url, pid = sys.argv[1], int(sys.argv[2])
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                sys.exit(0)
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(f"redis: the process {pid} behind {url} died")
    time.sleep(0.1)
sys.exit(f"redis: {url} did not answer within 30 s")
PY
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$workdir" --save "" \
  --appendonly no --daemonize no --logfile "$workdir/redis.log" &
pids+=($!)

api_port=$(free_port)
# Test control on, for both workers and the suite: the @control scenarios
# then check that a change through one worker is obeyed by the other.
control_token=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')
TRADING_CONTROL_TOKEN="$control_token" python -m trading_server --port "$api_port" --workers 2 \
  --store "redis://127.0.0.1:$redis_port/0" --quiet >"$workdir/api.log" 2>&1 &
pids+=($!)
if ! wait_until_up "http://127.0.0.1:$api_port/health" "${pids[1]}"; then
  cat "$workdir/api.log" "$workdir/redis.log" >&2
  exit 1
fi

echo "== redis: the suite against two workers on one Redis (port $api_port)"
API_URL="http://127.0.0.1:$api_port" TRADING_CONTROL_TOKEN="$control_token" \
  python -m steps.support.parallel --junit-directory reports/junit-redis \
  -f html -o reports/report-redis.html "$@"

echo "== redis: two instances sharing one Redis (@redis, started by the suite)"
python -m steps.support.parallel --tags=@redis --junit-directory reports/junit-redis-platform \
  -f html -o reports/report-redis-platform.html
