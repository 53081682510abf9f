#!/usr/bin/env bash
# The RS 8.x user-defined module workflow as the RS docs show it, written for RS: create the CCS
# object, read GET /v1/nodes, upload the artifact to each node's local API, list, delete.
# Usage: CLUSTER=https://<any node>:9443 AUTH=user:password ZIP=module.zip DEF=module.json rs-module-workflow.sh
# CLUSTER may be any node: RS nodes (and modfleet agents) pass cluster requests to the master.
set -euo pipefail
: "${CLUSTER:?}" "${AUTH:?}" "${ZIP:?}" "${DEF:?}"
api() { curl -k -sS --fail-with-body -u "$AUTH" "$@"; }
# RS's addr is an IP reached on 9443; modfleet gives a URL where nodes share an address.
node_url() { case $1 in http://* | https://*) echo "$1" ;; *) echo "https://$1:9443" ;; esac; }

name=$(jq -r .module_name "$DEF")
version=$(jq -r .version "$DEF")

uid=$(api -H 'Content-Type: application/json' "$CLUSTER/v2/modules/user-defined" -d @"$DEF" | jq -r .uid)
echo "created $uid"
api "$CLUSTER/v1/modules/$uid" | jq -c '{module_name, version, uid}'

addrs=$(api "$CLUSTER/v1/nodes" | jq -r '.[] | select(.status == "active") | .addr')
for addr in $addrs; do
  api -F module=@"$ZIP" "$(node_url "$addr")/v2/local/modules/user-defined/artifacts" | jq -c '{module_name, version}'
done
for addr in $addrs; do
  echo "$addr $(api "$(node_url "$addr")/v2/local/modules/user-defined/artifacts" | jq -c .)"
done

api -X DELETE "$CLUSTER/v2/modules/user-defined/$uid" >/dev/null
for addr in $addrs; do
  api -X DELETE "$(node_url "$addr")/v2/local/modules/user-defined/artifacts/$name/$version" >/dev/null
done
echo "deleted $uid; modules left: $(api "$CLUSTER/v1/modules" | jq -c "[.[] | select(.uid == \"$uid\")]")"
