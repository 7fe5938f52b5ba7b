#!/usr/bin/env bash
# /metrics scraped by a real Prometheus (called by .ci/run, inside its venv):
# two workers on one Redis, orders placed on new connections (so both
# workers place some), Debian's prometheus scraping the platform every
# second; the query `sum(trading_orders_placed_total)` must answer the
# number of orders placed. prometheus and redis-server come from Debian
# (installed here under CI=true when missing); this script stops exactly
# what it started, by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

ORDERS=40

missing=()
command -v prometheus >/dev/null || missing+=(prometheus)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${CI:-}" != true ]; then
    echo "prometheus: ${missing[*]} not installed (apt-get install ${missing[*]}); skipped" >&2
    exit 0
  fi
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
python -m pip install --quiet -r requirements/redis.txt

workdir=$(mktemp -d)
pids=()
stop_started() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$workdir"
}
trap stop_started EXIT

free_port() {
  python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$workdir" --save "" \
  --appendonly no --daemonize no --logfile "$workdir/redis.log" &
pids+=($!)

api_port=$(free_port)
python -m trading_server --port "$api_port" --workers 2 --response-delay 0,0 \
  --store "redis://127.0.0.1:$redis_port/0" --quiet >"$workdir/api.log" 2>&1 &
pids+=($!)

prometheus_port=$(free_port)
# The scrape job docs/long-running.md shows, every second instead of 15 s.
cat >"$workdir/prometheus.yml" <<YAML
scrape_configs:
  - job_name: trading
    scrape_interval: 1s
    static_configs: [{targets: ["127.0.0.1:$api_port"]}]
YAML
prometheus --config.file="$workdir/prometheus.yml" --storage.tsdb.path="$workdir/data" \
  --web.listen-address="127.0.0.1:$prometheus_port" >"$workdir/prometheus.log" 2>&1 &
pids+=($!)

echo "== prometheus: $ORDERS orders on two workers on Redis, scraped by $(prometheus --version 2>&1 | head -1)"
python - "$api_port" "$prometheus_port" "$ORDERS" <<'PY' || { tail -n 20 "$workdir"/*.log >&2; exit 1; }
import json, sys, time, urllib.parse, urllib.request

api, prometheus, orders = (f"http://127.0.0.1:{sys.argv[1]}", f"http://127.0.0.1:{sys.argv[2]}",
                           int(sys.argv[3]))

def get(url):
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.read()

def until(what, check, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"prometheus: {what} within {seconds} s")
        time.sleep(0.5)

until("the platform did not answer", lambda: get(api + "/health"))
for _ in range(orders):  # a new connection each: both workers place some
    request = urllib.request.Request(api + "/orders", b'{"stocks": "EURUSD", "quantity": 1}',
                                     {"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()
query = "sum(trading_orders_placed_total)"
answers = []

def counted():
    url = prometheus + "/api/v1/query?" + urllib.parse.urlencode({"query": query})
    result = json.loads(get(url))["data"]["result"]
    answers.append(result)
    return bool(result) and float(result[0]["value"][1]) == orders

until(f"{query} did not answer {orders} (its last answers: {answers[-3:]})", counted)
print(f"prometheus: {query} = {orders}, the orders placed")
PY
