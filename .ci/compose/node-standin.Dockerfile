# Stand-in for the Dockerfile's node:<LTS>-bookworm-slim where public images cannot be pulled: a
# Debian bookworm minbase rootfs plus that LTS's node (npm's `node` package, else the host's own),
# the host's npm and CA bundle, laid out as the official image lays
# them out (/usr/local, a `node` user with uid 1000). Built by .ci/compose/standins.sh.
FROM modfleet-ci/bookworm-minbase:latest
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
# npm inside reaches the registry through whatever TLS interception the host trusts.
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
CMD ["node"]
