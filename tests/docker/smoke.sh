#!/usr/bin/env bash
# Smoke test of the Docker image on a machine with no internet, as ../shared/TESTING.md
# describes: a private dockerd with its networking features off, a Debian base image made with
# debootstrap, wheels downloaded on the host, a build with --network none. It checks that the
# container starts, `division-bell demo` runs inside it, `run` becomes healthy, and SIGTERM
# stops it cleanly within 10 s.
#
# Run as root from anywhere: tests/docker/smoke.sh [--install] (about 2 minutes; under 1 with a
# cached rootfs). Needs dockerd (Debian's docker.io), debootstrap, a docker client, and a host
# Python of the same minor version as bookworm's (3.11), since the wheels must match it;
# --install installs the first two from Debian's packages when missing (CI does this).
#   SMOKE_CACHE  keeps the debootstrapped base between runs (default below)
#   PYTHON       the host Python that downloads the wheels (default: python3)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${SMOKE_CACHE:-/var/tmp/division-bell-smoke-cache}
PYTHON=${PYTHON:-python3}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
BASE=local/python:bookworm
IMAGE=division-bell:smoke
WORK=$(mktemp -d /tmp/division-bell-smoke.XXXXXX)
SOCK=unix://$WORK/docker.sock
START=$SECONDS

say() { printf '[%3ds] %s\n' $((SECONDS - START)) "$*"; }
fail() { say "FAIL: $*"; exit 1; }
docker_() { docker -H "$SOCK" "$@"; }

cleanup() {
    docker_ rm -f smoke-run >/dev/null 2>&1 || true
    if [[ -f $WORK/docker.pid ]]; then
        kill "$(cat "$WORK/docker.pid")" 2>/dev/null || true
        for _ in $(seq 50); do [[ -f $WORK/docker.pid ]] || break; sleep 0.2; done
    fi
    # dockerd unmounts its layers on exit; anything left mounted must not be deleted through.
    if ! grep -q " $WORK/" /proc/mounts; then rm -rf "$WORK"; else say "left $WORK (still mounted)"; fi
}
trap cleanup EXIT

