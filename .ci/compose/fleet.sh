# Sourced by check.sh and ha-check.sh: the calls a user's RS script makes against the compose
# cluster, from the host, through the published ports only. Needs ADMIN (email:password) and WORK.
#
# The services serve HTTPS, as RS does on 9443; curl runs with -k, as RS scripts do against RS's
# self-signed certificates.
SCHEME=https
COORDINATOR="$SCHEME://127.0.0.1:9443"
AGENT_PORTS=(9444 9445 9446) # agent-N publishes its 9443 on 127.0.0.1:(9443+N)
DEADLINE_SECONDS=${MODFLEET_CI_CHECK_DEADLINE:-300}
LOCAL_ARTIFACTS=/v2/local/modules/user-defined/artifacts
: "${ADMIN:?}" "${WORK:?}"

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

# three_nodes_active [coordinator url]: GET /v1/nodes lists nodes 1, 2, 3, all active.
three_nodes_active() {
  local nodes
  nodes=$(api "${1:-$COORDINATOR}/v1/nodes" 2>/dev/null) || return 1
  jq -e 'length == 3 and all(.[]; .status == "active") and ([.[].uid] | sort == [1, 2, 3])' <<<"$nodes" >/dev/null
}

# pack_random <name> <zip>: a module of random bytes (not loadable, so not discovered), version 1.
pack_random() {
  head -c 4096 /dev/urandom >"$WORK/$1.so"
  npx modfleet pack "$WORK/$1.so" --no-discover --name "$1" --version 1 --capabilities types --out "$2" >/dev/null
}

# push <coordinator url> <zip>: a fleet push; prints the action uid of its 202.
push() {
  local pushed
  pushed=$(api -w '\n%{http_code}' -F "module=@$2" "$1/v2/modules/user-defined/artifacts")
  [ "$(tail -n1 <<<"$pushed")" = 202 ] || fail "fleet push of $2 to $1 answered: $pushed"
  head -n1 <<<"$pushed" | jq -r .action_uid
}

# action_done_on_every_node <coordinator url> <action uid>: true once the action completed, on
# nodes 1, 2 and 3; fails the check when it failed or completed without one of them.
action_done_on_every_node() {
  local action status
  action=$(api "$1/v2/actions/$2") || return 1
  status=$(jq -r .status <<<"$action")
  [ "$status" = failed ] && fail "action $2 failed: $action"
  [ "$status" = completed ] || return 1
  jq -e '.additional_info.pending_ops | (keys | sort == ["1", "2", "3"]) and all(.[]; .status == "completed")' \
    <<<"$action" >/dev/null || fail "action $2 completed without every node: $action"
}

# every_agent_holds <module name> <version> <sha256>: each agent's deep inventory (re-hashed on disk)
# lists those bytes.
every_agent_holds() {
  local port agent inventory
  for port in "${AGENT_PORTS[@]}"; do
    agent="$SCHEME://127.0.0.1:$port"
    inventory=$(api "$agent$LOCAL_ARTIFACTS/inventory?deep=true")
    jq -e --arg name "$1" --argjson version "$2" --arg sha "$3" \
      'any(.artifacts[]; .module_name == $name and .version == $version and .sha256 == $sha and .disk.status == "ok")' \
      <<<"$inventory" >/dev/null || fail "$agent does not hold the pushed bytes of $1 $2: $inventory"
    echo "ci: $agent holds $1 $2, sha256 verified on disk"
  done
}
