#!/usr/bin/env bash
# The containers, for real (called by .ci/run after the suite):
#   1. linters: hadolint (Dockerfiles), shellcheck (these scripts and the
#      suite's entrypoint), actionlint (the workflow), and docker-compose.yml
#      and the workflow against their schemas;
#   2. a Docker engine (.ci/engine.sh): the one running, or under CI=true
#      Debian's docker.io and compose v2, started here and stopped at the end;
#   3. the Dockerfiles' base image: pulled, or where it cannot be, the local
#      stand-in (.ci/base-image.sh), built once per machine;
#   4. the README's command: docker compose up --build
#      --abort-on-container-exit --exit-code-from bdd; its exit code counts;
#   5. what that run cannot show: both services get the same delays, each
#      image holds only its own requirement set, the reports belong to the
#      owner of the reports folder, and an unwritable one is exit 77;
#   6. the Redis setup (docker-compose.redis.yml on top): the same suite
#      against two api workers on a Redis service (its image pulled, or a
#      stand-in with Debian's redis-server built on the base image).
# Without an engine and without CI=true, only step 1 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
step() { printf '\n== containers [%ss]: %s\n' "$((SECONDS - start))" "$1"; }

venv=.venv-containers
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements/ci.txt
PATH="$PWD/$venv/bin:$PATH"  # actionlint finds shellcheck here
export PATH