install_deps() {
    local need=() made_policy="" status=0
    command -v dockerd >/dev/null || need+=(docker.io)
    command -v debootstrap >/dev/null || need+=(debootstrap)
    ((${#need[@]})) || return 0
    say "installing ${need[*]} from Debian's packages, with every service start denied"
    # Debian starts a packaged daemon on install, and dockerd's defaults would rewrite the
    # machine's bridges and iptables rules: policy-rc.d exit 101 forbids it.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        made_policy=1
    fi
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends "${need[@]}"; } >"$WORK/apt.log" 2>&1 || status=$?
    [[ -z $made_policy ]] || rm -f /usr/sbin/policy-rc.d
    ((status == 0)) || { tail "$WORK/apt.log"; fail "apt-get install ${need[*]} failed"; }
}

[[ $(id -u) == 0 ]] || fail "run as root (dockerd and debootstrap need it)"
[[ ${1:-} != --install ]] || install_deps
for tool in dockerd docker debootstrap "$PYTHON"; do
    command -v "$tool" >/dev/null || fail "$tool not found (apt-get install docker.io debootstrap)"
done

say "dockerd with networking off, in $WORK"
# Never the defaults: those would rewrite the machine's bridges and iptables rules.
dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
    --data-root "$WORK/data" --exec-root "$WORK/exec" --pidfile "$WORK/docker.pid" \
    -H "$SOCK" >"$WORK/dockerd.log" 2>&1 &
for _ in $(seq 100); do docker_ version >/dev/null 2>&1 && break; sleep 0.2; done
docker_ version >/dev/null 2>&1 || { tail "$WORK/dockerd.log"; fail "dockerd did not start"; }

if [[ ! -f $CACHE/rootfs.tar ]]; then
    say "base image: debootstrap bookworm from $MIRROR (cached in $CACHE)"
    mkdir -p "$CACHE"
    rm -rf "$CACHE/rootfs.tmp"
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
        bookworm "$CACHE/rootfs.tmp" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
        || { tail "$CACHE/debootstrap.log"; fail "debootstrap failed"; }
    rm -rf "$CACHE/rootfs.tmp/var/cache/apt/archives/"*.deb "$CACHE/rootfs.tmp/var/lib/apt/lists/"*
    tar -C "$CACHE/rootfs.tmp" -cf "$CACHE/rootfs.tar.partial" .
    mv "$CACHE/rootfs.tar.partial" "$CACHE/rootfs.tar"
    rm -rf "$CACHE/rootfs.tmp"
fi
docker_ import - "$BASE" <"$CACHE/rootfs.tar" >/dev/null
base_python=$(docker_ run --rm --network none "$BASE" python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
host_python=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[[ $base_python == "$host_python" ]] || fail "host $PYTHON is $host_python; the base has $base_python"
say "base image $BASE: Python $base_python"

say "build context: the work tree (tracked and new files) plus wheels built on the host"
mkdir -p "$WORK/context"
git -C "$REPO" ls-files -z --cached --others --exclude-standard \
    | (cd "$REPO" && xargs -0 tar -cf - --ignore-failed-read 2>/dev/null) | tar -C "$WORK/context" -xf -
pip_() { "$PYTHON" -m pip "$@" --quiet --disable-pip-version-check >>"$WORK/pip.log" 2>&1 \
    || { tail -20 "$WORK/pip.log"; fail "pip $1 failed"; }; }
pip_ wheel --wheel-dir "$WORK/context/wheels" "$REPO"
# The image builds the project itself, so its build backend must be there too.
pip_ download --dest "$WORK/context/wheels" "setuptools>=77"
say "$(find "$WORK/context/wheels" -name '*.whl' | wc -l) wheels"

say "docker build --network none"
# The legacy builder: this dockerd is Debian's 20.10, and no buildx plugin is assumed.
DOCKER_BUILDKIT=0 docker_ build --network none --build-arg "BASE_IMAGE=$BASE" \
    --build-arg PIP_NO_INDEX=1 -t "$IMAGE" "$WORK/context" >"$WORK/build.log" 2>&1 \
    || { tail -30 "$WORK/build.log"; fail "docker build failed"; }
size=$(docker_ image inspect -f '{{.Size}}' "$IMAGE")
base_size=$(docker_ image inspect -f '{{.Size}}' "$BASE")
say "image $IMAGE: $((size / 1000000)) MB ($((base_size / 1000000)) MB of it the base image)"

say "the container starts: --version, and who it runs as"
docker_ run --rm --network none "$IMAGE" --version
[[ $(docker_ run --rm --network none --entrypoint id "$IMAGE" -u) == 10001 ]] || fail "not uid 10001"

say "division-bell demo (read-only root, as compose runs it)"
demo=$(docker_ run --rm --network none --read-only --tmpfs /tmp "$IMAGE" demo 2>&1)
grep -q "Demo done" <<<"$demo" || { echo "$demo"; fail "demo did not finish"; }
printf '    %s alerts printed; %s\n' "$(grep -c '^  Why:' <<<"$demo" || true)" "$(tail -1 <<<"$demo" | cut -c1-60)…"

say "config: built-in defaults without a file, /config/division-bell.toml when mounted"
shown=$(docker_ run --rm --network none "$IMAGE" check-config)
grep -q '^# config: none (built-in defaults)' <<<"$shown" || fail "defaults not used"
grep -q '^listen = "0.0.0.0:8080"' <<<"$shown" || fail "listen is not 0.0.0.0:8080"
mkdir -p "$WORK/config"
printf '[polling]\ninterval = 60\njitter = 0\n' >"$WORK/config/division-bell.toml"
shown=$(docker_ run --rm --network none -v "$WORK/config:/config:ro" "$IMAGE" check-config)
grep -q '^# config: /config/division-bell.toml' <<<"$shown" || fail "mounted config not read"
grep -q '^interval = 60' <<<"$shown" || fail "mounted config's values not used"

say "division-bell run (that config: first polls at once): waiting for the healthcheck"
docker_ run -d --name smoke-run --network none --read-only --tmpfs /tmp \
    -v smoke-data:/data -v "$WORK/config:/config:ro" --health-interval 2s "$IMAGE" >/dev/null
for _ in $(seq 60); do
    health=$(docker_ inspect -f '{{.State.Health.Status}}' smoke-run)
    [[ $health == healthy ]] && break
    [[ $(docker_ inspect -f '{{.State.Running}}' smoke-run) == true ]] || break
    sleep 1
done
[[ $health == healthy ]] || { docker_ logs smoke-run; fail "not healthy ($health)"; }
get() { docker_ exec smoke-run /opt/venv/bin/python -c \
    "import urllib.request as r; print(r.urlopen('http://127.0.0.1:8080$1').read().decode())"; }
for _ in $(seq 30); do get /healthz | grep -q '"polling": "ok"' && break; sleep 1; done
say "healthy: $(get /healthz)"
get /metrics | grep -E '^division_bell_(polls_total|outbox_depth|event_loop_lag_seconds_count)' \
    | sed 's/^/    /'
say "backup while running, through docker exec, as the README says (twice: one file each)"
for _ in 1 2; do
    docker_ exec smoke-run division-bell backup /data/backups/ --keep 14 | sed 's/^/    /'
done
backup=$(docker_ exec smoke-run sh -c 'ls -t /data/backups/division-bell-*.sqlite3 | head -1')
[[ $(docker_ exec smoke-run sh -c 'ls /data/backups | wc -l') == 2 ]] || fail "expected 2 backups"

say "SIGTERM (docker stop -t 10: SIGKILL after 10 s would exit 137)"
t0=$(date +%s.%N)
docker_ stop -t 10 smoke-run >/dev/null
t1=$(date +%s.%N)
code=$(docker_ inspect -f '{{.State.ExitCode}}' smoke-run)
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
docker_ logs smoke-run 2>&1 | tail -3 | sed 's/^/    /'
[[ $code == 0 ]] || fail "exit code $code after ${elapsed}s"
say "stopped cleanly in ${elapsed}s, exit code 0"

say "restore the backup as the README says, then the database opens again"
docker_ run --rm --network none -v smoke-data:/data --entrypoint sh "$IMAGE" -c \
    "cp $backup /data/division-bell.sqlite3 && rm -f /data/division-bell.sqlite3-wal /data/division-bell.sqlite3-shm"
docker_ run --rm --network none -v smoke-data:/data "$IMAGE" subscriptions export \
    | grep -q '"format": "division-bell-subscriptions"' || fail "restored database unreadable"
say "PASS"
