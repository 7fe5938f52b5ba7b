#!/usr/bin/env bash
# The container proof without a Docker engine (called by .ci/run):
#   1. hadolint on both Dockerfiles, actionlint (with shellcheck) on the workflow;
#   2. docker-compose.yml against the Compose specification's schema (and the
#      workflow against GitHub's), then the wiring the project relies on;
#   3. the rehearsal: both images built into stand-in directories and fresh
#      venvs from their own Dockerfiles, the api run as its CMD says on
#      127.0.0.2, the suite's @smoke subset run against it as its
#      ENTRYPOINT/CMD says (.ci/rehearse.py).
# Tools come from requirements/ci.txt, in a venv of their own.
set -euo pipefail
# Every step below stands alone on its line: set -e stops at the first failure.
cd "$(dirname "$0")/.."

start=$SECONDS
passed=0
step() { printf '\n== containers: %s\n' "$1"; }
ok() { passed=$((passed + 1)); }

venv=.venv-containers
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements/ci.txt
PATH="$PWD/$venv/bin:$PATH"  # actionlint finds shellcheck here
export PATH

step "hadolint Dockerfile.api Dockerfile.bdd"
hadolint Dockerfile.api Dockerfile.bdd
echo "hadolint: no findings"; ok

step "actionlint .github/workflows/bdd.yml"
actionlint .github/workflows/bdd.yml
echo "actionlint: no findings"; ok

step "shellcheck .ci/containers.sh"
shellcheck .ci/containers.sh
echo "shellcheck: no findings"; ok

step "docker-compose.yml against the Compose specification"
check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml; ok
check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/bdd.yml; ok

step "wiring, then the rehearsal (suite: --tags=@smoke)"
python .ci/rehearse.py -- --tags=@smoke; ok

echo
echo "containers: the container proof took $((SECONDS - start))s"
echo "containers: ${passed} passed, 0 failed"
