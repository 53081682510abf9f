#!/usr/bin/env bash
# Checks the `ha` profile that .ci/compose/cluster.sh started, as its user would: both coordinators
# answer, the Sentinels agree on the master and see its replica; then the master is SIGKILLed
# (`docker kill`) right after a push is accepted, and within MODFLEET_CI_FAILOVER_BOUND seconds (30)
# the Sentinels promote the replica and both coordinators and every agent answer /healthz 200
# again on the promoted replica, none of them restarted; the push accepted before the kill and
# one made after it complete on every agent. HTTP through the published ports; Redis and the
# Sentinels (not published) through `docker exec`.
#   usage: ha-check.sh <admin email:password> <work dir> <compose env file>   (PROJECT: compose project)
set -euo pipefail

ADMIN=$1
WORK=$2
ENV_FILE=$3
: "${PROJECT:?}"
# shellcheck source=fleet.sh
. "$(dirname "$0")/fleet.sh"

BOUND_SECONDS=${MODFLEET_CI_FAILOVER_BOUND:-30}
COORDINATOR_2="$SCHEME://127.0.0.1:9543"
MASTER_NAME=$(sed -n 's/^REDIS_SENTINEL_MASTER=//p' "$ENV_FILE")
[ -n "$MASTER_NAME" ] || fail "$ENV_FILE sets no REDIS_SENTINEL_MASTER"
SENTINELS=(sentinel-1 sentinel-2 sentinel-3)
# Each modfleet service and the port it publishes its /healthz on.
declare -A HEALTHZ_PORT=([coordinator]=9443 [coordinator-2]=9543 [agent-1]=9444 [agent-2]=9445 [agent-3]=9446)
SERVICES=(coordinator coordinator-2 agent-1 agent-2 agent-3)

declare -A ID
while read -r service id; do ID[$service]=$id; done < <(
  docker ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Label "com.docker.compose.service"}} {{.ID}}'
)
for service in redis redis-replica "${SENTINELS[@]}" "${SERVICES[@]}"; do
  [ -n "${ID[$service]:-}" ] || fail "no running container for $service"
done

