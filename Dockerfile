# syntax=docker/dockerfile:1
# modfleet: one image for both services. `docker run IMAGE coordinator` or `docker run IMAGE agent`;
# every option comes from the environment (docs/config.md). See docs/docker.md and docker-compose.yml.

# ---- build: full install (TypeScript is a devDependency), compile every workspace ----
FROM node:24-bookworm-slim AS build
WORKDIR /app

# Manifests first, so the `npm ci` layer is reused until a manifest or the lock file changes.
COPY package.json package-lock.json tsconfig*.json ./
COPY packages/common/package.json packages/common/
COPY packages/coordinator/package.json packages/coordinator/
COPY packages/agent/package.json packages/agent/
COPY packages/cli/package.json packages/cli/
# --ignore-scripts: `prepare` (tsc -b) cannot run before the sources are here; it runs below instead.
RUN npm ci --ignore-scripts --no-audit --no-fund

COPY packages/ packages/
RUN npx tsc -b

# ---- runtime: production dependencies and the compiled output only ----
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    MODFLEET_HOST=0.0.0.0 \
    MODFLEET_DATA_DIR=/data
WORKDIR /app

# redis-server (Debian's, with redis-cli): an agent runs each database shard as one and load-checks
# modules with it (docs/databases.md). policy-rc.d: the package must not start a service in the build.
RUN printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d

COPY package.json package-lock.json ./
COPY packages/common/package.json packages/common/
COPY packages/coordinator/package.json packages/coordinator/
COPY packages/agent/package.json packages/agent/
COPY packages/cli/package.json packages/cli/
# --ignore-scripts: `prepare` runs tsc, a devDependency that --omit=dev leaves out.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

COPY --from=build /app/packages/common/dist packages/common/dist
COPY --from=build /app/packages/coordinator/dist packages/coordinator/dist
COPY --from=build /app/packages/coordinator/static packages/coordinator/static
COPY --from=build /app/packages/agent/dist packages/agent/dist
COPY --from=build /app/packages/cli/dist packages/cli/dist
COPY --from=build /app/packages/cli/bin packages/cli/bin

# A named volume mounted at /data starts as a copy of this directory, ownership included.
RUN mkdir -p /data && chown node:node /data
USER node

EXPOSE 9443 9444
ENTRYPOINT ["node", "packages/cli/bin/modfleet.js"]
CMD ["coordinator"]
