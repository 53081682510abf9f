# Sourced by .ci/compose/run.sh: a private Docker engine with its own socket, exec root and pidfile,
# so that starting and stopping it touches no other engine; the cluster runs on it inside a network
# namespace of its own (engine_isolate). --iptables=false and --bridge=none: no
# firewall rules and no docker0 on a shared machine (compose's own bridge network still works, and
# published ports go through docker-proxy).
#
# Storage: overlay2 where an overlay mount works on the cache's filesystem, else vfs (works
# anywhere, but copies every layer in full: several times slower). The data root lives in the cache
# and keeps images only (the stand-ins and the project's build layers) from one run to the next;
# run.sh removes every container, volume and network before the engine stops.

ENGINE_DIR=''
ENGINE_DATA=''
ENGINE_DRIVER=''
ENGINE_PID=''

engine_storage_driver() {
  local probe
  probe=$(mktemp -d "$CACHE/overlay-probe.XXXXXX")
  mkdir "$probe/lower" "$probe/upper" "$probe/work" "$probe/merged"
  if mount -t overlay overlay -o "lowerdir=$probe/lower,upperdir=$probe/upper,workdir=$probe/work" "$probe/merged" 2>/dev/null; then
    umount "$probe/merged"
    echo overlay2
  else
    echo vfs
  fi
  rm -rf "$probe"
}

# engine_launch [isolated]: isolated runs the engine in a network namespace of its own (loopback
# only, no way out), where the ports docker-compose.yml publishes cannot clash with anything on the
# host; builds need the host's network, so they run on an engine launched without it.
engine_launch() {
  local netns=()
  [ "${1:-}" = isolated ] && netns=(unshare --net sh -c 'ip link set lo up && exec "$0" "$@"')
  # 9>&-: the engine and its shims must not hold run.sh's lock after it is stopped.
  "${netns[@]}" dockerd --storage-driver "$ENGINE_DRIVER" --iptables=false --ip-masq=false --bridge=none \
    --data-root "$ENGINE_DATA" --exec-root "$ENGINE_DIR/exec" --pidfile "$ENGINE_DIR/dockerd.pid" \
    --host "$DOCKER_HOST" >>"$ENGINE_DIR/dockerd.log" 2>&1 9>&- &
  ENGINE_PID=$!
  for _ in $(seq 1 120); do
    if docker version >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$ENGINE_PID" 2>/dev/null; then break; fi
    sleep 0.5
  done
  return 1
}

# Returns non-zero (with the reason on stderr) when no engine can be started here.
engine_start() {
  ENGINE_DRIVER=${MODFLEET_CI_STORAGE_DRIVER:-$(engine_storage_driver)}
  ENGINE_DATA="$CACHE/engine-$ENGINE_DRIVER"
  ENGINE_DIR=$(mktemp -d /run/modfleet-ci-docker.XXXXXX)
  export DOCKER_HOST="unix://$ENGINE_DIR/docker.sock"
  mkdir -p "$ENGINE_DATA"
  engine_launch && return 0
  # A data root left unusable by an earlier run (a killed engine, a full disk): start from empty.
  echo "ci: dockerd did not start on the cached data root; retrying on an empty one" >&2
  tail -n 5 "$ENGINE_DIR/dockerd.log" >&2
  engine_halt
  rm -rf "$ENGINE_DATA" && mkdir -p "$ENGINE_DATA"
  engine_launch && return 0
  echo "dockerd ($ENGINE_DRIVER) did not answer on $DOCKER_HOST; its log ends with:" >&2
  tail -n 15 "$ENGINE_DIR/dockerd.log" >&2
  return 1
}

engine_halt() {
  if [ -n "$ENGINE_PID" ] && kill -0 "$ENGINE_PID" 2>/dev/null; then
    kill -TERM "$ENGINE_PID"
    for _ in $(seq 1 60); do kill -0 "$ENGINE_PID" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$ENGINE_PID" 2>/dev/null; then
      echo "ci: dockerd did not stop in 30 s; killing it" >&2
      kill -KILL "$ENGINE_PID" 2>/dev/null || true
    fi
    wait "$ENGINE_PID" 2>/dev/null || true
  fi
  ENGINE_PID=''
}

# Restarts the engine on the same data root inside its own network namespace (see engine_launch).
engine_isolate() {
  engine_halt
  engine_unmount
  engine_launch isolated || {
    echo "ci: dockerd did not start again in its own network namespace; its log ends with:" >&2
    tail -n 15 "$ENGINE_DIR/dockerd.log" >&2
    return 1
  }
}

# Runs a command in the engine's network namespace: where its published ports are.
in_engine_netns() { nsenter --net="/proc/$ENGINE_PID/ns/net" "$@"; }

engine_unmount() {
  local target
  for target in $(findmnt -rn -o TARGET | grep -F -e "$ENGINE_DIR/" -e "$ENGINE_DATA/" | sort -r || true); do
    umount -l "$target" || true
  done
}

# Stops the engine this script started (by its pid), unmounts what it left mounted (its network
# namespace, container shm after a hard stop) and removes its run directory.
engine_stop() {
  [ -n "$ENGINE_DIR" ] || return 0
  engine_halt
  engine_unmount
  rm -rf "$ENGINE_DIR"
  ENGINE_DIR=''
}
