#!/usr/bin/env bash
# Checks the compose cluster that .ci/compose/run.sh started, from the host, through the published
# ports only, as a user's RS script would: 3 nodes active, a fleet push of RediSearch completes on
# every agent, and the RS workflow runs against each node at https://$addr:9443, addr as GET /v1/nodes
# shows it (the node's container IP, as RS shows a node's IP).
#   usage: check.sh <admin email:password> <modfleet pack output dir>
set -euo pipefail

ADMIN=$1
WORK=$2
# shellcheck source=fleet.sh
. "$(dirname "$0")/fleet.sh"

echo "ci: waiting for 3 active nodes at $COORDINATOR/v1/nodes"
poll '3 active nodes' three_nodes_active
api "$COORDINATOR/v1/nodes" | jq -c '.[] | {uid, addr, status}'

# ---- a fleet push of RediSearch (Debian's redis-redisearch, packed on the host) ----
packed=$(npx modfleet pack /usr/lib/redis/modules/redisearch.so --out "$WORK/redisearch.zip" -o json)
module_name=$(jq -r .manifest.module_name <<<"$packed")
module_version=$(jq -r .manifest.version <<<"$packed")
# For db-check.sh's module object. Without compatible_redis_version: pack sets RAMP's default
# (7.4), which no database on the nodes' redis-server 7.0 would accept (406 missing_module).
jq '.manifest | del(.compatible_redis_version)' <<<"$packed" >"$WORK/redisearch-manifest.json"
zip_sha256=$(sha256sum "$WORK/redisearch.zip" | cut -d' ' -f1)
echo "ci: pushing $module_name $module_version ($zip_sha256) to the fleet"
action_uid=$(push "$COORDINATOR" "$WORK/redisearch.zip")
poll "action $action_uid" action_done_on_every_node "$COORDINATOR" "$action_uid"
echo "ci: action $action_uid completed on nodes 1, 2, 3"
every_agent_holds "$module_name" "$module_version" "$zip_sha256"

# ---- the RS workflow, unchanged: each node at https://$addr:9443 (README, "The RS workflow") ----
mapfile -t ADDRS < <(api "$COORDINATOR/v1/nodes" | jq -r '.[].addr')
[ "${#ADDRS[@]}" = 3 ] || fail "GET /v1/nodes gave ${#ADDRS[@]} addresses"
for addr in "${ADDRS[@]}"; do
  [[ $addr =~ ^[0-9.]+$ ]] || fail "addr $addr is not an IP address, as RS shows it"
done
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
for addr in "${ADDRS[@]}"; do
  agent="$SCHEME://$addr:9443"
  api -F "module=@$WORK/custom-module.zip" "$agent$LOCAL_ARTIFACTS" | jq -e '.module_name == "TestModule"' >/dev/null ||
    fail "upload to $agent"
  api "$agent$LOCAL_ARTIFACTS" | jq -e "$has_test_module" >/dev/null || fail "$agent does not list TestModule 1"
done
api -X DELETE "$COORDINATOR/v2/modules/user-defined/$uid" -o /dev/null -w '%{http_code}' | grep -q '^2' ||
  fail "DELETE /v2/modules/user-defined/$uid"
for addr in "${ADDRS[@]}"; do
  agent="$SCHEME://$addr:9443"
  api -X DELETE "$agent$LOCAL_ARTIFACTS/TestModule/1" -o /dev/null -w '%{http_code}' | grep -q '^2' ||
    fail "DELETE on $agent"
  api "$agent$LOCAL_ARTIFACTS" | jq -e "($has_test_module | not) and any(.[]; .module_name == \"$module_name\")" \
    >/dev/null || fail "$agent after the delete: TestModule still listed, or $module_name gone"
  echo "ci: $agent: RS upload, list and delete answered as RS does"
done
echo "ci: compose cluster checks passed"
