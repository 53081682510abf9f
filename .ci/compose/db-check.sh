#!/usr/bin/env bash
# Checks that the compose cluster runs a database loading RediSearch (docs/databases.md), as an RS
# user would: the CCS module object of the RediSearch that check.sh pushed, a database created
# through node 1 (https://$addr:9443) and active; from another container (the redis service's
# redis-cli) FT.CREATE, FT.ADD and FT.SEARCH at endpoints[0].addr[0]:port find the document; then
# the database is deleted (404, its port closed).
#   usage: db-check.sh <admin email:password> <work dir>   (PROJECT: compose project)
set -euo pipefail

ADMIN=$1
WORK=$2
: "${PROJECT:?}"
# shellcheck source=fleet.sh
. "$(dirname "$0")/fleet.sh"

manifest="$WORK/redisearch-manifest.json" # written by check.sh from `modfleet pack`
module_name=$(jq -r .module_name "$manifest")
created=$(api -w '\n%{http_code}' -H 'Content-Type: application/json' "$COORDINATOR/v2/modules/user-defined" \
  -d "@$manifest")
[ "$(tail -n1 <<<"$created")" = 200 ] || fail "creating the $module_name module object answered: $created"

node_addr=$(api "$COORDINATOR/v1/nodes" | jq -r '.[] | select(.uid == 1) | .addr')
via="$SCHEME://$node_addr:9443"
body=$(jq -cn --arg name "$module_name" \
  '{name: "search-db", memory_size: 104857600, module_list: [{module_name: $name, module_args: ""}]}')
started=$SECONDS
created=$(api -w '\n%{http_code}' -H 'Content-Type: application/json' "$via/v1/bdbs" -d "$body")
[ "$(tail -n1 <<<"$created")" = 200 ] || fail "POST /v1/bdbs through $via answered: $created"
bdb_uid=$(head -n1 <<<"$created" | jq -r .uid)

bdb=''
bdb_settled() {
  bdb=$(api "$via/v1/bdbs/$bdb_uid") || return 1
  [ "$(jq -r .status <<<"$bdb")" != pending ]
}
poll "database $bdb_uid to leave pending" bdb_settled
[ "$(jq -r .status <<<"$bdb")" = active ] || fail "database $bdb_uid did not become active: $bdb"
host=$(jq -r '.endpoints[0].addr[0]' <<<"$bdb")
port=$(jq -r '.endpoints[0].port' <<<"$bdb")
echo "ci: database $bdb_uid ($module_name) active at $host:$port in $((SECONDS - started)) s, created through $via"

redis=$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter label=com.docker.compose.service=redis)
[ -n "$redis" ] || fail "no running container for redis"
at_endpoint() { docker exec "$redis" redis-cli -h "$host" -p "$port" "$@"; }
expect_answer() { # <expected answer, one element a line> <command...>
  local answer
  answer=$(at_endpoint "${@:2}" 2>&1) || fail "redis-cli $*: $answer"
  [ "$answer" = "$1" ] || fail "redis-cli ${*:2} at $host:$port answered '$answer', not '$1'"
}
expect_answer OK FT.CREATE idx SCHEMA title TEXT
expect_answer OK FT.ADD idx doc1 1.0 FIELDS title 'hello world'
expect_answer $'1\ndoc1\ntitle\nhello world' FT.SEARCH idx hello
echo "ci: FT.SEARCH from the redis container at $host:$port found doc1"

started=$SECONDS
status=$(api -X DELETE -o /dev/null -w '%{http_code}' "$via/v1/bdbs/$bdb_uid")
[ "$status" = 200 ] || fail "DELETE /v1/bdbs/$bdb_uid answered $status"
bdb_gone() { [ "$(api -o /dev/null -w '%{http_code}' "$via/v1/bdbs/$bdb_uid")" = 404 ]; }
poll "database $bdb_uid to be gone" bdb_gone
if at_endpoint PING >/dev/null 2>&1; then fail "$host:$port still answers after the delete"; fi
echo "ci: database $bdb_uid deleted in $((SECONDS - started)) s, $host:$port closed"
