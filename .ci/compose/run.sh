#!/usr/bin/env bash
# The compose cluster, run for real (called by .ci/run): starts a private Docker engine, puts
# stand-ins for the public base images under their tags, builds the project's Dockerfile, runs
# `docker-compose up` on docker-compose.yml unchanged and checks the cluster through its published
# ports (.ci/compose/check.sh). Bounded in time; whatever happens, removes its containers, volumes
# and networks and stops the engine (which keeps only images, in the cache). Skipped, with a message saying why, only where no Docker
# engine can be started (not root, the packages cannot be installed, dockerd does not come up).
#
#   MODFLEET_CI_CACHE            cache outside the repository: rootfs tarball, the engine's images
#                                (default /var/cache/modfleet-ci; delete it for a cold run)
#   MODFLEET_CI_COMPOSE_TIMEOUT  bound in seconds for building and checking (default 900)
#   MODFLEET_CI_STORAGE_DRIVER   overlay2 or vfs (default: overlay2 where an overlay mount works)
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE=${MODFLEET_CI_CACHE:-/var/cache/modfleet-ci}
BOUND=${MODFLEET_CI_COMPOSE_TIMEOUT:-900}
PROJECT=modfleet-ci
PUBLISHED_PORTS=(9443 9444 9445 9446) # docker-compose.yml publishes these on 127.0.0.1

skip() {
  echo "ci: compose e2e SKIPPED: no Docker engine can be started here: $*"
  exit 0
}

[ "$(id -u)" = 0 ] || skip "dockerd needs root (this runs as $(id -un))"
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  echo "ci: installing ${missing[*]}"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null ||
    skip "apt-get could not install ${missing[*]}"
fi

mkdir -p "$CACHE"
# One compose run at a time on this machine: the published ports and the cache are shared.
exec 9>"$CACHE/lock"
flock -w 900 9 || { echo "ci: another compose run held $CACHE/lock for 15 minutes" >&2; exit 1; }

for port in "${PUBLISHED_PORTS[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "ci: compose e2e cannot run: 127.0.0.1:$port, which docker-compose.yml publishes, is in use" >&2
    exit 1
  fi
done

# The CLI shipped with the engine started below (another docker on PATH may be a newer client that
# nags about the legacy builder this uses).
PATH="$(dirname "$(command -v dockerd)"):$PATH"
# shellcheck source=engine.sh
. .ci/compose/engine.sh

WORK=$(mktemp -d /tmp/modfleet-ci-compose.XXXXXX)
COMPOSE=(docker-compose -p "$PROJECT" --env-file "$WORK/ci.env" -f docker-compose.yml)
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

export CACHE WORK PROJECT
timeout --kill-after=15 "$BOUND" .ci/compose/cluster.sh || {
  status=$?
  [ "$status" = 124 ] && echo "ci: compose e2e took longer than its bound of $BOUND s" >&2
  exit "$status"
}
echo "ci: compose e2e passed in $((SECONDS - started)) s"
