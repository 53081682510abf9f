#!/usr/bin/env bash
# The compose cluster, run for real (called by .ci/run): starts a private Docker engine, puts
# stand-ins for the public base images under their tags, builds the project's Dockerfile, runs
# `docker-compose up` on docker-compose.yml unchanged and checks the cluster through its published
# ports (.ci/compose/check.sh); then switches the `ha` profile on for that cluster and SIGKILLs its
# Redis master (.ci/compose/ha-check.sh). Bounded in time; whatever happens, removes its
# containers, volumes and networks and stops the engine (which keeps only images, in the cache).
# Skipped, with a message saying why, only where no Docker engine can be started (not root, the
# packages cannot be installed, dockerd does not come up).
#
#   MODFLEET_CI_CACHE            cache outside the repository: rootfs tarball, the engine's images
#                                (default /var/cache/modfleet-ci; delete it for a cold run)
#   MODFLEET_CI_COMPOSE_TIMEOUT  bound in seconds for building and checking (default 900)
#   MODFLEET_CI_STORAGE_DRIVER   overlay2 or vfs (default: overlay2 where an overlay mount works)
#   MODFLEET_CI_DEBIAN_MIRROR    Debian mirror for the stand-ins' rootfs (default: the one this
#                                machine's apt uses, read from /etc/apt by .ci/apt-mirror.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE=${MODFLEET_CI_CACHE:-/var/cache/modfleet-ci}
BOUND=${MODFLEET_CI_COMPOSE_TIMEOUT:-900}
PROJECT=modfleet-ci

skip() {
  echo "ci: compose e2e SKIPPED: no Docker engine can be started here: $*"
  exit 0
}

[ "$(id -u)" = 0 ] || skip "dockerd needs root (this runs as $(id -un))"
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v ip >/dev/null 2>&1 || missing+=(iproute2) # brings up loopback in the engine's namespace
for tool in curl jq openssl; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ci: installing ${missing[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null ||
    skip "apt-get could not install ${missing[*]}"
fi

mkdir -p "$CACHE"
# One compose run at a time on this machine: they would share the engine's data root in the cache.
exec 9>"$CACHE/lock"
flock -w 900 9 || { echo "ci: another compose run held $CACHE/lock for 15 minutes" >&2; exit 1; }

# shellcheck source=engine.sh
. .ci/compose/engine.sh

WORK=$(mktemp -d /tmp/modfleet-ci-compose.XXXXXX)
# The CLI shipped with the engine started below: another docker earlier on PATH may be a newer
# client that nags about the legacy builder this uses.
engine_cli=$(dpkg -L docker.io 2>/dev/null | grep -m1 '/bin/docker$' || true)
if [ -n "$engine_cli" ]; then
  mkdir "$WORK/bin" && ln -s "$engine_cli" "$WORK/bin/docker" && PATH="$WORK/bin:$PATH"
fi
# --profile ha: the ha services too (cluster.sh starts them after the default checks).
COMPOSE=(docker-compose -p "$PROJECT" --env-file "$WORK/ci.env" --profile ha -f docker-compose.yml)
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$ENGINE_DIR" ] && docker version >/dev/null 2>&1; then
    if [ "$status" != 0 ]; then
      "${COMPOSE[@]}" ps || true
      "${COMPOSE[@]}" logs --no-color --tail=60 || true
    fi
    "${COMPOSE[@]}" down --volumes --remove-orphans --timeout 10 >/dev/null 2>&1 || true
    # Whatever an interrupted run left, and the image each new build replaced; the tagged images
    # (stand-ins, build stage, modfleet:local) stay cached in the engine's data root.
    for kind in container volume network image; do docker "$kind" prune -f >/dev/null 2>&1 || true; done
  fi
  engine_stop
  rm -rf "$WORK"
  echo "ci: compose e2e: containers, volumes and networks removed, engine stopped"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

started=$SECONDS
engine_start || skip "dockerd did not start (see above)"
echo "ci: private Docker engine ($ENGINE_DRIVER) up at $DOCKER_HOST ($((SECONDS - started)) s)"

# .env.example's values, with a fresh password and secret; the caller's own MODFLEET_* are left out.
sed -e "s/^MODFLEET_ADMIN_PASSWORD=.*/MODFLEET_ADMIN_PASSWORD=$(openssl rand -hex 12)/" \
  -e "s/^MODFLEET_CLUSTER_SECRET=.*/MODFLEET_CLUSTER_SECRET=$(openssl rand -hex 32)/" .env.example >"$WORK/ci.env"
for name in $(sed -n 's/^\([A-Z_][A-Z0-9_]*\)=.*/\1/p' .env.example); do unset "$name"; done
# The same with the HA lines set to the values .env.example's comments give for the ha profile.
ha_lines=$(sed -n 's/^# \(REDIS_SENTINELS\|REDIS_SENTINEL_MASTER\|MODFLEET_COORDINATOR_URL\)=/\1=/p' .env.example)
[ "$(wc -l <<<"$ha_lines")" = 3 ] || { echo "ci: .env.example does not give the three HA values" >&2; exit 1; }
{ grep -Ev '^(REDIS_SENTINELS|REDIS_SENTINEL_MASTER|MODFLEET_COORDINATOR_URL)=' "$WORK/ci.env"; echo "$ha_lines"; } >"$WORK/ha.env"

export CACHE WORK PROJECT
deadline=$((started + BOUND))
bounded() {
  local left=$((deadline - SECONDS)) status=0
  ((left > 0)) || left=1
  timeout --kill-after=15 "$left" "$@" || status=$?
  [ "$status" != 124 ] || echo "ci: compose e2e took longer than its bound of $BOUND s" >&2
  return "$status"
}
bounded .ci/compose/cluster.sh build
# The cluster itself runs with the engine in a network namespace of its own: the host ports that
# docker-compose.yml publishes (127.0.0.1:9443-9446) may be taken on a shared machine.
engine_isolate
bounded nsenter --net="/proc/$ENGINE_PID/ns/net" .ci/compose/cluster.sh up
echo "ci: compose e2e passed in $((SECONDS - started)) s"