step "linters"
hadolint Dockerfile.api Dockerfile.bdd
shellcheck .ci/run .ci/*.sh docker/bdd-entrypoint.sh
actionlint .github/workflows/bdd.yml
check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml docker-compose.redis.yml
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/bdd.yml

step "Docker engine"
# shellcheck source=.ci/engine.sh
. .ci/engine.sh
reports_aside=
cleanup() {
  if docker info >/dev/null 2>&1; then
    docker compose down --volumes --remove-orphans
  fi
  # The host suite's reports back in ./reports, the containers' inside them.
  if [ -n "$reports_aside" ] && [ -d reports ]; then
    rm -rf "$reports_aside/reports/containers"
    mv reports "$reports_aside/reports/containers"
    mv "$reports_aside/reports" reports
    rmdir "$reports_aside"
  fi
  engine_stop
}
trap cleanup EXIT
if ! engine_start; then
  echo "containers: linters passed; no engine, so no container run"
  exit 0
fi

step "base image"
# An image pulled, or where it cannot be, the local one, or else a local
# stand-in built by the command given (saying which, in the log).
pulled_or_stand_in() {  # IMAGE COMMAND...
  local image=$1
  shift
  if timeout 300 docker pull --quiet "$image"; then
    echo "image: $image pulled"
  elif docker image inspect "$image" >/dev/null 2>&1; then
    echo "image: $image cannot be pulled; using the local one: $(docker image inspect \
      --format '{{or .Comment (index .Config.Labels "stand-in") "pulled earlier"}}' "$image")"
  else
    echo "image: $image cannot be pulled; building a local stand-in ($*)"
    "$@"
  fi
}
base_stand_in() {  # IMAGE: Debian and this machine's CPython 3.12
  if ! command -v debootstrap >/dev/null; then
    if [ "${CI:-}" != true ]; then
      echo "base image: the stand-in needs debootstrap (apt-get install debootstrap) and root" >&2
      exit 1
    fi
    ci_install_apt debootstrap
  fi
  bash .ci/base-image.sh "$1"
}
redis_stand_in() {  # IMAGE: Debian's redis-server on the base image
  printf 'FROM %s\nRUN apt-get update && apt-get install -y --no-install-recommends redis-server && rm -rf /var/lib/apt/lists/*\n' "$base" \
    | docker build --quiet --label "stand-in=Debian's redis-server on $base" --tag "$1" -
}
base=$(sed -n 's/^FROM //p' Dockerfile.api Dockerfile.bdd | sort -u)
if [ "$(wc -l <<<"$base")" -ne 1 ]; then
  echo "Dockerfile.api and Dockerfile.bdd must build on one base image, not: $base" >&2
  exit 1
fi
pulled_or_stand_in "$base" base_stand_in "$base"

step "docker compose up --build --abort-on-container-exit --exit-code-from bdd"
# The containers' suite writes ./reports; the host suite's reports (which
# .ci/run's summary reads) wait aside meanwhile.
if [ -e reports ]; then
  reports_aside=$(mktemp -d)
  mv reports "$reports_aside/"
fi
mkdir reports
docker compose up --build --abort-on-container-exit --exit-code-from bdd
ls reports/report.html reports/junit/*.xml >/dev/null

step "what the run cannot show"
# The suite must expect the delays the server has: one setting reaches both.
TRADING_RESPONSE_DELAY=0.2,0.3 TRADING_EXECUTION_DELAY=0.4,0.5 docker compose config --format json | python -c '
import json, sys
services = json.load(sys.stdin)["services"]
delays = {name: {key: services[name]["environment"].get(key) for key in ("TRADING_RESPONSE_DELAY", "TRADING_EXECUTION_DELAY")}
          for name in ("api", "bdd")}
assert delays["api"] == delays["bdd"] == {"TRADING_RESPONSE_DELAY": "0.2,0.3", "TRADING_EXECUTION_DELAY": "0.4,0.5"}, delays
print("delays: both services get TRADING_RESPONSE_DELAY and TRADING_EXECUTION_DELAY")'
# Each image holds its own requirement set only.
only() {  # only SERVICE MODULES MISSING: its image has the ones and not the others
  docker compose run --rm --no-deps --entrypoint python "$1" -c '
import importlib.util, sys
has, has_not = sys.argv[1].split(","), sys.argv[2].split(",")
wrong = [m + " missing" for m in has if not importlib.util.find_spec(m)]
wrong += [m + " present" for m in has_not if importlib.util.find_spec(m)]
sys.exit("this image has the wrong requirement set: " + ", ".join(wrong) if wrong else 0)' "$2" "$3"
}
only api sanic,trading_server behave
only bdd behave,hamcrest,websocket sanic,trading_server
echo "images: api holds the server without the suite, bdd the suite without the server"
# The reports belong to the folder's owner, whoever runs compose (here root);
# an unwritable folder stops the suite before any scenario, with exit 77.
owned=$(mktemp -d)
chown 1234:1234 "$owned"
docker compose run --rm --no-deps --volume "$owned:/app/reports" bdd --dry-run --tags=@smoke >/dev/null
echo "reports: written into a folder owned by 1234:1234 (stat):"
stat -c '%u:%g %n' "$owned" "$owned/report.html" "$owned/junit"
if [ -n "$(find "$owned" \( ! -user 1234 -o ! -group 1234 \) -print)" ]; then
  echo "reports: not all written as 1234:1234, the folder's owner" >&2
  exit 1
fi
chmod 0555 "$owned"
status=0
docker compose run --rm --no-deps --volume "$owned:/app/reports" bdd --dry-run || status=$?
rm -rf "$owned"
if [ "$status" -ne 77 ]; then
  echo "reports: an unwritable folder gave exit $status, not 77" >&2
  exit 1
fi
echo "reports: an unwritable folder is exit 77, before any scenario"

step "the Redis setup: the same suite against two workers on Redis"
redis_image=$(sed -n 's/^ *image: *//p' docker-compose.redis.yml)
pulled_or_stand_in "$redis_image" redis_stand_in "$redis_image"
redis_compose=(docker compose -f docker-compose.yml -f docker-compose.redis.yml)
"${redis_compose[@]}" up --build --abort-on-container-exit --exit-code-from bdd
"${redis_compose[@]}" down --volumes --remove-orphans

echo
echo "containers: passed in $((SECONDS - start))s"
