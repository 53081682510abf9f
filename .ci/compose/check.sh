#!/usr/bin/env bash
# Checks the compose cluster that .ci/compose/run.sh started, from the host, through the published
# ports only, as a user's RS script would: 3 nodes active, a fleet push of RediSearch completes on
# every agent, and each agent answers the RS workflow on its own port.
#   usage: check.sh <admin email:password> <modfleet pack output dir>
set -euo pipefail

# The services serve HTTPS, as RS does on 9443; curl
# runs with -k, as RS scripts do against RS's self-signed certificates.
SCHEME=https
COORDINATOR="$SCHEME://127.0.0.1:9443"
AGENT_PORTS=(9444 9445 9446) # agent-N publishes its 9444 on 127.0.0.1:(9443+N)
DEADLINE_SECONDS=${MODFLEET_CI_CHECK_DEADLINE:-300}

ADMIN=$1
WORK=$2
LOCAL_ARTIFACTS=/v2/local/modules/user-defined/artifacts

fail() {
  echo "ci: compose check FAILED: $*" >&2
  exit 1
}
api() { curl -sS -k --max-time 60 -u "$ADMIN" "$@"; }

# poll <what> <command...>: runs the command every 2 s until it succeeds or the deadline passes.
poll() {
  local what=$1 started=$SECONDS
  shift
  until "$@"; do
    ((SECONDS - started < DEADLINE_SECONDS)) || fail "$what: not within ${DEADLINE_SECONDS}s"
    sleep 2
  done
}

three_nodes_active() {
  local nodes
  nodes=$(api "$COORDINATOR/v1/nodes" 2>/dev/null) || return 1
  jq -e 'length == 3 and all(.[]; .status == "active") and ([.[].uid] | sort == [1, 2, 3])' <<<"$nodes" >/dev/null
}

echo "ci: waiting for 3 active nodes at $COORDINATOR/v1/nodes"
poll '3 active nodes' three_nodes_active
api "$COORDINATOR/v1/nodes" | jq -c '.[] | {uid, addr, status}'

# ---- a fleet push of RediSearch (Debian's redis-redisearch, packed on the host) ----
packed=$(npx modfleet pack /usr/lib/redis/modules/redisearch.so --out "$WORK/redisearch.zip" -o json)
module_name=$(jq -r .manifest.module_name <<<"$packed")
module_version=$(jq -r .manifest.version <<<"$packed")
zip_sha256=$(sha256sum "$WORK/redisearch.zip" | cut -d' ' -f1)
echo "ci: pushing $module_name $module_version ($zip_sha256) to the fleet"
pushed=$(api -w '\n%{http_code}' -F "module=@$WORK/redisearch.zip" "$COORDINATOR/v2/modules/user-defined/artifacts")
[ "$(tail -n1 <<<"$pushed")" = 202 ] || fail "fleet push answered: $pushed"
action_uid=$(head -n1 <<<"$pushed" | jq -r .action_uid)

action_finished() {
  local status
  action=$(api "$COORDINATOR/v2/actions/$action_uid") || return 1
  status=$(jq -r .status <<<"$action")
  [ "$status" = failed ] && fail "action $action_uid failed: $action"
  [ "$status" = completed ]
}
poll "action $action_uid" action_finished
jq -e '.additional_info.pending_ops | (keys | sort == ["1", "2", "3"]) and all(.[]; .status == "completed")' \
  <<<"$action" >/dev/null || fail "action completed without every node: $action"
echo "ci: action $action_uid completed on nodes 1, 2, 3"

for port in "${AGENT_PORTS[@]}"; do
  agent="$SCHEME://127.0.0.1:$port"
  inventory=$(api "$agent$LOCAL_ARTIFACTS/inventory?deep=true")
  jq -e --arg name "$module_name" --argjson version "$module_version" --arg sha "$zip_sha256" \
    'any(.artifacts[]; .module_name == $name and .version == $version and .sha256 == $sha and .disk.status == "ok")' \
    <<<"$inventory" >/dev/null || fail "$agent does not hold the pushed bytes: $inventory"
  echo "ci: $agent holds $module_name $module_version, sha256 verified on disk"
done

# ---- the RS workflow on each agent's own published port (README, "The RS workflow") ----
head -c 4096 /dev/urandom >"$WORK/mymodule.so"
npx modfleet pack "$WORK/mymodule.so" --no-discover --name TestModule --version 1 --capabilities types \
  --out "$WORK/custom-module.zip" >/dev/null
cat >"$WORK/module.json" <<'JSON'
{"module_name": "TestModule", "version": 1, "semantic_version": "0.0.1", "display_name": "test module",
 "commands": [{"command_name": "test.cmd", "command_arity": -1, "first_key": 1, "last_key": 1, "step": 1, "flags": ["write"]}],
 "command_line_args": "", "capabilities": ["types"], "min_redis_version": "7.0"}
JSON
uid=$(api -H 'Content-Type: application/json' "$COORDINATOR/v2/modules/user-defined" -d "@$WORK/module.json" | jq -r .uid)
[ -n "$uid" ] && [ "$uid" != null ] || fail "creating the CCS module object gave no uid"
api "$COORDINATOR/v1/modules/$uid" | jq -e '.module_name == "TestModule"' >/dev/null || fail "GET /v1/modules/$uid"

has_test_module='any(.[]; .module_name == "TestModule" and .version == 1)'
for port in "${AGENT_PORTS[@]}"; do
  agent="$SCHEME://127.0.0.1:$port"
  api -F "module=@$WORK/custom-module.zip" "$agent$LOCAL_ARTIFACTS" | jq -e '.module_name == "TestModule"' >/dev/null ||
    fail "upload to $agent"
  api "$agent$LOCAL_ARTIFACTS" | jq -e "$has_test_module" >/dev/null || fail "$agent does not list TestModule 1"
done
api -X DELETE "$COORDINATOR/v2/modules/user-defined/$uid" -o /dev/null -w '%{http_code}' | grep -q '^2' ||
  fail "DELETE /v2/modules/user-defined/$uid"
for port in "${AGENT_PORTS[@]}"; do
  agent="$SCHEME://127.0.0.1:$port"
  api -X DELETE "$agent$LOCAL_ARTIFACTS/TestModule/1" -o /dev/null -w '%{http_code}' | grep -q '^2' ||
    fail "DELETE on $agent"
  api "$agent$LOCAL_ARTIFACTS" | jq -e "($has_test_module | not) and any(.[]; .module_name == \"$module_name\")" \
    >/dev/null || fail "$agent after the delete: TestModule still listed, or $module_name gone"
  echo "ci: $agent: RS upload, list and delete answered as RS does"
done
echo "ci: compose cluster checks passed"
