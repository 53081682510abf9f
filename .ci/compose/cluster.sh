#!/usr/bin/env bash
# The bounded parts of .ci/compose/run.sh, against the engine at $DOCKER_HOST:
#   cluster.sh build   stand-in base images and the project's image (needs the host's network)
#   cluster.sh up      `docker-compose up` and the checks, then the `ha` profile and its failover checks
#                      (run inside the engine's own network namespace)
set -euo pipefail
step=${1:?build or up}
: "${CACHE:?}" "${WORK:?}" "${PROJECT:?}" "${DOCKER_HOST:?}"
CA_BUNDLE=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
# The legacy builder: BuildKit would fetch the `# syntax=` frontend image, which cannot be pulled here.
export DOCKER_BUILDKIT=0

phase_started=$SECONDS
phase() {
  echo "ci: $1 ($((SECONDS - phase_started)) s, done at $(date -u +%T))"
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

timestamped() { while IFS= read -r line; do echo "  $(date -u +%T) $line"; done; }

# wait_healthy <what> <count> <compose command...>: until that many containers are all healthy;
# then prints when each first was, in seconds since the phase began (where CI time goes).
wait_healthy() {
  local what=$1 count=$2 ids name status unhealthy
  declare -A first_healthy=()
  shift 2
  for _ in $(seq 1 150); do
    ids=$("$@" ps -q)
    if [ "$(wc -w <<<"$ids")" = "$count" ]; then
      unhealthy=0
      # shellcheck disable=SC2086 # one argument per container id
      while read -r name status; do
        if [ "$status" = healthy ]; then
          [ -n "${first_healthy[$name]:-}" ] || first_healthy[$name]=$((SECONDS - phase_started))
        else
          unhealthy=$((unhealthy + 1))
        fi
      done < <(docker inspect -f '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Health.Status}}' $ids)
      if [ "$unhealthy" = 0 ]; then
        echo "ci: $what: first healthy at (s)" \
          "$(for name in "${!first_healthy[@]}"; do echo "$name=${first_healthy[$name]}"; done | sort -t= -k2n | paste -sd' ' -)"
        return 0
      fi
    fi
    sleep 2
  done
  echo "ci: $what: not all healthy in 300 s" >&2
  return 1
}

compose=(docker-compose -p "$PROJECT" --env-file "$WORK/ci.env" -f docker-compose.yml)
"${compose[@]}" up -d --no-build 2>&1 | timestamped
wait_healthy 'compose services' 5 "${compose[@]}"
phase "docker-compose up: redis, coordinator, agent-1..3 healthy"

admin="$(sed -n 's/^MODFLEET_ADMIN_EMAIL=//p' "$WORK/ci.env"):$(sed -n 's/^MODFLEET_ADMIN_PASSWORD=//p' "$WORK/ci.env")"
.ci/compose/check.sh "$admin" "$WORK"
phase "checks"
.ci/compose/db-check.sh "$admin" "$WORK"
phase "database checks (RediSearch, FT.SEARCH from the redis container)"

# ---- the ha profile, as docs/docker.md tells a user to switch it on: the HA lines set in .env, then
# `--profile ha up -d` on the running cluster (same images, same volumes). Compose recreates the
# coordinator and the agents (their environment changed) and adds the replica, the Sentinels and
# coordinator-2; redis keeps running.
ha=(docker-compose -p "$PROJECT" --env-file "$WORK/ha.env" --profile ha -f docker-compose.yml)
"${ha[@]}" up -d --no-build 2>&1 | timestamped
wait_healthy 'ha profile' 10 "${ha[@]}"
phase "docker-compose --profile ha up: redis-replica, sentinel-1..3, coordinator-2 added, all healthy"

.ci/compose/ha-check.sh "$admin" "$WORK" "$WORK/ha.env"
phase "ha checks (failover)"