now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }
seconds_since() { local ms=$(($(now_ms) - $1)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
redis_cli() { docker exec "${ID[$1]}" redis-cli "${@:2}"; }
sentinel() { redis_cli "$1" -p 26379 "${@:2}"; }
# field <name>: the value after the line <name> in redis-cli's flattened key/value answer on stdin.
field() { awk -v name="$1" 'previous == name { print; exit } { previous = $0 }'; }
master_named_by() { sentinel "$1" sentinel get-master-addr-by-name "$MASTER_NAME" | paste -sd: -; }
address_of() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "${ID[$1]}" | cut -d' ' -f1; }
MASTER_IP=$(address_of redis)
REPLICA_IP=$(address_of redis-replica)

# ---- before the failover: both coordinators, Sentinels agreeing on a master and its replica ----
for coordinator in "$COORDINATOR" "$COORDINATOR_2"; do
  poll "3 active nodes at $coordinator" three_nodes_active "$coordinator"
  echo "ci: $coordinator: 3 active nodes"
done

sentinels_ready() {
  local sentinel replicas
  redis_cli redis-replica info replication | tr -d '\r' | grep -qx 'master_link_status:up' || return 1
  for sentinel in "${SENTINELS[@]}"; do
    [ "$(master_named_by "$sentinel")" = "$MASTER_IP:6379" ] || return 1
    replicas=$(sentinel "$sentinel" sentinel replicas "$MASTER_NAME") || return 1
    [ "$(field ip <<<"$replicas")" = "$REPLICA_IP" ] && [ "$(field flags <<<"$replicas")" = slave ] || return 1
    # Quorum and failover authorization: every Sentinel must know the two others.
    [[ "$(sentinel "$sentinel" sentinel ckquorum "$MASTER_NAME")" == "OK 3 usable"* ]] || return 1
    # Not in TILT mode (entered after a stall of the machine, 30 s without acting): it would
    # delay the failover by up to 30 s.
    sentinel "$sentinel" info sentinel | tr -d '\r' | grep -qx 'sentinel_tilt:0' || return 1
  done
}
poll 'Sentinels agreeing on redis and its replica' sentinels_ready
echo "ci: sentinel-1..3 name redis ($MASTER_IP:6379) the master of $MASTER_NAME, see redis-replica" \
  "($REPLICA_IP, link up), know each other and are not in TILT mode"

restarts() { docker inspect -f '{{.RestartCount}} {{.State.StartedAt}}' "${ID[$1]}"; }
declare -A RESTARTS_BEFORE
for service in "${SERVICES[@]}"; do RESTARTS_BEFORE[$service]=$(restarts "$service"); done
echo "ci: restart counts before the kill: $(for s in "${SERVICES[@]}"; do printf '%s=%s ' "$s" "${RESTARTS_BEFORE[$s]%% *}"; done)"

pack_random HaBeforeKill "$WORK/ha-before.zip"
pack_random HaAfterFailover "$WORK/ha-after.zip"

# ---- a push accepted, then the master SIGKILLed ----
# Its 202 means the action record and its jobs reached the replica (WAIT), so it must complete
# after the failover, whatever the agents had done by the time the master died.
before_uid=$(push "$COORDINATOR" "$WORK/ha-before.zip")
docker kill "${ID[redis]}" >/dev/null
killed_at=$(now_ms)
echo "ci: push $before_uid accepted by $COORDINATOR; redis (the master) SIGKILLed right after its 202"

# ---- within the bound: the replica promoted, every service healthy again on it ----
declare -A SERVICE_ON_PORT
for service in "${SERVICES[@]}"; do SERVICE_ON_PORT[${HEALTHZ_PORT[$service]}]=$service; done
healthz_codes() { # "<service> <HTTP status, 000 for no answer within 3 s>" for every service, asked at once
  local args=() service
  for service in "${SERVICES[@]}"; do args+=(-o /dev/null "$SCHEME://127.0.0.1:${HEALTHZ_PORT[$service]}/healthz"); done
  { curl -sk --parallel --max-time 3 -w '%{url_effective} %{http_code}\n' "${args[@]}" 2>/dev/null || true; } |
    while read -r url code; do
      port=${url#*127.0.0.1:}
      echo "${SERVICE_ON_PORT[${port%%/*}]} $code"
    done
}
promoted='' named=()
declare -A HEALTHY_AFTER=() OUTAGE_CODES=()
while :; do
  if [ -z "$promoted" ]; then
    named=()
    for sentinel in "${SENTINELS[@]}"; do named+=("$(master_named_by "$sentinel" 2>/dev/null || true)"); done
    if [ "${named[*]}" = "$REPLICA_IP:6379 $REPLICA_IP:6379 $REPLICA_IP:6379" ]; then
      promoted=$(seconds_since "$killed_at")
      echo "ci: the Sentinels promoted redis-replica ($REPLICA_IP) ${promoted} s after the kill"
    fi
  fi
  codes=$(healthz_codes)
  while read -r service code; do
    if [ -z "$promoted" ]; then
      # What a user sees while no master is known (informative: 503 expected, 000 would be a hang).
      [[ " ${OUTAGE_CODES[$service]:-} " == *" $code "* ]] || OUTAGE_CODES[$service]+=" $code"
    elif [ "$code" = 200 ] && [ -z "${HEALTHY_AFTER[$service]:-}" ]; then
      HEALTHY_AFTER[$service]=$(seconds_since "$killed_at")
    fi
  done <<<"$codes"
  [ ${#HEALTHY_AFTER[@]} = ${#SERVICES[@]} ] && break
  if (($(now_ms) - killed_at > BOUND_SECONDS * 1000)); then
    [ -n "$promoted" ] || fail "the Sentinels did not promote redis-replica within ${BOUND_SECONDS} s of the kill (they name: ${named[*]})"
    fail "not all answering /healthz 200 within ${BOUND_SECONDS} s of the kill: $(paste -sd, - <<<"$codes")"
  fi
  sleep 0.5
done
for service in "${SERVICES[@]}"; do
  echo "ci: $service answers /healthz 200 again ${HEALTHY_AFTER[$service]} s after the kill" \
    "(before the promotion it answered:${OUTAGE_CODES[$service]:- nothing asked})"
done

for service in "${SERVICES[@]}"; do
  [ "$(restarts "$service")" = "${RESTARTS_BEFORE[$service]}" ] ||
    fail "$service was restarted: restart count and start time $(restarts "$service"), before the kill ${RESTARTS_BEFORE[$service]}"
done
echo "ci: none of them restarted (restart counts and start times unchanged)"

# Every service holds connections to the promoted replica (CLIENT LIST shows each container's address).
clients=$(redis_cli redis-replica client list)
for service in "${SERVICES[@]}"; do
  address=$(address_of "$service")
  grep -q " addr=$address:" <<<"$clients" || fail "$service ($address) has no connection to redis-replica"
done
replication=$(redis_cli redis-replica info replication | tr -d '\r')
grep -qx 'role:master' <<<"$replication" || fail "redis-replica is not a master: $replication"
echo "ci: redis-replica is the master, and every coordinator and agent is connected to it"

# ---- no push lost: the one accepted before the kill, and one made after the failover ----
poll "action $before_uid (accepted before the kill)" action_done_on_every_node "$COORDINATOR_2" "$before_uid"
echo "ci: action $before_uid, accepted before the kill, completed on nodes 1, 2, 3"
every_agent_holds HaBeforeKill 1 "$(sha256sum "$WORK/ha-before.zip" | cut -d' ' -f1)"

after_uid=$(push "$COORDINATOR_2" "$WORK/ha-after.zip")
echo "ci: push $after_uid accepted by $COORDINATOR_2 $(seconds_since "$killed_at") s after the kill"
poll "action $after_uid (after the failover)" action_done_on_every_node "$COORDINATOR" "$after_uid"
echo "ci: action $after_uid completed on nodes 1, 2, 3 $(seconds_since "$killed_at") s after the kill"
every_agent_holds HaAfterFailover 1 "$(sha256sum "$WORK/ha-after.zip" | cut -d' ' -f1)"
echo "ci: ha profile checks passed"
