#!/usr/bin/env bash
# A local stand-in for the Dockerfiles' base image, for machines that cannot
# pull it (.ci/containers.sh calls this only after a failed pull):
#
#   bash .ci/base-image.sh python:3.12.12-slim-bookworm
#
# Debian bookworm (debootstrap minbase, from the apt mirror this machine
# already uses) with the runtime libraries the official slim image keeps,
# and this machine's CPython 3.12 (a pyenv build) copied into /usr/local,
# imported under the official image's name. Needs root, debootstrap and a
# running Docker engine; takes about a minute and ~190 MB.
set -euo pipefail

image=${1:?usage: $0 IMAGE}
# The newest 3.12 build here, unless PYTHON_PREFIX names one.
python_prefix=${PYTHON_PREFIX:-$(find /root/.pyenv/versions -maxdepth 1 -name '3.12.*' | sort -V | tail -n 1)}
if [ ! -x "$python_prefix/bin/python3.12" ]; then
  echo "base-image: no CPython 3.12 build found (set PYTHON_PREFIX to one)" >&2
  exit 1
fi
python_version=$("$python_prefix/bin/python3.12" -c 'import platform; print(platform.python_version())')
# shellcheck disable=SC2016  # apt's own $(FIELD) syntax, not the shell's
mirror=$(apt-get indextargets --format '$(RELEASE) $(REPO_URI)' | awk '$1 == "bookworm" { print $2; exit }')
if [ -z "$mirror" ]; then
  echo "base-image: apt has no bookworm source to take Debian from" >&2
  exit 1
fi
# What the official slim image keeps besides minbase: what CPython's
# extension modules link to (ssl, sqlite3, ctypes, lzma, readline, ...).
libraries=ca-certificates,netbase,tzdata,libbz2-1.0,libffi8,libgdbm6,liblzma5,libncursesw6,libreadline8,libsqlite3-0,libssl3,libuuid1,zlib1g,libexpat1,libnsl2,libtirpc3,libcrypt1

work=$(mktemp -d /var/tmp/base-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs

echo "base-image: Debian bookworm (minbase) from $mirror"
debootstrap --variant=minbase --include="$libraries" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }

echo "base-image: CPython $python_version from $python_prefix into /usr/local"
# The interpreter, its standard library and pip; not its tests, Tk, static
# library or whatever else this machine installed into site-packages.
tar -C "$python_prefix" -c \
  --exclude='lib/python3.12/test' --exclude='lib/python3.12/idlelib' \
  --exclude='lib/python3.12/tkinter' --exclude='lib/python3.12/turtledemo' \
  --exclude='lib-dynload/_tkinter.*' --exclude='*.a' \
  --exclude='lib/python3.12/site-packages' bin include lib \
  | tar -C "$root/usr/local" -x
mkdir -p "$root/usr/local/lib/python3.12/site-packages"
cp -a "$python_prefix"/lib/python3.12/site-packages/pip "$python_prefix"/lib/python3.12/site-packages/pip-*.dist-info \
  "$root/usr/local/lib/python3.12/site-packages/"
# Console scripts name the interpreter by its pyenv path: point them home.
grep -l -I -s "^#!$python_prefix/bin/" "$root"/usr/local/bin/* \
  | xargs -r sed -i "1s|^#!$python_prefix/bin/|#!/usr/local/bin/|"
ln -sf python3 "$root/usr/local/bin/python"
ln -sf pip3 "$root/usr/local/bin/pip"

# libpython is in /usr/local/lib; every extension module must find its libraries.
chroot "$root" /sbin/ldconfig
missing=$(chroot "$root" /bin/sh -c 'ldd /usr/local/bin/python3.12 /usr/local/lib/python3.12/lib-dynload/*.so' | grep 'not found' || true)
if [ -n "$missing" ]; then
  echo "base-image: libraries missing in the stand-in:" >&2
  echo "$missing" >&2
  exit 1
fi

# Docker provides these per container; apt's lists and caches are not kept
# (as in the official image).
rm -rf "$root"/etc/resolv.conf "$root"/etc/hostname "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*
tar -C "$root" -c . | docker import \
  --message "stand-in for $image (.ci/base-image.sh): Debian bookworm minbase, CPython $python_version" \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "ENV PYTHON_VERSION=$python_version" \
  --change 'CMD ["python3"]' \
  - "$image" >/dev/null
docker run --rm "$image" python3 -c \
  'import bz2, ctypes, hashlib, lzma, readline, sqlite3, ssl, uuid, zlib, sys; print("base-image: built", sys.argv[1], "with Python", sys.version.split()[0])' "$image"
