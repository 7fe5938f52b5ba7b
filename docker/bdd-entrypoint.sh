#!/bin/sh
# The suite's container entrypoint: runs the suite (the parallel runner; its
# arguments go to behave) as the owner of the reports folder (./reports on
# the host, mounted at /app/reports), so that whoever owns that folder owns
# the reports, whatever the host user's uid. Started as root, it takes the folder's uid:gid and
# drops to it (setpriv, from util-linux); a root-owned folder is written as
# root. Started as another user (`--user`), it stays that user.
#
# Exit status: the suite's (0 passed, 1 failed), or 77 when the reports
# folder cannot be written, before any scenario runs.
set -eu

reports=/app/reports
owner=$(stat -c %u:%g "$reports")

if [ "$(id -u)" = 0 ] && [ "${owner%:*}" != 0 ]; then
  exec setpriv --reuid="${owner%:*}" --regid="${owner#*:}" --clear-groups --no-new-privs \
    env HOME=/tmp "$0" "$@"
fi

probe="$reports/.writable.$$"
if ! touch "$probe" 2>/dev/null; then
  echo "bdd: the reports folder (./reports, mounted at $reports, owner $owner) is not writable by $(id -u):$(id -g): no scenario ran (exit 77)" >&2
  exit 77
fi
rm -f "$probe"

# The suite in parallel (steps/support/parallel); arguments go to behave.
exec python -m steps.support.parallel "$@"
