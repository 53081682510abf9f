# Sourced by .ci/compose/cluster.sh once the engine answers: puts local stand-ins for the two public
# base images the project uses (the Dockerfile's node:<LTS>-bookworm-slim, redis:7-alpine in
# docker-compose.yml) under those very tags, since no registry can be pulled from here.
#
# Cache ($CACHE, outside the repository): the debootstrap rootfs tarball, and the engine's data root,
# where the stand-ins stay between runs. Each carries a label with the hash of everything it is
# built from, so a change to any of it (the host's node, npm, CA bundle, these files) rebuilds it.

STANDIN_DIR=.ci/compose
# shellcheck source=../apt-mirror.sh
. .ci/apt-mirror.sh
STANDIN_LABEL=modfleet-ci.standin
NODE_TAG=$(sed -n 's/^FROM \(node:[^ ]*\).*/\1/p' Dockerfile | head -n1)
NODE_MAJOR=${NODE_TAG#node:}
NODE_MAJOR=${NODE_MAJOR%%-*}

# The node the stand-in carries: the Dockerfile's major from npm's `node` package, which .ci/run
# installs into the cache to run the unit tests on it; else (not installed there) the host's own.
standin_node_bin() {
  local lts="$CACHE/node-$NODE_MAJOR/node_modules/node/bin/node"
  if [ "$("$lts" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = "$NODE_MAJOR" ]; then
    readlink -f "$lts"
  else
    readlink -f "$(command -v node)"
  fi
}

standins_key() {
  {
    cat "$STANDIN_DIR/node-standin.Dockerfile" "$STANDIN_DIR/redis-standin.Dockerfile" "$STANDIN_DIR/redis-entrypoint.sh"
    sha256sum "$(standin_node_bin)" "$CA_BUNDLE"
    npm --version
  } | sha256sum | cut -c1-16
}

rootfs_tarball() {
  local tarball="$CACHE/bookworm-minbase.tar" rootfs mirror
  if [ ! -s "$tarball" ]; then
    mirror=$(apt_mirror_for bookworm) || return 1
    echo "ci: debootstrap --variant=minbase bookworm from $mirror, this machine's apt mirror (cold cache)" >&2
    rootfs=$(mktemp -d "$CACHE/rootfs.XXXXXX")
    if ! debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$CACHE/debootstrap.log" 2>&1; then
      tail -n 20 "$CACHE/debootstrap.log" >&2
      rm -rf "$rootfs"
      return 1
    fi
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" --numeric-owner -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$rootfs"
  fi
  echo "$tarball"
}

standin_current() { # <tag> <key>
  [ "$(docker image inspect -f "{{index .Config.Labels \"$STANDIN_LABEL\"}}" "$1" 2>/dev/null)" = "$2" ]
}

ensure_standins() {
  local key tarball context
  key=$(standins_key)
  if standin_current "$NODE_TAG" "$key" && standin_current redis:7-alpine "$key"; then
    echo "ci: stand-in base images $NODE_TAG and redis:7-alpine are cached"
    return 0
  fi
  echo "ci: building stand-in base images $NODE_TAG (node $("$(standin_node_bin)" --version)) and redis:7-alpine"
  tarball=$(rootfs_tarball)
  docker import "$tarball" modfleet-ci/bookworm-minbase:latest >/dev/null

  context=$(mktemp -d "$CACHE/node-context.XXXXXX")
  cp "$(standin_node_bin)" "$context/node"
  cp -a "$(npm root -g)/npm" "$context/npm"
  cp "$CA_BUNDLE" "$context/ca-certificates.crt"
  cp "$STANDIN_DIR/node-standin.Dockerfile" "$context/Dockerfile"
  docker build -q --network host --label "$STANDIN_LABEL=$key" -t "$NODE_TAG" "$context" >/dev/null
  rm -rf "$context"

  docker build -q --network host --label "$STANDIN_LABEL=$key" -t redis:7-alpine \
    -f "$STANDIN_DIR/redis-standin.Dockerfile" "$STANDIN_DIR" >/dev/null
}
