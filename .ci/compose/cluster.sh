#!/usr/bin/env bash
# The bounded parts of .ci/compose/run.sh, against the engine at $DOCKER_HOST:
#   cluster.sh build   stand-in base images and the project's image (needs the host's network)
#   cluster.sh up      `docker-compose up` and the checks (run inside the engine's own network namespace)
set -euo pipefail
step=${1:?build or up}
: "${CACHE:?}" "${WORK:?}" "${PROJECT:?}" "${DOCKER_HOST:?}"
CA_BUNDLE=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
DEBIAN_MIRROR=${MODFLEET_CI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The legacy builder: BuildKit would fetch the `# syntax=` frontend image, which cannot be pulled here.
export DOCKER_BUILDKIT=0

phase_started=$SECONDS
phase() {
  echo "ci: $1 ($((SECONDS - phase_started)) s)"
  phase_started=$SECONDS
}

image=$(sed -n 's/^ *image: *\(modfleet:[^ ]*\)$/\1/p' docker-compose.yml | head -n1)

if [ "$step" = build ]; then
# shellcheck source=standins.sh
. .ci/compose/standins.sh
ensure_standins
phase "stand-in base images ready"

# Built here rather than by `up --build`: the build's `npm ci` needs the host's network, which
# compose v1 cannot ask for without a change to docker-compose.yml (--iptables=false: no NAT).
# The build stage gets a tag too, so that its layers (the full `npm ci`) stay in the engine's cache
# for the next run instead of being pruned as dangling; Docker's layer cache decides what reruns.
docker build -q --network host --target build -t modfleet-ci/build-stage:latest . >/dev/null
docker build -q --network host -t "$image" . >/dev/null
phase "built $image from the Dockerfile"
exit 0
fi

docker image inspect "$image" >/dev/null

compose=(docker-compose -p "$PROJECT" --env-file "$WORK/ci.env" -f docker-compose.yml)
"${compose[@]}" up -d --no-build 2>&1 | sed 's/^/  /'
healthy() {
  local ids
  ids=$("${compose[@]}" ps -q)
  [ "$(wc -w <<<"$ids")" = 5 ] || return 1
  # shellcheck disable=SC2086 # one argument per container id
  ! docker inspect -f '{{.State.Health.Status}}' $ids | grep -qv '^healthy$'
}
for _ in $(seq 1 150); do healthy && break; sleep 2; done
healthy || { echo "ci: compose services not all healthy in 300 s" >&2; exit 1; }
phase "docker-compose up: redis, coordinator, agent-1..3 healthy"

admin="$(sed -n 's/^MODFLEET_ADMIN_EMAIL=//p' "$WORK/ci.env"):$(sed -n 's/^MODFLEET_ADMIN_PASSWORD=//p' "$WORK/ci.env")"
.ci/compose/check.sh "$admin" "$WORK"
phase "checks"
